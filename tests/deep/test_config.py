import tomllib

import pytest

from stdpnet.deep.config import DEFAULTS, merge
from stdpnet.spec.toml import dump_toml
from stdpnet.errors import ConfigError


def test_defaults_are_valid_and_round_trip_through_toml():
    cfg = merge({"model": {"features": [8, "A"]}, "attack": {"targets": [
        {"name": "a", "run": "runs/x", "leak": 1}]}})
    again = merge(tomllib.loads(dump_toml(cfg)))
    assert again == cfg
    assert merge({}) == merge(tomllib.loads(dump_toml(DEFAULTS)))


@pytest.mark.parametrize("spec, words", [
    ({"modle": {}}, "modle"),
    ({"model": {"widht": 2}}, "model.widht"),
    ({"ann": {"epochs": "3"}}, "ann.epochs"),
    ({"ann": {"epochs": 0}}, "ann.epochs"),
    ({"data": {"dataset": "svhn"}}, "data.dataset"),
    ({"model": {"features": [8, "M"]}}, "model.features"),
    ({"convert": {"percentile": 120.0}}, "convert.percentile"),
    ({"iir": {"start": 2, "stop": 3}}, "iir.stop"),
    ({"stdb": {"leak": 1.5}}, "stdb.leak"),
    ({"attack": {"targets": [{"name": "x"}]}}, "attack.targets[0]"),
    ({"attack": {"targets": [{"name": "x", "run": "r", "encoding": "rate"}]}}, "encoding"),
    ({"attack": {"targets": [{"name": "x", "run": "r", "timesteps": 0}]}}, "attack.targets[0].timesteps must be >= 1"),
    ({"attack": {"targets": [{"name": "x", "run": "r", "leak": -3.0}]}}, "attack.targets[0].leak must be in [0, 1]"),
    ({"attack": {"targets": [{"name": "M", "run": "a"}, {"name": "M", "run": "b"}]}},
     "attack.targets: the name 'M' is given to 2 targets"),
    ({"diet": {"gamma": -0.3}}, "diet.gamma must be > 0"),
    ({"iir": {"gamma": 0.0}}, "iir.gamma must be > 0"),
    ({"stdb": {"alpha": -1.0}}, "stdb.alpha must be > 0"),
    ({"stdb": {"beta": -5.0}}, "stdb.beta must be >= 0"),
    ({"ann": {"momentum": -2.0}}, "ann.momentum must be >= 0"),
    ({"model": {"dropout": 1.0}}, "model.dropout must be in .0, 1."),
    ({"model": {"arch": "resnet", "stages": []}}, "model.stages must list at least one"),
    ({"model": {"arch": "vgg16"}}, "model: 5 average poolings .* halve the 28x28 images of mnist to nothing .at most 4."),
    ({"model": {"arch": "vgg", "features": [4] + ["A"] * 6}}, "6 average poolings"),
])
def test_bad_values_name_the_key(spec, words):
    with pytest.raises(ConfigError, match=words.replace("[", r"\[").replace("]", r"\]")):
        merge(spec, "spec.toml")


def test_vgg16_fits_cifar_images_but_not_mnist_digits():
    assert merge({"model": {"arch": "vgg16"}, "data": {"dataset": "cifar10"}})["model"]["arch"] == "vgg16"
    with pytest.raises(ConfigError, match="halve the 28x28 images"):
        merge({"model": {"arch": "vgg16"}, "data": {"dataset": "mnist"}})


@pytest.mark.parametrize("spec, words", [
    ({"name": "/tmp/elsewhere"}, "name '/tmp/elsewhere' must be a plain folder name"),
    ({"name": ".."}, "plain folder name"),
    ({"seed": 2**31}, "seed must be in 0 .. 2147483647"),
    ({"ann": {"weight_decay": float("nan")}}, "ann.weight_decay must be finite"),
    ({"ann": {"lr": float("inf")}}, "ann.lr must be finite"),
])
def test_names_seeds_and_numbers_a_run_cannot_use_are_named(spec, words):
    with pytest.raises(ConfigError, match=words.replace(".", r"\.").replace("(", r"\(")):
        merge(spec)


def test_a_sequence_spec_is_held_to_the_same_names_seeds_and_finite_numbers():
    from stdpnet.deep.seq.config import merge as merge_seq
    with pytest.raises(ConfigError, match=r"train\.lr must be finite"):
        merge_seq({"train": {"lr": float("inf")}})
    with pytest.raises(ConfigError, match="plain folder name"):
        merge_seq({"name": "a/b"})
