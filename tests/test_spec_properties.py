"""Generated spec files, valid and broken: a valid one loads and round-trips,
a broken one is one ConfigError that names its key, never a traceback, and
the command line touches no file outside its own folder."""
from __future__ import annotations

import dataclasses
import string
import tempfile
import tomllib
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from stdpnet.cli import main
from stdpnet.errors import ConfigError
from stdpnet.spec import Spec, dump_toml, load_spec
from stdpnet.spec.ensemble import AUDIO_FEATURES, CRITERIA, DATASETS, REST_MODES, RULES

BASE = Spec(name="base").validate().to_dict()
SECTIONS = {k: v for k, v in BASE.items() if isinstance(v, dict)}
NUMERIC = [(s, k) for s, t in SECTIONS.items() for k, v in t.items()
           if isinstance(v, (int, float)) and not isinstance(v, bool)]

# keys with bounds, and values past them
OUT_OF_RANGE = {
    ("excitatory", "n_neurons"): st.integers(-1000, 0),
    ("excitatory", "tau_ms"): st.floats(-1e3, 0.0),
    ("inhibitory", "tau_ms"): st.floats(-1e3, 0.0),
    ("schedule", "dt_ms"): st.floats(-1.0, 0.0),
    ("schedule", "checkpoint_every"): st.integers(-100, 0),
    ("plasticity", "w_max"): st.floats(-10.0, 0.0),
    ("plasticity", "eta_post"): st.floats(-1.0, -1e-9),
    ("compression", "target_sparsity"): st.one_of(st.floats(1.0, 10.0), st.floats(-5.0, -1e-9)),
    ("compression", "levels"): st.just(1),
    ("data", "train_examples"): st.integers(-10**6, -1),
    ("data", "epochs"): st.integers(-5, 0),
    ("data", "audio_frames"): st.integers(-5, 1),
    ("data", "audio_bands"): st.integers(-5, 1),
    ("input", "min_spikes"): st.integers(-100, -1),
}
CHOICES = {("data", "dataset"): DATASETS, ("plasticity", "rule"): RULES,
           ("schedule", "rest_mode"): REST_MODES, ("compression", "criterion"): CRITERIA,
           ("data", "audio_feature"): AUDIO_FEATURES}   # each key's valid values

names = st.text(alphabet=string.ascii_letters + string.digits + "._+-", min_size=1, max_size=40).filter(
    lambda v: v[0].isalnum() and ".." not in v)
bad_names = st.one_of(st.just(""), st.just(".."), st.text(min_size=1, max_size=20).map(lambda v: v + "/x"),
                      st.text(alphabet="./", min_size=1, max_size=5), st.just("a" * 200),
                      st.text(alphabet=string.ascii_letters, min_size=1, max_size=8).map(lambda v: "../" + v))
identifiers = st.text(alphabet=string.ascii_lowercase + "_", min_size=1, max_size=12)


@st.composite
def valid_specs(draw):
    table = {"name": draw(names), "seed": draw(st.integers(0, 2**31 - 1))}
    for section, key in draw(st.lists(st.sampled_from(NUMERIC), max_size=4, unique=True)):
        value = BASE[section][key]
        table.setdefault(section, {})[key] = value   # defaults are valid values of every key
    if draw(st.booleans()):
        table.setdefault("plasticity", {})["rule"] = draw(st.sampled_from(
            ["power_law", "diehl_cook_triplet", "pair_additive"]))
    return table


@st.composite
def broken_specs(draw):
    """(TOML text or table, the key its error must name)."""
    table = {"name": "fine", "seed": 1}
    kind = draw(st.sampled_from(["name", "seed", "unknown", "type", "range", "choice", "text"]))
    if kind == "name":
        table["name"] = draw(bad_names)
        return table, "spec.name"
    if kind == "seed":
        table["seed"] = draw(st.one_of(st.integers(max_value=-1), st.integers(min_value=2**31)))
        return table, "spec.seed"
    if kind == "unknown":
        section = draw(st.sampled_from(sorted(SECTIONS)))
        key = draw(identifiers.filter(lambda k: k not in SECTIONS[section]))
        table[section] = {key: 1}
        return table, f"{section}.{key}"
    if kind == "type":
        section, key = draw(st.sampled_from(NUMERIC))
        table[section] = {key: draw(st.one_of(st.text(max_size=5), st.lists(st.integers(), max_size=2),
                                              st.booleans()))}
        return table, f"{section}.{key}"
    if kind == "range":
        (section, key), values = draw(st.sampled_from(sorted(OUT_OF_RANGE.items())))
        table[section] = {key: draw(values)}
        return table, f"{section}.{key}"
    if kind == "choice":
        section, key = draw(st.sampled_from(sorted(CHOICES)))
        table[section] = {key: draw(st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=10))}
        assume(table[section][key] not in CHOICES[section, key])
        return table, f"{section}.{key}"
    text = draw(st.text(max_size=60))
    try:
        tomllib.loads(text)
        assume(False)          # only text that is not TOML
    except tomllib.TOMLDecodeError:
        pass
    return text, "not valid TOML"


def write(folder: Path, spec) -> Path:
    path = folder / "spec.toml"
    path.write_text(spec if isinstance(spec, str) else dump_toml(spec))
    return path


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_specs())
def test_a_valid_spec_loads_and_round_trips(table):
    with tempfile.TemporaryDirectory() as tmp:
        spec = load_spec(write(Path(tmp), table))
        again = load_spec(write(Path(tmp), spec.to_dict()))
        assert again == spec and spec.name == table["name"] and spec.seed == table["seed"]


@settings(max_examples=2500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(broken_specs())
def test_a_broken_spec_is_one_error_that_names_its_key(case):
    spec, key = case
    with tempfile.TemporaryDirectory() as tmp:
        path = write(Path(tmp), spec)
        try:
            load_spec(path)
        except ConfigError as exc:
            assert key in str(exc) and str(path) in str(exc)
        else:
            raise AssertionError(f"accepted a broken spec ({key}): {spec!r}")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(broken_specs().map(lambda c: c[0]), st.binary(max_size=40)))
def test_the_command_line_never_shows_a_traceback_nor_touches_other_files(spec):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        work, victim = root / "work", root / "victim"
        work.mkdir(), victim.mkdir()
        (victim / "keep.txt").write_text("mine")
        path = work / "spec.toml"
        if isinstance(spec, bytes):
            path.write_bytes(spec)
        else:
            write(work, spec)
        try:
            tomllib.loads(path.read_text("utf-8", errors="strict"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            pass
        runner = CliRunner()
        with runner.isolated_filesystem(temp_dir=work):
            result = runner.invoke(main, ["train", str(path), "--force", "--quiet"])
        assert result.exit_code == 1, result.output
        assert isinstance(result.exception, SystemExit) and "Traceback" not in result.output
        assert result.output.startswith("Error: ")
        assert sorted(p.name for p in victim.iterdir()) == ["keep.txt"]
        assert (victim / "keep.txt").read_text() == "mine"
        outside = sorted(str(p.relative_to(root)) for p in root.rglob("*") if not p.is_relative_to(work))
        assert outside == ["victim", "victim/keep.txt"]


def test_every_shipped_spec_loads():
    repo = Path(__file__).resolve().parents[1]
    from stdpnet.spec import is_multimodal, load_multimodal_spec
    shipped = [p for p in sorted((repo / "networks").glob("*.toml")) if not p.name.startswith("deep_")]
    assert len(shipped) >= 15
    for path in shipped:
        spec = (load_multimodal_spec if is_multimodal(path) else load_spec)(path)
        assert dataclasses.is_dataclass(spec)
