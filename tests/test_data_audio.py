import hashlib
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile

from stdpnet.data import audio, features, fsdd, sphere, synth, ti46
from stdpnet.errors import ConfigError, DataError

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared" / "datasets" / "fsdd" / "recordings"
needs_fsdd = pytest.mark.skipif(not SHARED.is_dir(), reason="shared FSDD copy not present")


def tone(freq=440.0, rate=8000, seconds=0.5, amp=0.5):
    t = np.arange(int(rate * seconds)) / rate
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def dominant_hz(x, rate):
    return np.argmax(np.abs(np.fft.rfft(x))) * rate / len(x)


def chirp_word(rate=8000, seconds=0.4, f0=300.0, f1=1500.0):
    t = np.arange(int(rate * seconds)) / rate
    phase = 2 * np.pi * (f0 * t + (f1 - f0) * t ** 2 / (2 * seconds))
    return (0.4 * np.sin(np.pi * t / seconds) * np.sin(phase)).astype(np.float32)


@pytest.fixture
def digits(tmp_path):
    """A tiny FSDD-style folder: 2 speakers x 10 digits x 3 repetitions."""
    root = tmp_path / "recordings"
    root.mkdir()
    for speaker in ("ann", "bob"):
        for digit in range(10):
            for index in range(3):
                audio.write_wav(root / f"{digit}_{speaker}_{index}.wav", tone(200 + 100 * digit, seconds=0.2))
    (root / "README.txt").write_text("ignored")
    return root


# ----------------------------------------------------------------- reading WAV

def test_wrong_sample_rate_is_resampled(tmp_path):
    path = tmp_path / "x.wav"
    soundfile.write(path, tone(440, rate=16000, seconds=1.0), 16000, subtype="PCM_16")
    x = audio.read_audio(path, 8000)
    assert x.dtype == np.float32 and len(x) == 8000
    assert abs(dominant_hz(x, 8000) - 440) <= 1
    assert len(audio.read_audio(path, None)) == 16000


def test_stereo_is_mixed_to_mono(tmp_path):
    path = tmp_path / "s.wav"
    stereo = np.stack([tone(300), np.zeros(4000, np.float32)], axis=1)
    soundfile.write(path, stereo, 8000, subtype="PCM_16")
    x = audio.read_audio(path)
    assert x.shape == (4000,)
    np.testing.assert_allclose(x, tone(300) / 2, atol=1e-4)


@pytest.mark.parametrize("content, message", [
    (b"", "is empty"),
    (b"hello, this is text and not audio", "neither RIFF WAV nor NIST SPHERE"),
    (b"RIFF\x24\x00\x00\x00WAVEfmt garbage garbage", "corrupt WAV"),
])
def test_bad_audio_file_names_the_file(tmp_path, content, message):
    path = tmp_path / "3_ann_0.wav"
    path.write_bytes(content)
    with pytest.raises(DataError, match=rf"3_ann_0\.wav.*{message}|{message}.*3_ann_0\.wav"):
        audio.read_audio(path)


def test_wav_without_samples_is_an_error(tmp_path):
    path = tmp_path / "0_ann_0.wav"
    soundfile.write(path, np.zeros(0, np.float32), 8000, subtype="PCM_16")
    with pytest.raises(DataError, match=r"0_ann_0\.wav holds no samples"):
        audio.read_audio(path)


def test_corrupt_file_in_a_dataset_names_it(digits):
    (digits / "4_bob_2.wav").write_bytes(b"")
    with pytest.raises(DataError, match=r"4_bob_2\.wav is empty"):
        fsdd.load_fsdd(digits, test_indices=[0])


# ----------------------------------------------------------------- FSDD layout and splits

def test_list_and_split_tiny_folder(digits):
    recs = fsdd.list_fsdd(digits)
    assert len(recs) == 60 and {r.speaker for r in recs} == {"ann", "bob"}
    train, test = audio.split_recordings(recs, "index", test_indices=[0])
    assert (len(train), len(test)) == (40, 20) and all(r.index == 0 for r in test)
    train, test = audio.split_recordings(recs, "speaker", test_speakers=["ann"])
    assert {r.speaker for r in train} == {"bob"} and {r.speaker for r in test} == {"ann"}
    d = fsdd.load_fsdd(digits, split="speaker", test_speakers=["bob"], feature="mfcc",
                       n_bands=12, n_frames=10, return_waveforms=True)
    assert d["train_x"].shape == (30, 120) and d["test_x"].shape == (30, 120)
    assert d["train_x"].dtype == np.float32 and d["train_y"].dtype == np.int64
    assert d["feature_shape"] == (10, 12) and set(d["test_speakers"]) == {"bob"}
    assert len(d["test_waveforms"]) == 30 and d["test_files"][0] == "0_bob_0.wav"
    with pytest.raises(ConfigError, match="2 speakers .* too few"):     # no fold has all three roles
        fsdd.fold_speakers(digits)
    audio.write_wav(digits / "0_cat_0.wav", tone(300, seconds=0.2))
    assert fsdd.fold_speakers(digits) == ["ann", "bob", "cat"]
    with pytest.raises(ConfigError, match="too few"):    # two of three validate: one left to train and test
        fsdd.fold_speakers(digits, fixed=["ann", "bob"])


def test_layout_errors(tmp_path, digits):
    with pytest.raises(DataError, match="not found"):
        fsdd.list_fsdd(tmp_path / "nowhere")
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("x")
    with pytest.raises(DataError, match=r"holds no files named \{digit\}_\{speaker\}_\{index\}\.wav"):
        fsdd.list_fsdd(empty)
    with pytest.raises(DataError, match=r"speakers \['zed'\] not found"):
        fsdd.list_fsdd(digits, speakers=["zed"])
    recs = fsdd.list_fsdd(digits)
    with pytest.raises(DataError, match="not among the speakers"):
        audio.split_recordings(recs, "speaker", test_speakers=["zed"])
    with pytest.raises(DataError, match=r"no speaker for training \(the speaker split needs a training, a "
                                        r"validation and a test speaker; found \['ann', 'bob'\]\)"):
        audio.split_recordings(recs, "speaker", test_speakers=["ann", "bob"])
    with pytest.raises(DataError, match="split must be"):
        audio.split_recordings(recs, "random")
    (digits / "7-bob-1.wav").write_bytes(b"x")            # a digit's recordings renamed: not left out unseen
    (digits / "10_bob_1.wav").write_bytes(b"x")
    with pytest.raises(DataError, match=r"2 \.wav file\(s\) not named .*: 10_bob_1\.wav, 7-bob-1\.wav; rename"):
        fsdd.list_fsdd(digits)


@needs_fsdd
def test_shared_fsdd_standard_splits():
    recs = fsdd.list_fsdd(SHARED)
    assert len(recs) == 2500
    train, test = audio.split_recordings(recs, "index")
    assert (len(train), len(test)) == (2250, 250)
    assert np.bincount([r.digit for r in test]).tolist() == [25] * 10
    train, test = audio.split_recordings(recs, "speaker", test_speakers=["theo", "lucas"])
    assert (len(train), len(test)) == (1500, 1000)
    assert {r.speaker for r in train}.isdisjoint({r.speaker for r in test})
    d = fsdd.load_fsdd(SHARED, speakers=["jackson"], feature="logmel")
    assert d["train_x"].shape == (450, 400) and d["test_x"].shape == (50, 400)
    assert 0.0 <= d["train_x"].min() and d["train_x"].max() <= 1.0


def digests_of(folder, pattern="*.wav"):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob(pattern))}


def test_download_fsdd_from_a_local_archive(tmp_path, digits, monkeypatch):
    monkeypatch.setattr(fsdd, "known_digests", lambda: digests_of(digits, "*_ann_*.wav"))
    archive = tmp_path / "fsdd.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for p in sorted(digits.glob("*_ann_*.wav")):
            zf.write(p, f"free-spoken-digit-dataset-1.0.10/recordings/{p.name}")
        zf.writestr("free-spoken-digit-dataset-1.0.10/README.md", "readme")
    dest = tmp_path / "fetched" / "recordings"
    assert fsdd.download_fsdd(dest, url=archive.as_uri(), progress=False) == dest
    assert len(fsdd.list_fsdd(dest)) == 30
    assert (dest.parent / f"fsdd-{fsdd.FSDD_VERSION}.zip").is_file()
    with pytest.raises(DataError, match="could not download"):
        fsdd.download_fsdd(tmp_path / "x" / "recordings", url=(tmp_path / "missing.zip").as_uri())


def test_an_fsdd_extraction_stopped_midway_writes_no_recording(tmp_path, digits, monkeypatch):
    monkeypatch.setattr(fsdd, "known_digests", lambda: {})
    archive = tmp_path / "fsdd.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for p in sorted(digits.glob("*_ann_*.wav")):
            zf.write(p, f"free-spoken-digit-dataset-1.0.10/recordings/{p.name}")
    real, reads = zipfile.ZipFile.read, []

    def stop_at_the_fifth(self, info, *args):
        reads.append(info)
        if len(reads) == 5:
            raise KeyboardInterrupt
        return real(self, info, *args)
    monkeypatch.setattr(zipfile.ZipFile, "read", stop_at_the_fifth)
    dest = tmp_path / "fetched" / "recordings"
    with pytest.raises(KeyboardInterrupt):
        fsdd.extract_fsdd(archive, dest)
    with pytest.raises(DataError, match="not found"):        # no partial dataset to train on
        fsdd.list_fsdd(dest)
    monkeypatch.setattr(zipfile.ZipFile, "read", real)
    assert len(fsdd.list_fsdd(fsdd.extract_fsdd(archive, dest))) == 30
    assert sorted(p.name for p in dest.parent.iterdir()) == ["recordings"]


def test_an_fsdd_archive_with_a_damaged_or_missing_recording_is_named_and_nothing_extracted(tmp_path, digits):
    known = digests_of(digits)
    archive = tmp_path / "fsdd.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for p in sorted(digits.glob("*.wav")):
            data = p.read_bytes()
            zf.writestr(f"fsdd/recordings/{p.name}", data[:-2] + b"\0\1" if p.name == "3_bob_1.wav" else data)
    dest = tmp_path / "fetched" / "recordings"
    with pytest.raises(DataError, match=r"fsdd\.zip: fsdd/recordings/3_bob_1\.wav .*is not the FSDD v1\.0\.10 "
                                        r"recording 3_bob_1\.wav: SHA-256 [0-9a-f]{64}, expected " + known["3_bob_1.wav"]):
        fsdd.extract_fsdd(archive, dest, digests=known)
    assert not dest.parent.exists() or not any(dest.parent.iterdir())
    with pytest.raises(DataError, match=r"lacks 1 FSDD v1\.0\.10 recordings, e\.g\. 9_cat_0\.wav"):
        fsdd.extract_fsdd(archive, dest, digests={**known, "9_cat_0.wav": "0" * 64})
    unchecked = {k: v for k, v in known.items() if k != "3_bob_1.wav"}
    assert len(fsdd.list_fsdd(fsdd.extract_fsdd(archive, dest, digests=unchecked))) == 60


def test_fetching_fsdd_into_a_folder_that_holds_it_checks_it_without_downloading(tmp_path, digits, monkeypatch):
    known = digests_of(digits)
    monkeypatch.setattr(fsdd, "known_digests", lambda: known)
    offline = (tmp_path / "no-such.zip").as_uri()
    assert fsdd.download_fsdd(digits, url=offline, progress=False) == digits
    (digits / "4_ann_2.wav").write_bytes(b"RIFF")
    with pytest.raises(DataError, match=r"recordings/4_ann_2\.wav is not the FSDD v1\.0\.10 recording"):
        fsdd.download_fsdd(digits, url=offline, progress=False)
    (digits / "4_ann_2.wav").unlink()
    with pytest.raises(DataError, match=r"recordings: 1 of the 60 FSDD v1\.0\.10 recordings checked are "
                                        r"missing, e\.g\. 4_ann_2\.wav; move the folder away"):
        fsdd.download_fsdd(digits, url=offline, progress=False)


def test_fetch_fsdd_with_a_root_uses_the_layout_the_loader_reads(tmp_path, digits, monkeypatch):
    from click.testing import CliRunner
    from stdpnet.cli import main

    known = digests_of(digits)
    monkeypatch.setattr(fsdd, "known_digests", lambda: known)
    shutil.copytree(digits, tmp_path / "data" / "fsdd" / "recordings")
    result = CliRunner().invoke(main, ["data", "fetch", "fsdd", "--root", str(tmp_path / "data")])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"stored in {tmp_path / 'data' / 'fsdd' / 'recordings'}"
    monkeypatch.setenv("STDPNET_DATASETS", str(tmp_path / "data"))
    assert fsdd.default_root() == tmp_path / "data" / "fsdd" / "recordings"


def test_the_shipped_fsdd_digests_name_fifty_repetitions_of_ten_digits_by_five_speakers():
    names = list(fsdd.known_digests())
    recs = [fsdd.NAME.match(n).groups() for n in names]
    assert len(names) == 2500 == len({(d, s, i) for d, s, i in recs})
    assert sorted({s for _, s, _ in recs}) == ["george", "jackson", "lucas", "nicolas", "theo"]
    assert {int(d) for d, _, _ in recs} == set(range(10)) and {int(i) for *_, i in recs} == set(range(50))
    assert all(len(v) == 64 and int(v, 16) >= 0 for v in fsdd.known_digests().values())


@needs_fsdd
def test_the_shared_fsdd_copy_is_byte_for_byte_the_one_the_digests_name():
    fsdd.verify_fsdd(SHARED)


# ----------------------------------------------------------------- NIST SPHERE and TI-46

BYTE_ORDERS = {"01": "<", "10": ">"}


def write_sphere(path: Path | str, samples: np.ndarray, sample_rate: int,
                 byte_format: str = "01", extra: dict | None = None) -> Path:
    """A SPHERE file of int16 PCM (float input in [-1, 1] is scaled), as TI-46 holds."""
    path = Path(path)
    samples = np.asarray(samples)
    if samples.dtype.kind == "f":
        samples = np.round(np.clip(samples, -1.0, 1.0 - 2 ** -15) * 32768.0)
    samples = samples.astype(np.int16)
    channels = 1 if samples.ndim == 1 else samples.shape[1]
    fields = {"database_id": "stdpnet", "sample_count": samples.shape[0],
              "sample_rate": int(sample_rate), "channel_count": channels,
              "sample_n_bytes": 2, "sample_byte_format": byte_format,
              "sample_coding": "pcm", **(extra or {})}
    lines = ["NIST_1A", f"{sphere.HEADER_SIZE:7d}"]
    for key, value in fields.items():
        if isinstance(value, (int, np.integer)):
            lines.append(f"{key} -i {int(value)}")
        elif isinstance(value, float):
            lines.append(f"{key} -r {value}")
        else:
            lines.append(f"{key} -s{len(str(value))} {value}")
    lines.append("end_head")
    header = ("\n".join(lines) + "\n").encode("ascii")
    if len(header) > sphere.HEADER_SIZE:
        raise ValueError("SPHERE header fields do not fit in 1024 bytes")
    dtype = np.dtype(f"{BYTE_ORDERS[byte_format]}i2")
    path.write_bytes(header.ljust(sphere.HEADER_SIZE, b" ") + samples.astype(dtype).tobytes())
    return path


@pytest.mark.parametrize("byte_format", ["01", "10"])
def test_sphere_round_trip(tmp_path, byte_format):
    samples = (np.random.default_rng(0).integers(-32768, 32767, 3001)).astype(np.int16)
    path = write_sphere(tmp_path / "a.sph", samples, 12500, byte_format=byte_format)
    assert path.stat().st_size == 1024 + 2 * 3001
    header = sphere.read_sphere_header(path)
    assert header["sample_rate"] == 12500 and header["sample_count"] == 3001
    assert header["sample_byte_format"] == byte_format and header["sample_coding"] == "pcm"
    data, rate = sphere.read_sphere(path)
    assert rate == 12500
    np.testing.assert_array_equal(np.round(data * 32768).astype(np.int16), samples)


def test_sphere_stereo_and_audio_sniffing(tmp_path):
    stereo = np.stack([np.arange(100), -np.arange(100)], axis=1).astype(np.int16)
    data, _ = sphere.read_sphere(write_sphere(tmp_path / "s.sph", stereo, 8000))
    assert data.shape == (100, 2)
    # TI-46 names its SPHERE files .wav: read_audio goes by content, and resamples.
    path = write_sphere(tmp_path / "00f1set0.wav", tone(500, rate=12500, seconds=1.0), 12500)
    x = audio.read_audio(path, 8000)
    assert len(x) == 8000 and abs(dominant_hz(x, 8000) - 500) <= 1


@pytest.mark.parametrize("extra, message", [
    ({"sample_coding": "pcm,embedded-shorten-v2.00"}, "shorten-compressed"),
    ({"sample_coding": "alaw"}, "'alaw' is not supported"),
    ({"sample_byte_format": "0123"}, "sample_byte_format"),
    ({"sample_count": 5000}, "truncated"),
])
def test_sphere_errors_are_clear(tmp_path, extra, message):
    path = write_sphere(tmp_path / "bad.sph", np.zeros(100, np.int16), 8000, extra=extra)
    with pytest.raises(DataError, match=message):
        sphere.read_sphere(path)


def test_not_sphere(tmp_path):
    path = tmp_path / "x.sph"
    path.write_bytes(b"RIFF....")
    with pytest.raises(DataError, match="not a NIST SPHERE"):
        sphere.read_sphere(path)


def test_ti46_walker_and_loader(tmp_path):
    top = tmp_path / "TI46" / "TI20"
    for part, speaker, name in [("TRAIN", "F1", "00F1SET0.WAV"), ("TRAIN", "F1", "03F1SET1.WAV"),
                                ("train", "m2", "09m2set0.sph"), ("TEST", "F1", "03F1S1T0.WAV"),
                                ("test", "m2", "00m2s2t1.sph"), ("TRAIN", "F1", "12F1SET0.WAV")]:
        folder = top / part / speaker
        folder.mkdir(parents=True, exist_ok=True)
        write_sphere(folder / name, chirp_word(12500), 12500)
    recs = ti46.list_ti46(tmp_path / "TI46")
    assert len(recs) == 5  # word 12 ('go' in TI-20) is not a digit
    by_name = {r.path.name: r for r in recs}
    assert by_name["03F1SET1.WAV"].digit == 3 and by_name["03F1SET1.WAV"].partition == "train"
    assert by_name["00m2s2t1.sph"].partition == "test" and by_name["00m2s2t1.sph"].speaker == "m2"
    d = ti46.load_ti46(tmp_path / "TI46", feature="cochlea", n_bands=16, n_frames=12)
    assert d["train_x"].shape == (3, 192) and d["test_x"].shape == (2, 192)
    assert sorted(d["train_y"].tolist()) == [0, 3, 9]
    (tmp_path / "other").mkdir()
    with pytest.raises(DataError, match="no TI-46 digit files"):
        ti46.list_ti46(tmp_path / "other")
    with pytest.raises(DataError, match="LDC93S9"):
        ti46.list_ti46(tmp_path / "missing")


def test_ti46_is_a_spoken_digit_dataset_of_the_speaker_split_and_its_folds(tmp_path):
    from stdpnet.data.load import load_dataset
    from stdpnet.experiments.folds import speaker_folds
    from stdpnet.spec import Data, Spec

    for part, speaker in [("train", "f1"), ("train", "f2"), ("test", "m1"), ("train", "m2")]:
        folder = tmp_path / "ti20" / part / speaker
        folder.mkdir(parents=True)
        for digit in range(3):
            for take in range(2):
                name = f"{digit:02d}{speaker}set{take}.sph" if part == "train" else f"{digit:02d}{speaker}s1t{take}.sph"
                word = chirp_word(12500, f0=200.0 + 150 * digit, f1=900.0 + 400 * digit + 30 * take)
                write_sphere(folder / name, word, 12500)
    data = Data(dataset="ti46", root=str(tmp_path), audio_split="speaker", test_speakers=["m1"],
                validation_speakers=["f2"], audio_bands=8, audio_frames=6)
    data.validate()
    d = load_dataset(data)
    assert d.n_input == 2 * 6 * 8 and d.time_major and d.n_classes == 3
    assert d.class_names == ("zero", "one", "two")     # for confusion matrices, labelling and rasters
    assert (len(d.train_y), len(d.val_y), len(d.test_y)) == (12, 6, 6)   # f1 + m2 / f2 / m1, 6 words each
    spec = Spec(name="t")
    spec.data = data
    _, grid = speaker_folds(spec)
    assert grid == {"data.test_speakers": [["f1"], ["m1"], ["m2"]]}      # f2 validates in every fold
    with pytest.raises(ConfigError, match=r"data.audio_split: must be 'speaker' for ti46"):
        Data(dataset="ti46", root=str(tmp_path)).validate()


# ----------------------------------------------------------------- features

@pytest.mark.parametrize("kind", features.KINDS)
def test_feature_shape_range_and_level_invariance(kind):
    f = features.AudioFeatures(kind, n_bands=16, n_frames=24)
    word = chirp_word()
    m = f.map(word)
    assert m.shape == (24, 16) and m.dtype == np.float32
    assert m.min() >= 0.0 and m.max() <= 1.0 and m.max() > 0.99
    np.testing.assert_allclose(f.map(0.1 * word), m, atol=1e-4)
    assert f.vector(word).shape == (f.n_inputs,) == (384,)
    assert features.extract_features([word, word[:1500]], kind=kind, n_bands=16, n_frames=24).shape == (2, 384)


@pytest.mark.parametrize("kind", ["logmel", "cochlea"])
def test_spectral_features_put_a_tone_in_the_right_band(kind):
    low = features.feature_map(tone(300), kind=kind, n_bands=20, n_frames=10)
    high = features.feature_map(tone(2500), kind=kind, n_bands=20, n_frames=10)
    assert low.mean(axis=0).argmax() < 6 < 12 < high.mean(axis=0).argmax()


def test_chirp_rises_across_time():
    m = features.feature_map(chirp_word(f0=200, f1=3000), kind="cochlea", n_bands=20, n_frames=10)
    peaks = m.argmax(axis=1)
    assert peaks[-2] > peaks[1] + 5


@pytest.mark.parametrize("kind", features.KINDS)
def test_deltas_follow_the_bands_and_flip_sign_when_the_word_is_played_backwards(kind):
    word = chirp_word(f0=300, f1=2500)
    plain = features.AudioFeatures(kind, n_bands=13, n_frames=20)
    both = features.AudioFeatures(kind, n_bands=13, n_frames=20, deltas=True)
    m, back = both.map(word), both.map(word[::-1].copy())[::-1]
    assert m.shape == both.shape == (20, 26) and both.n_inputs == 520
    np.testing.assert_array_equal(m[:, :13], plain.map(word))
    assert m[:, 13:].min() >= 0.0 and m[:, 13:].max() <= 1.0
    # Backwards, every band's slope changes sign: its delta x becomes 1 - x.
    np.testing.assert_allclose(back[:, 13:], 1.0 - m[:, 13:], atol=0.02)
    assert np.abs(back[:, 13:] - m[:, 13:]).max() > 0.5


def test_stretch_makes_durations_comparable_and_pad_keeps_them():
    slow = chirp_word(seconds=0.8)
    fast = chirp_word(seconds=0.4)
    s = [features.feature_map(w, kind="logmel", time_mode="stretch") for w in (slow, fast)]
    p = [features.feature_map(w, kind="logmel", n_frames=100, time_mode="pad") for w in (slow, fast)]
    assert np.abs(s[0] - s[1]).mean() < 0.05
    active = [(m.max(axis=1) > 0.3).sum() for m in p]
    assert 70 <= active[0] <= 82 and 32 <= active[1] <= 42  # ~80 and ~40 frames of 10 ms
    # the padded frames are silence: their slope columns read "flat" (0.5)
    d = features.feature_map(fast, kind="logmel", n_bands=13, n_frames=100, time_mode="pad", deltas=True)
    np.testing.assert_allclose(d[:20, 13:], 0.5)
    np.testing.assert_allclose(d[-20:, 13:], 0.5)


def test_trimming_drops_the_silence_around_the_word_only():
    word = chirp_word()
    late = np.concatenate([np.zeros(1600, np.float32), word, np.zeros(400, np.float32)])
    hiss = late + np.random.default_rng(0).normal(0, 1e-4, late.size).astype(np.float32)
    kept, trimmed = ([features.feature_map(w, kind="logmel", trim_db=db) for w in (word, hiss)]
                     for db in (0, 30))
    assert np.abs(kept[0] - kept[1]).mean() > 0.1        # a quarter of the map is lead-in
    assert np.abs(trimmed[0] - trimmed[1]).mean() < 0.05  # the word fills both maps
    with pytest.raises(DataError, match="trim_db"):
        features.AudioFeatures(trim_db=-1)


def test_feature_errors():
    with pytest.raises(DataError, match="kind must be one of"):
        features.AudioFeatures("wavelet")
    with pytest.raises(DataError, match="empty waveform"):
        features.feature_map(np.zeros(0, np.float32))
    with pytest.raises(DataError, match="mono"):
        features.feature_map(np.zeros((10, 2), np.float32))
    assert features.feature_map(tone(seconds=0.01)).shape == (20, 20)  # shorter than one window


def test_stages_for_a_figure():
    word = chirp_word()
    st = features.AudioFeatures("logmel", n_bands=16, n_frames=12).stages(word)
    assert st["waveform"].shape == st["time_s"].shape == word.shape
    assert st["spectrogram_db"].shape[0] == st["freq_hz"].shape[0] and st["map"].shape == (12, 16)


def test_erb_centres_are_increasing_and_evenly_spaced_in_erb_rate():
    c = features.erb_centers(20, 100, 3600)
    assert c[0] == pytest.approx(100) and c[-1] == pytest.approx(3600)
    np.testing.assert_allclose(np.diff(features.erb_rate(c)), np.diff(features.erb_rate(c))[0])


# ----------------------------------------------------------------- espeak-ng

def test_missing_espeak_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match="not found on PATH.*apt-get install -y espeak-ng"):
        synth.synthesize_digits(tmp_path, espeak="no-such-espeak-binary")


def test_synthesis_stopped_midway_leaves_no_recording_and_no_manifest(tmp_path, monkeypatch):
    import sys
    spoken, stop_at = [], [15]

    def speak(exe, voice, speed, pitch, word, out):   # a stand-in for espeak-ng
        if len(spoken) == stop_at[0]:
            raise KeyboardInterrupt
        spoken.append(word)
        audio.write_wav(out, tone(seconds=0.2), 8000)
    monkeypatch.setattr(synth, "_speak", speak)
    dest = tmp_path / "voices" / "recordings"
    args = dict(voices=["a", "b"], speeds=[160], pitches=[50], espeak=sys.executable,
                progress=False)
    with pytest.raises(KeyboardInterrupt):
        synth.synthesize_digits(dest, **args)
    assert spoken and not dest.exists()
    assert list((tmp_path / "voices").iterdir()) == []          # nor a staging folder
    stop_at[0] = None
    synth.synthesize_digits(dest, **args)
    assert len(fsdd.list_fsdd(dest)) == 20 and (dest / "manifest.csv").is_file()
    synth.synthesize_digits(dest, **{**args, "voices": ["a"]})     # a voice dropped: its files go
    assert {r.speaker for r in fsdd.list_fsdd(dest)} == {"a"} and len(fsdd.list_fsdd(dest)) == 10
    assert (dest / "manifest.csv").read_text().count("\n") == 11
    audio.write_wav(dest / "3_jackson_0.wav", tone(seconds=0.2), 8000)   # not a synthesis's file
    with pytest.raises(DataError, match=r"recordings.* holds 1 recordings that no synthesis listed .*3_jackson_0"):
        synth.synthesize_digits(dest, **args)
    assert (dest / "3_jackson_0.wav").exists() and len(fsdd.list_fsdd(dest)) == 11
    (dest / "3_jackson_0.wav").unlink()
    (dest / "manifest.csv").unlink()         # a synthesis stopped midway: its voice's files, no manifest
    synth.synthesize_digits(dest, **{**args, "voices": ["a"]})
    assert len(fsdd.list_fsdd(dest)) == 10 and (dest / "manifest.csv").is_file()
    stop_at[0], spoken[:] = 5, []           # stopped while replacing: the old list is kept aside
    with pytest.raises(KeyboardInterrupt):
        synth.synthesize_digits(dest, **{**args, "voices": ["b"]})
    assert not (dest / "manifest.csv").exists() and (dest / "manifest.csv.replacing").exists()
    stop_at[0] = None
    synth.synthesize_digits(dest, **{**args, "voices": ["b"]})  # a's files were listed: replaced
    assert {r.speaker for r in fsdd.list_fsdd(dest)} == {"b"} and not (dest / "manifest.csv.replacing").exists()


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")
def test_synthesized_digits_follow_the_fsdd_layout(tmp_path):
    dest = synth.synthesize_digits(tmp_path / "rec", voices=["en-us", "en-us+f3"], speeds=[160],
                                   pitches=[50], repeats=2, progress=False)
    recs = fsdd.list_fsdd(dest)
    assert len(recs) == 40 and {r.speaker for r in recs} == {"en-us", "en-us-f3"}
    info = soundfile.info(str(dest / "7_en-us-f3_1.wav"))
    assert (info.samplerate, info.channels, info.subtype) == (8000, 1, "PCM_16")
    assert 0.2 < info.duration < 1.5
    a, b = (audio.read_audio(dest / f"7_en-us_{i}.wav") for i in (0, 1))
    assert len(a) != len(b) or not np.allclose(a, b)  # repeats are jittered, not copies
    assert (dest / "manifest.csv").read_text().count("\n") == 41
    with pytest.raises(DataError, match="voice 'xx-nonexistent'"):
        synth.synthesize_digits(tmp_path / "bad", voices=["xx-nonexistent"], progress=False)


def test_speed_perturbation_scales_pitch_and_duration():
    x = tone(400.0, seconds=0.5)
    fast = audio.speed_perturb(x, 1.25)
    assert len(fast) == pytest.approx(len(x) / 1.25, abs=2)
    assert dominant_hz(fast, 8000) == pytest.approx(500.0, abs=10)


def test_perturbed_copies_join_the_training_part_only(tmp_path):
    from stdpnet.data.load import load_spoken_digits
    from stdpnet.spec import Data

    for s, speaker in enumerate(("ann", "bob", "cat")):     # one trains, one validates, one tests
        for digit in range(10):
            audio.write_wav(tmp_path / f"{digit}_{speaker}_0.wav", tone(200 + 100 * digit + 20 * s, seconds=0.2))
    data = Data(dataset="fsdd", root=str(tmp_path), audio_split="speaker", test_speakers=["cat"],
                audio_bands=8, audio_frames=8)
    plain = load_spoken_digits(data)
    data.audio_perturb = [0.9, 1.1]
    moved = load_spoken_digits(data)
    n = len(plain["train_y"])
    assert len(moved["train_y"]) == 3 * n
    np.testing.assert_array_equal(moved["train_x"][:n], plain["train_x"])
    np.testing.assert_array_equal(moved["train_y"], np.tile(plain["train_y"], 3))
    assert moved["train_files"][n].endswith("@0.9") and not (moved["train_x"][n:2 * n] == plain["train_x"]).all()
    for part in ("val", "test"):
        np.testing.assert_array_equal(moved[f"{part}_x"], plain[f"{part}_x"])
    data.audio_perturb = [1.0]
    with pytest.raises(ConfigError, match="data.audio_perturb"):
        data.validate()
    data.audio_perturb, data.audio_deltas = [], True
    deltas = load_spoken_digits(data)
    assert deltas["train_x"].shape == (n, 2 * plain["train_x"].shape[1])
    assert deltas["feature_shape"] == (8, 16)


def test_a_recording_rewritten_in_place_is_read_again(tmp_path):
    """The features are cached per process; a file rewritten under its name
    (the folder's own time unchanged) is not served from the cache."""
    import os

    from stdpnet.data.load import load_spoken_digits
    from stdpnet.spec import Data

    for s, speaker in enumerate(("ann", "bob", "cat")):
        for digit in range(10):
            audio.write_wav(tmp_path / f"{digit}_{speaker}_0.wav", tone(200 + 100 * digit + 20 * s, seconds=0.2))
    data = Data(dataset="fsdd", root=str(tmp_path), audio_split="speaker", test_speakers=["cat"],
                audio_bands=8, audio_frames=8)
    before = load_spoken_digits(data)
    folder_time = tmp_path.stat().st_mtime_ns
    audio.write_wav(tmp_path / "3_ann_0.wav", tone(1900.0, seconds=0.4))
    os.utime(tmp_path, ns=(folder_time, folder_time))
    after = load_spoken_digits(data)
    row = before["train_files"].index("3_ann_0.wav")
    assert not np.array_equal(after["train_x"][row], before["train_x"][row])
    np.testing.assert_array_equal(np.delete(after["train_x"], row, 0), np.delete(before["train_x"], row, 0))


def test_extra_voices_join_the_training_part_only(tmp_path):
    from stdpnet.data.load import load_dataset, load_spoken_digits
    from stdpnet.spec import Data

    main, extra = tmp_path / "main", tmp_path / "extra"
    main.mkdir(), extra.mkdir()
    for s, speaker in enumerate(("ann", "bob", "cat")):     # one trains, one validates, one tests
        for digit in range(10):
            audio.write_wav(main / f"{digit}_{speaker}_0.wav", tone(200 + 100 * digit + 20 * s, seconds=0.2))
    for s, speaker in enumerate(("robot", "robot-f3")):
        for digit in range(10):
            audio.write_wav(extra / f"{digit}_{speaker}_0.wav", tone(230 + 100 * digit + 10 * s, seconds=0.3))
    data = Data(dataset="fsdd", root=str(main), audio_split="speaker", test_speakers=["cat"],
                audio_bands=8, audio_frames=8, audio_perturb=[1.1])
    plain = load_spoken_digits(data)
    data.audio_extra_root = str(extra)
    more = load_spoken_digits(data)
    n = 10                                   # ann's recordings; bob validates, cat is test
    assert set(more["train_speakers"]) == {"ann", "robot", "robot-f3"}
    assert len(more["train_y"]) == 2 * (n + 20)          # each extra recording gets its speed copy too
    np.testing.assert_array_equal(more["train_x"][:n], plain["train_x"][:n])
    np.testing.assert_array_equal(more["train_y"][n:n + 20], np.tile(np.arange(10), 2))
    assert more["train_files"][n] == str(extra / "0_robot_0.wav")
    for part in ("val", "test"):
        np.testing.assert_array_equal(more[f"{part}_x"], plain[f"{part}_x"])
        assert set(more[f"{part}_speakers"]).isdisjoint({"robot", "robot-f3"})
    assert load_dataset(data).train_x.shape == (60, 2 * 64)   # ON/OFF inputs of 8 frames x 8 bands

    audio.write_wav(extra / "3_bob_0.wav", tone(500, seconds=0.2))      # a voice of the main folder
    with pytest.raises(DataError, match=r"audio_extra_root: speakers \['bob'\]"):
        load_spoken_digits(data)
    data.audio_extra_root = str(tmp_path / "missing")
    with pytest.raises(DataError, match="audio_extra_root: folder .*missing not found"):
        load_spoken_digits(data)
    with pytest.raises(ConfigError, match="data.audio_extra_root"):
        Data(dataset="mnist", audio_extra_root=str(extra)).validate()


def test_speaker_standardisation_takes_out_what_is_common_to_a_voice(tmp_path):
    from stdpnet.data.encode import audio_encoder
    from stdpnet.data.load import load_dataset
    from stdpnet.spec import Data

    rng = np.random.default_rng(0)
    words = rng.normal(size=(20, 6))
    parts = {"train_x": np.concatenate([words, words * 2 + 5]), "train_speakers": ["ann"] * 20 + ["bob"] * 20,
             "val_x": words - 3, "val_speakers": ["cat"] * 20,
             "test_x": words[:10] * 0.5 + 7, "test_speakers": ["dan"] * 10}
    data = Data(dataset="fsdd", audio_standardise="speaker", audio_on_off_z=100.0)
    encode = audio_encoder(data, parts)
    signed = lambda x, who: 100.0 * (lambda c: c[:, :6] - c[:, 6:])(encode(x, who))   # noqa: E731
    ann = signed(words, ["ann"] * 20)
    np.testing.assert_allclose(ann.mean(axis=0), 0, atol=1e-9)
    np.testing.assert_allclose(ann.std(axis=0), 1, atol=1e-5)
    # a voice that scales and shifts every feature is read as the same words
    np.testing.assert_allclose(signed(words * 2 + 5, ["bob"] * 20), ann, atol=1e-5)
    np.testing.assert_allclose(signed(words - 3, ["cat"] * 20), ann, atol=1e-5)
    dan = signed(words[:10] * 0.5 + 7, ["dan"] * 10)       # from its own recordings only, no labels
    np.testing.assert_allclose(dan, (words[:10] - words[:10].mean(0)) / words[:10].std(0), atol=1e-4)
    # with the training set's statistics, a shifted voice is not the same input
    plain = audio_encoder(Data(dataset="fsdd", audio_on_off_z=100.0), parts)
    assert not np.allclose(plain(words - 3), plain(words))
    with pytest.raises(DataError, match="needs the speaker of every recording"):
        encode(words)
    with pytest.raises(DataError, match=r"speakers \['eve'\]"):
        encode(words[:1], ["eve"])
    with pytest.raises(ConfigError, match="data.audio_standardise"):
        Data(dataset="fsdd", audio_standardise="utterance").validate()
    with pytest.raises(ConfigError, match="data.audio_standardise.*audio_encoding"):
        Data(dataset="fsdd", audio_standardise="speaker", audio_encoding="map").validate()
    with pytest.raises(ConfigError, match="data.audio_standardise.*audio_split"):   # would pool test repetitions
        Data(dataset="fsdd", audio_standardise="speaker").validate()

    # through the loader: every speaker's inputs, the held-out ones included, centred on its own mean
    for s, speaker in enumerate(("ann", "bob", "cat")):     # one trains, one validates, one tests
        for digit in range(10):
            audio.write_wav(tmp_path / f"{digit}_{speaker}_0.wav", tone(200 + 100 * digit + 20 * s, seconds=0.2))
    files = Data(dataset="fsdd", root=str(tmp_path), audio_split="speaker", test_speakers=["cat"],
                 audio_bands=8, audio_frames=8, audio_standardise="speaker", audio_on_off_z=100.0,
                 audio_perturb=[1.1])
    files.validate()
    d = load_dataset(files)
    assert d.train_x.shape == (20, 128) and d.val_x.shape == d.test_x.shape == (10, 128)
    for x in (d.train_x, d.val_x, d.test_x):
        np.testing.assert_allclose((x[:, :64] - x[:, 64:]).mean(axis=0), 0, atol=1e-6)
    files.refit = True                 # the validation voice trains: no validation part to take statistics of
    d = load_dataset(files)
    assert d.train_x.shape == (40, 128) and len(d.val_x) == 0
    np.testing.assert_allclose((d.test_x[:, :64] - d.test_x[:, 64:]).mean(axis=0), 0, atol=1e-6)


def test_synth_digits_command_takes_voices(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from stdpnet.cli import main

    asked = []
    monkeypatch.setattr(synth, "synthesize_digits", lambda out, **kw: asked.append(kw) or out)
    cli = CliRunner()
    assert cli.invoke(main, ["data", "synth-digits", "--out", str(tmp_path), "--voices",
                             "en-us, en-gb+f2,", "--repeats", "2"]).exit_code == 0
    assert cli.invoke(main, ["data", "synth-digits", "--out", str(tmp_path)]).exit_code == 0
    assert asked[0]["voices"] == ["en-us", "en-gb+f2"] and asked[0]["repeats"] == 2
    assert list(asked[1]["voices"]) == list(synth.DEFAULT_VOICES)
    (tmp_path / synth.MANIFEST).write_text("kept")
    for option, value in (("--seed", "-5"), ("--repeats", "0")):   # refused before the folder is touched
        result = cli.invoke(main, ["data", "synth-digits", "--out", str(tmp_path), option, value])
        assert result.exit_code == 2 and option in result.output and len(asked) == 2
    assert (tmp_path / synth.MANIFEST).read_text() == "kept"


def test_synthetic_voices_are_written_on_first_use(tmp_path, monkeypatch):
    from stdpnet.cli import _ensure_data
    from stdpnet.spec import Spec

    monkeypatch.setenv("STDPNET_DATASETS", str(tmp_path))
    written = []
    def synthesize():
        written.append(synth.default_root())
        synth.default_root().mkdir(parents=True, exist_ok=True)
        (synth.default_root() / "manifest.csv").write_text("file\n")
    monkeypatch.setattr(synth, "synthesize_digits", synthesize)
    spec = Spec()
    spec.data.dataset = "fsdd"
    _ensure_data(spec)
    own = Spec()
    own.data.dataset, own.data.root = "synth_digits", str(tmp_path / "mine")
    _ensure_data(own)                                       # a folder of the user's is not written
    assert written == []                                    # no synthetic voice asked for
    spec.data.audio_extra_root = "synth_digits"
    _ensure_data(spec)
    _ensure_data(spec)                                      # written once, then found
    assert written == [tmp_path / "synth_digits" / "recordings"]
    written.clear()
    (synth.default_root() / "manifest.csv").unlink()       # a writing stopped before its last file
    own.data.root = ""                                      # the dataset itself, from the default folder
    _ensure_data(own)
    assert written == [tmp_path / "synth_digits" / "recordings"]


def test_validation_repetitions_that_hold_out_every_training_recording_are_an_error():
    """Eight repetitions per digit: the test part takes 0-4, so repetitions
    5-7 as validation would leave nothing to train on."""
    from stdpnet.data.load import validation_recordings
    from stdpnet.errors import ConfigError
    from stdpnet.spec import Data

    files = [f"{d}_ana_{r}.wav" for d in range(2) for r in (5, 6, 7)]
    with pytest.raises(ConfigError, match=r"data.validation_indices: \[5, 6, 7\] hold out every training"):
        validation_recordings(Data(dataset="fsdd", validation_indices=[5, 6, 7]), files, ["ana"] * 6)
    held = validation_recordings(Data(dataset="fsdd", validation_indices=[7]), files, ["ana"] * 6)
    assert held.tolist() == [False, False, True] * 2


def test_speaker_names_and_test_repetitions_are_refused_outside_their_split():
    """Speakers named under the index split (where every voice is in every
    part) and validation repetitions that are test repetitions are errors,
    not settings read as nothing."""
    from stdpnet.data.load import validation_recordings
    from stdpnet.errors import ConfigError
    from stdpnet.spec import Data

    for key in ("test_speakers", "validation_speakers"):
        with pytest.raises(ConfigError, match=rf"data.{key}.*audio_split = 'speaker'"):
            Data(dataset="fsdd", **{key: ["carol"]}).validate()
        Data(dataset="fsdd", audio_split="speaker", **{key: ["carol"]}).validate()
    files = [f"{d}_ana_{r}.wav" for d in range(2) for r in (5, 6, 7)]
    with pytest.raises(ConfigError, match=r"data.validation_indices: \[4\] are test repetitions"):
        validation_recordings(Data(dataset="fsdd", validation_indices=[4, 7]), files, ["ana"] * 6)


def test_recordings_of_one_digit_or_a_digit_never_trained_are_refused(tmp_path):
    from stdpnet.data.load import load_spoken_digits
    from stdpnet.spec import Data

    one = tmp_path / "one"
    one.mkdir()
    for speaker in ("ann", "bob", "cat"):
        audio.write_wav(one / f"3_{speaker}_0.wav", tone(500, seconds=0.2))
    data = Data(dataset="fsdd", root=str(one), audio_split="speaker", test_speakers=["cat"],
                audio_bands=8, audio_frames=8)
    with pytest.raises(DataError, match=r"one: the training recordings \(speaker split\) hold the digits \[3\]"):
        load_spoken_digits(data)
    unseen = tmp_path / "unseen"
    unseen.mkdir()
    for speaker, digits in (("ann", (0, 1)), ("bob", (0, 1)), ("cat", (0, 1, 2))):   # only cat says 2
        for digit in digits:
            audio.write_wav(unseen / f"{digit}_{speaker}_0.wav", tone(200 + 100 * digit, seconds=0.2))
    data.root = str(unseen)
    with pytest.raises(DataError, match=r"unseen: the test recordings \(speaker split\) hold digits \[2\] "
                                        "that no training recording says"):
        load_spoken_digits(data)


def test_two_speakers_are_too_few_for_a_speaker_split_and_the_error_says_why(tmp_path):
    from stdpnet.data.load import load_spoken_digits
    from stdpnet.errors import ConfigError
    from stdpnet.spec import Data

    for speaker in ("ann", "bob"):
        for digit in (0, 1):
            audio.write_wav(tmp_path / f"{digit}_{speaker}_0.wav", tone(200 + 100 * digit, seconds=0.2))
    data = Data(dataset="fsdd", root=str(tmp_path), audio_split="speaker", audio_bands=8, audio_frames=8)
    with pytest.raises(ConfigError, match=r"needs a training, a validation and a test speaker; the training "
                                          r"side holds \['ann'\]"):
        load_spoken_digits(data)
