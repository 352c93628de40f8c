"""The sequence tasks' readers on tiny files written here."""
import copy

import numpy as np
import pytest
import torch

from stdpnet.deep.seq import events as ev
from stdpnet.deep.seq.config import DEFAULTS, merge
from stdpnet.deep.seq.data import digit_shifts, load_split, pixel_order
from stdpnet.errors import ConfigError, DataError

torch.set_num_threads(1)


def spec(**tables):
    cfg = copy.deepcopy(DEFAULTS)
    for table, values in tables.items():
        cfg[table].update(values)
    return merge(cfg)


def events_of(rows):
    out = np.empty(len(rows), dtype=ev.EVENT_DTYPE)
    for k, col in zip("xytp", zip(*rows)):
        out[k] = col
    return out


def test_nmnist_bytes_decode_with_polarity_and_timestamp_overflow():
    e = events_of([(1, 2, 5, 1), (33, 0, 2 ** 23 - 1, 0), (0, 33, 70000, 1)])
    assert np.array_equal(ev.decode_nmnist(ev.encode_nmnist(e)), e)
    overflow = bytes([0, ev.OVERFLOW_Y, 0, 0, 0])
    raw = ev.encode_nmnist(e[:1]) + overflow + ev.encode_nmnist(e[:1])
    decoded = ev.decode_nmnist(raw)
    assert decoded["t"].tolist() == [5, 5 + 2 ** 13]
    with pytest.raises(DataError, match="5-byte"):
        ev.decode_nmnist(raw[:-1])


def test_nmnist_files_agree_with_tonic_where_it_is_installed(tmp_path):
    e = events_of([(3, 4, 10, 1), (5, 6, 20, 0), (7, 8, 9000, 1)])
    path = ev.write_nmnist(tmp_path / "00000.bin", e)
    assert np.array_equal(ev.read_nmnist(path), e)
    reader = ev._tonic_reader()
    if reader is not None:   # the `events` extra: tonic's own reader sees the same events
        got = reader(str(path), dtype=np.dtype([("x", int), ("y", int), ("t", int), ("p", int)]))
        assert [tuple(r) for r in got] == [tuple(int(v) for v in r) for r in e]
    (tmp_path / "cut.bin").write_bytes(path.read_bytes()[:7])
    with pytest.raises(DataError, match="cut.bin"):
        ev.read_nmnist(tmp_path / "cut.bin")


def test_events_are_binned_by_time_polarity_and_pooled_pixel():
    e = events_of([(0, 0, 0, 1), (1, 1, 10, 1), (33, 33, 99, 0), (20, 10, 99, 0)])
    f = ev.to_frames(e, steps=2, pool=2)
    assert f.shape == (2, 2, 17, 17) and f.dtype == np.uint8
    assert f[0, 1, 0, 0] == 2                      # two ON events in one pooled pixel
    assert f[1, 0, 16, 16] == 1 and f[1, 0, 5, 10] == 1
    assert f.sum() == 4


def write_nmnist_tree(root):
    rng = np.random.default_rng(0)
    layout = {"Train": [(0, 3), (1, 0), (2, 1), (1, 2)], "Test": [(3, 0), (4, 1)]}
    for split, files in layout.items():
        for digit, index in files:
            folder = root / "nmnist" / split / str(digit)
            folder.mkdir(parents=True, exist_ok=True)
            n = 50
            e = events_of(list(zip(rng.integers(0, 34, n), rng.integers(0, 34, n),
                                   np.sort(rng.integers(0, 300000, n)), rng.integers(0, 2, n))))
            ev.write_nmnist(folder / f"{index:05d}.bin", e)


def test_nmnist_splits_carve_validation_from_the_end_of_the_training_order(tmp_path):
    write_nmnist_tree(tmp_path)
    cfg = spec(data=dict(task="nmnist", root=str(tmp_path), validation_examples=1),
               events=dict(steps=4, pool=2))
    x, y = load_split(cfg, "train")
    assert x.shape == (3, 4, 2 * 17 * 17) and x.dtype == torch.uint8
    assert y.tolist() == [1, 2, 1]                 # indices 0, 1, 2
    assert load_split(cfg, "validation")[1].tolist() == [0]   # index 3
    xt, yt = load_split(cfg, "test")
    assert yt.tolist() == [3, 4] and xt.sum() == 100
    cfg["data"]["root"] = str(tmp_path / "nowhere")
    with pytest.raises(DataError, match="nowhere"):
        load_split(cfg, "train")


def test_synthetic_events_come_from_motion_only():
    img = torch.zeros(2, 28, 28)
    img[:, 8:20, 12:16] = 1.0
    a = ev.synthetic_events(img, steps=6, seed=3)
    assert a.shape == (2, 6, 2 * 28 * 28) and a.dtype == torch.uint8
    frames = a.reshape(2, 6, 2, 28, 28)
    assert frames[:, :, 0].sum() > 0 and frames[:, :, 1].sum() > 0   # OFF and ON
    assert torch.equal(a, ev.synthetic_events(img, steps=6, seed=3))
    assert not torch.equal(a, ev.synthetic_events(img, steps=6, seed=4))
    assert ev.synthetic_events(img, steps=6, amplitude=0.0).sum() == 0
    pooled = ev.synthetic_events(img, steps=6, seed=3, pool=2)
    assert pooled.shape == (2, 6, 2 * 14 * 14) and pooled.sum() == a.sum()


def test_sequential_mnist_rows_and_permuted_pixels(fake_mnist):
    cfg = spec(data=dict(task="mnist_rows", validation_examples=100, train_limit=50,
                         test_limit=20))
    x, y = load_split(cfg, "train")
    images, labels = fake_mnist("train")
    assert x.shape == (50, 28, 28) and torch.allclose(x[3], torch.from_numpy(images[3]) / 255.0)
    xv, yv = load_split(cfg, "validation")
    assert len(xv) == 100 and yv.tolist() == labels[-100:].tolist()
    assert load_split(cfg, "test")[0].shape == (20, 28, 28)
    cfg = spec(data=dict(task="mnist_pixels", permute=True, validation_examples=100))
    xp, _ = load_split(cfg, "train")
    order = pixel_order(cfg)
    assert xp.shape == (200, 784, 1) and sorted(order.tolist()) == list(range(784))
    assert torch.allclose(xp[5, :, 0], torch.from_numpy(images[5]).flatten()[order] / 255.0)
    rows = load_split(spec(data=dict(task="mnist_rows", validation_examples=100)), "train")[0]
    chunks = load_split(spec(data=dict(task="mnist_pixels", pixel_steps=28, validation_examples=100)),
                        "train")[0]
    assert torch.equal(chunks, rows)   # 28 steps of 28 pixels are the rows
    assert load_split(spec(data=dict(task="mnist_pixels", pixel_steps=112, validation_examples=100)),
                      "train")[0].shape == (200, 112, 7)
    ev_cfg = spec(data=dict(task="synthetic_event_mnist", validation_examples=100,
                            train_limit=8), events=dict(steps=5))
    assert load_split(ev_cfg, "train")[0].shape == (8, 5, 2 * 14 * 14)
    cfg["data"]["validation_examples"] = 300
    with pytest.raises(ConfigError, match="validation_examples"):
        load_split(cfg, "train")


def test_augmented_digits_shift_as_images_whatever_the_pixel_order():
    image = torch.zeros(1, 28, 28)
    image[0, 10:14, 12:15] = torch.arange(12.0).reshape(4, 3) + 1   # a patch, all pixels distinct
    moved = set()
    for task, extra in [("mnist_rows", {}), ("mnist_pixels", dict(permute=True)),
                        ("mnist_pixels", dict(permute=True, pixel_steps=56))]:
        cfg = spec(data=dict(task=task, augment=True, **extra))
        order = pixel_order(cfg)
        seq = image.reshape(1, 784)
        seq = (seq if order is None else seq[:, order]).reshape(1, -1, 784 // (
            28 if task == "mnist_rows" else cfg["data"]["pixel_steps"]))
        shift = digit_shifts(cfg)
        for k in range(20):
            out = shift(seq, torch.Generator().manual_seed(k))
            assert out.shape == seq.shape
            flat = out.reshape(784)
            back = flat if order is None else flat[torch.argsort(order)]
            back = back.reshape(28, 28)
            rows, cols = torch.nonzero(back, as_tuple=True)
            dy, dx = int(rows.min()) - 10, int(cols.min()) - 12
            assert abs(dy) <= 2 and abs(dx) <= 2      # moved by at most 2 pixels each way
            assert torch.equal(back[10 + dy:14 + dy, 12 + dx:15 + dx], image[0, 10:14, 12:15])
            moved.add((dy, dx))
    assert len(moved) > 5                            # and the shifts vary
    assert digit_shifts(spec(data=dict(task="mnist_rows"))) is None
    with pytest.raises(ConfigError, match="data.augment"):
        spec(data=dict(task="fsdd", augment=True))


def test_spoken_digits_hold_out_whole_speakers(tmp_path, tone_speakers):
    tone_speakers(tmp_path, ["ann", "bob", "cid"])
    cfg = spec(data=dict(task="fsdd", root=str(tmp_path)),
               fsdd=dict(test_speakers=["cid"], validation_speakers=["bob"], frames=12, bands=8))
    x, y = load_split(cfg, "train")
    assert x.shape == (6, 12, 8) and sorted(y.tolist()) == [0, 0, 1, 1, 2, 2]
    assert len(load_split(cfg, "validation")[0]) == 6 and len(load_split(cfg, "test")[0]) == 6
    assert 0 <= x.min() and x.max() <= 1
    cfg["fsdd"]["trim_db"] = 30.0            # steady tones: no silence to trim, the same maps
    np.testing.assert_allclose(load_split(cfg, "train")[0], x, atol=1e-6)
    with pytest.raises(ConfigError, match="fsdd.trim_db"):
        merge({"fsdd": {"trim_db": -1.0}}, "x.toml")
    limited = {**cfg, "data": {**cfg["data"], "test_limit": 3}}   # the rows go digit by digit
    assert sorted(load_split(limited, "test")[1].tolist()) == [0, 1, 2], "every digit in its share"
    cfg["fsdd"]["validation_speakers"] = ["dan"]
    with pytest.raises(DataError, match="dan"):
        load_split(cfg, "train")

    # speed copies: the training speaker's recordings again at each factor, after
    # the originals; validation and test as recorded
    cfg["fsdd"]["validation_speakers"] = ["bob"]
    cfg["fsdd"]["perturb"] = [0.8, 1.25]
    xp, yp = load_split(cfg, "train")
    assert xp.shape == (18, 12, 8) and yp.tolist() == y.tolist() * 3
    np.testing.assert_allclose(xp[:6], x, atol=1e-6)
    # a faster copy puts every tone higher: its loudest band moves up (or stays at the top)
    top = lambda z: z.mean(1).argmax(-1)                                   # noqa: E731
    assert (top(xp[12:]) >= top(x)).all() and (top(xp[12:]) > top(xp[6:12])).any()
    assert len(load_split(cfg, "validation")[0]) == 6 and len(load_split(cfg, "test")[0]) == 6
    with pytest.raises(ConfigError, match="fsdd.perturb"):
        merge({"fsdd": {"perturb": [0.9, 0]}}, "x.toml")


def test_extra_voices_join_the_sequence_training_split_only(tmp_path, tone_speakers, monkeypatch):
    tone_speakers(tmp_path / "main", ["ann", "bob", "cid"])
    tone_speakers(tmp_path / "extra", ["syn-a", "syn-b"])
    base = dict(test_speakers=["cid"], validation_speakers=["bob"], frames=12, bands=8)
    plain = spec(data=dict(task="fsdd", root=str(tmp_path / "main")), fsdd=base)
    cfg = spec(data=dict(task="fsdd", root=str(tmp_path / "main")),
               fsdd=dict(base, extra_root=str(tmp_path / "extra"), perturb=[0.8]))
    x, y = load_split(plain, "train")
    xe, ye = load_split(cfg, "train")
    # ann's 6 recordings, the extra folder's 12, then every one of them at 0.8x speed
    assert xe.shape == (36, 12, 8) and ye.tolist() == (y.tolist() + [0, 0, 1, 1, 2, 2] * 2) * 2
    np.testing.assert_allclose(xe[:6], x, atol=1e-6)
    assert not np.allclose(xe[6:18], xe[24:36], atol=1e-3)     # the copies are slower, not the same
    for split in ("validation", "test"):                       # extra voices never validate or test
        np.testing.assert_array_equal(load_split(cfg, split)[0], load_split(plain, split)[0])

    # "synth_digits" names the folder of `stdpnet data synth-digits`, written on first use
    from stdpnet.data import synth
    from stdpnet.deep.cli import _ensure_extra_voices

    monkeypatch.setenv("STDPNET_DATASETS", str(tmp_path / "datasets"))
    monkeypatch.setattr(synth, "synthesize_digits",
                        lambda: tone_speakers(synth.default_root(), ["syn-c"]))
    cfg["fsdd"].update(extra_root="synth_digits", perturb=[])
    _ensure_extra_voices([cfg])
    assert load_split(cfg, "train")[0].shape == (12, 12, 8)

    tone_speakers(tmp_path / "clash", ["ann"])
    cfg["fsdd"]["extra_root"] = str(tmp_path / "clash")
    with pytest.raises(DataError, match=r"fsdd.extra_root: speakers \['ann'\]"):
        load_split(cfg, "train")
    cfg["fsdd"]["extra_root"] = str(tmp_path / "missing")
    with pytest.raises(DataError, match="fsdd.extra_root: folder .*missing not found"):
        load_split(cfg, "train")
    with pytest.raises(ConfigError, match="fsdd.extra_root"):
        merge({"fsdd": {"extra_root": "synth_digits"}}, "x.toml")    # the default task is MNIST rows


def test_speaker_standardisation_centres_every_voice_of_every_split(tmp_path, tone_speakers):
    tone_speakers(tmp_path / "main", ["ann", "bob", "cid"])
    tone_speakers(tmp_path / "extra", ["syn-a"])
    fsdd = dict(test_speakers=["cid"], validation_speakers=["bob"], frames=12, bands=8,
                extra_root=str(tmp_path / "extra"), perturb=[0.8])
    plain = spec(data=dict(task="fsdd", root=str(tmp_path / "main")), fsdd=fsdd)
    cfg = spec(data=dict(task="fsdd", root=str(tmp_path / "main")), fsdd=dict(fsdd, standardise="speaker"))
    for split in ("validation", "test"):          # one voice each: centred and scaled on its own statistics
        x, y = load_split(cfg, split)
        raw = load_split(plain, split)[0].numpy().astype(np.float64)
        np.testing.assert_array_equal(y, load_split(plain, split)[1])
        np.testing.assert_allclose(x.numpy(), (raw - raw.mean(0)) / (raw.std(0) + 1e-6), atol=1e-4)
    x, y = load_split(cfg, "train")
    # ann's 6 recordings, syn-a's 6, then both at 0.8x speed: each voice's rows, copies included, centred
    assert x.shape == (24, 12, 8) and y.tolist() == load_split(plain, "train")[1].tolist()
    ann = torch.cat([x[:6], x[12:18]])
    np.testing.assert_allclose(ann.mean(0).numpy(), 0, atol=1e-5)
    np.testing.assert_allclose(torch.cat([x[6:12], x[18:]]).mean(0).numpy(), 0, atol=1e-5)
    with pytest.raises(ConfigError, match="fsdd.standardise"):
        merge({"fsdd": {"standardise": "utterance"}}, "x.toml")


@pytest.mark.parametrize("standardise", ["none", "speaker"])
def test_training_and_validation_read_no_test_voice(tmp_path, tone_speakers, monkeypatch, standardise):
    # a selection run (--validation-only) never reads the test speakers' recordings
    import stdpnet.data.audio as audio
    from stdpnet.deep.seq import data as seq_data

    tone_speakers(tmp_path, ["ann", "bob", "cid"])
    cfg = spec(data=dict(task="fsdd", root=str(tmp_path)),
               fsdd=dict(test_speakers=["cid"], validation_speakers=["bob"], frames=12, bands=8,
                         standardise=standardise))
    read, real = [], audio.read_audio
    monkeypatch.setattr(audio, "read_audio", lambda path, *a, **k: read.append(str(path)) or real(path, *a, **k))
    seq_data._fsdd.cache_clear()
    assert len(load_split(cfg, "train")[0]) == 6 and len(load_split(cfg, "validation")[0]) == 6
    assert read and not [p for p in read if "_cid_" in p]
    assert len(load_split(cfg, "test")[0]) == 6 and [p for p in read if "_cid_" in p]


def test_bad_seq_specs_name_the_key():
    with pytest.raises(ConfigError, match="data.tsk"):
        merge({"data": {"tsk": "fsdd"}}, "x.toml")
    with pytest.raises(ConfigError, match="model.heads"):
        merge({"model": {"channels": [10], "heads": 3}}, "x.toml")
    with pytest.raises(ConfigError, match="overlap"):
        merge({"fsdd": {"test_speakers": ["a"], "validation_speakers": ["a"]}}, "x.toml")
    with pytest.raises(ConfigError, match=r"model.dropout must be in \[0, 1\)"):
        merge({"model": {"dropout": 1.0}}, "x.toml")
    with pytest.raises(ConfigError, match=r"x.toml: fsdd.frames must be >= 2, got 1"):
        merge({"fsdd": {"frames": 1}}, "x.toml")
    with pytest.raises(ConfigError, match=r"x.toml: fsdd.bands must be >= 2, got 1"):
        merge({"fsdd": {"bands": 1}}, "x.toml")
    for key, value in (("permute", True), ("pixel_steps", 28), ("permutation_seed", 3)):
        with pytest.raises(ConfigError, match=rf"x.toml: data.{key} orders or cuts MNIST's pixels; it "
                                              r"applies to mnist_pixels, not to 'mnist_rows'"):
            merge({"data": {"task": "mnist_rows", key: value}}, "x.toml")
    merge({"data": {"task": "mnist_pixels", "permute": True, "pixel_steps": 28}}, "x.toml")
    merge({"data": {"task": "synthetic_event_mnist", "permutation_seed": 3}}, "x.toml")  # seeds the motions
    from stdpnet.deep.seq.pipeline import apply_settings

    with pytest.raises(ConfigError, match="--set: data.augment must be bool"):
        apply_settings(merge({}), {"data.augment": 1})     # --set values are typed as a spec's
    assert apply_settings(merge({}), {"train.lr": 1})["train"]["lr"] == 1.0


def test_the_shipped_sequence_specs_load():
    from pathlib import Path

    from stdpnet.deep.seq.config import load_spec

    shipped = sorted((Path(__file__).resolve().parents[2] / "networks").glob("deep_seq_*.toml"))
    assert shipped
    for path in shipped:
        assert load_spec(path)["model_kind"] in ("lite", "srnn", "lstm", "gru", "tcn")


def test_bad_nmnist_files_and_a_missing_test_folder_are_named_before_training(tmp_path):
    from stdpnet.deep.seq.data import check_test_split

    write_nmnist_tree(tmp_path)
    cfg = spec(data=dict(task="nmnist", root=str(tmp_path), validation_examples=1),
               events=dict(steps=4, pool=2))
    check_test_split(cfg)                                        # the test folder is there
    bad = tmp_path / "nmnist" / "Train" / "1" / "00000.bin"
    ev.write_nmnist(bad, events_of([(3, 4, 10, 1), (40, 4, 20, 0)]))   # x = 40 on a 34-pixel sensor
    with pytest.raises(DataError, match=r"Train/1/00000\.bin: event coordinates outside the 34x34 sensor "
                                        r"\(x 3\.\.40"):
        load_split(cfg, "train")
    bad.write_bytes(b"")
    with pytest.raises(DataError, match=r"00000\.bin: empty"):
        load_split(cfg, "train")
    import shutil
    shutil.rmtree(tmp_path / "nmnist" / "Test")
    with pytest.raises(DataError, match=r"nmnist/Test not found"):
        check_test_split(cfg)
