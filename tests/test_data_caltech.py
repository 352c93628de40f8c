import hashlib
import io
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from stdpnet.data import caltech, images
from stdpnet.errors import DataError

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared" / "datasets" / "caltech101_subset"


def jpeg_bytes(seed, size=(60, 40), mode="RGB"):
    r = np.random.default_rng(seed)
    shape = (size[1], size[0], 3) if mode == "RGB" else (size[1], size[0])
    buf = io.BytesIO()
    Image.fromarray(r.integers(0, 256, shape, dtype=np.uint8), mode).save(buf, "JPEG")
    return buf.getvalue()


@pytest.fixture
def tiny(tmp_path):
    """Three classes of 6 small images each (one grayscale) plus a stray non-image."""
    root = tmp_path / "caltech"
    for c, name in enumerate(["cats", "dogs", "cars"]):
        (root / name).mkdir(parents=True)
        for i in range(6):
            mode = "L" if (c, i) == (1, 3) else "RGB"
            (root / name / f"image_{i + 1:04d}.jpg").write_bytes(jpeg_bytes(10 * c + i, mode=mode))
    (root / "cats" / "notes.txt").write_text("not an image")
    return root


def test_load_tiny_folder_shapes_ranges_and_split(tiny):
    d = caltech.load_caltech(tiny, ["cats", "dogs", "cars"], size=(16, 12), n_train_per_class=4, seed=1)
    assert d["train_x"].shape == (12, 2 * 16 * 12) and d["test_x"].shape == (6, 2 * 16 * 12)
    assert d["train_x"].dtype == np.float32 and d["train_y"].dtype == np.int64
    for x in (d["train_x"], d["test_x"]):
        assert x.min() >= 0.0 and x.max() <= 1.0
        np.testing.assert_allclose(x.max(axis=1), 1.0)  # each image's strongest edge is rate 1
    assert np.bincount(d["train_y"]).tolist() == [4, 4, 4]
    assert set(d["train_files"]).isdisjoint(d["test_files"])
    assert len(set(d["train_files"]) | set(d["test_files"])) == 18
    assert all(f.startswith(("cats/", "dogs/", "cars/")) for f in d["train_files"])
    again = caltech.load_caltech(tiny, ["cats", "dogs", "cars"], size=(16, 12), n_train_per_class=4, seed=1)
    assert again["train_files"] == d["train_files"]
    other = caltech.load_caltech(tiny, ["cats", "dogs", "cars"], size=(16, 12), n_train_per_class=4, seed=2)
    assert other["train_files"] != d["train_files"]


def test_split_of_a_class_does_not_depend_on_the_other_classes(tiny):
    both = caltech.load_caltech(tiny, ["cats", "dogs"], size=8, n_train_per_class=3, seed=5, preprocess="gray")
    one = caltech.load_caltech(tiny, ["dogs"], size=8, n_train_per_class=3, seed=5, preprocess="gray")
    assert [f for f in both["train_files"] if f.startswith("dogs/")] == one["train_files"]


def test_missing_class_names_the_folder(tiny):
    with pytest.raises(DataError, match=r"class 'birds'.*birds.*not found.*cars, cats, dogs"):
        caltech.load_caltech(tiny, ["cats", "birds"], n_train_per_class=2)


def test_empty_class_names_the_folder(tiny):
    (tiny / "empty").mkdir()
    (tiny / "empty" / "readme.txt").write_text("x")
    with pytest.raises(DataError, match=r"class 'empty'.*empty.*no images"):
        caltech.load_caltech(tiny, ["cats", "empty"], n_train_per_class=2)


def test_missing_root_is_clear(tmp_path):
    with pytest.raises(DataError, match="not found"):
        caltech.load_caltech(tmp_path / "nowhere")


@pytest.mark.parametrize("content", [b"", b"this is not a jpeg at all", "truncated"])
def test_corrupt_image_names_the_file(tiny, content):
    bad = tiny / "dogs" / "image_0002.jpg"
    bad.write_bytes(bad.read_bytes()[:300] if content == "truncated" else content)
    with pytest.raises(DataError, match=r"cannot read image .*dogs.image_0002\.jpg"):
        caltech.load_caltech(tiny, ["cats", "dogs"], size=8, n_train_per_class=3)


def test_too_few_images_for_the_split(tiny):
    with pytest.raises(DataError, match=r"class 'cats' has 6 images"):
        caltech.load_caltech(tiny, ["cats"], n_train_per_class=6)


def test_preprocess_modes_and_stages():
    r = np.random.default_rng(0)
    image = r.random((50, 70)).astype(np.float32)
    for mode, n in [("on_off", 2 * 28 * 28), ("dog", 28 * 28), ("gray", 28 * 28)]:
        v = images.preprocess_image(image, 28, mode)
        assert v.shape == (n,) == (images.n_inputs(28, mode),) and v.dtype == np.float32
        assert 0.0 <= v.min() and v.max() <= 1.0
    stages = images.preprocess_stages(image, (20, 24), sigmas=(1.0, 3.0))
    assert list(stages) == ["original", "gray", "center", "surround", "dog", "on", "off"]
    assert stages["gray"].shape == stages["on"].shape == (20, 24)
    on_off = images.preprocess_image(image, (20, 24), "on_off", sigmas=(1.0, 3.0))
    np.testing.assert_allclose(on_off, np.concatenate([stages["on"].ravel(), stages["off"].ravel()]))
    # ON and OFF never fire at the same pixel, and ON marks where centre > surround.
    assert not np.any((stages["on"] > 0) & (stages["off"] > 0))
    assert np.array_equal(stages["on"] > 0, stages["dog"] > 0)
    with pytest.raises(DataError, match="sigmas"):
        images.preprocess_image(image, 28, sigmas=(2.0, 1.0))


def test_uniform_image_has_no_edges():
    v = images.preprocess_image(np.full((30, 30), 0.7, dtype=np.float32), 16)
    assert np.all(v == 0)


def test_fit_modes_keep_shape():
    wide = np.zeros((20, 80), dtype=np.float32)
    wide[:, 35:45] = 1.0
    for fit in images.FITS:
        assert images.to_gray(wide, (16, 16), fit).shape == (16, 16)
    cropped = images.to_gray(wide, (16, 16), "crop")
    assert cropped[:, 8].mean() > 0.9 and cropped[:, 0].mean() < 0.1  # the bar fills the centre


def _tar_gz(files):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_extract_chosen_classes_from_official_style_archive(tmp_path):
    files = {f"101_ObjectCategories/{c}/image_{i:04d}.jpg": jpeg_bytes(i)
             for c in ["watch", "ant", "Leopards"] for i in (1, 2)}
    files["101_ObjectCategories/BACKGROUND_Google/tmp"] = b"stray"
    files["101_ObjectCategories/watch/../../evil.jpg"] = b"escape attempt"
    archive = tmp_path / "caltech-101.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("caltech-101/101_ObjectCategories.tar.gz", _tar_gz(files))
        zf.writestr("caltech-101/Annotations.tar", b"ignored")
    dest = tmp_path / "out"
    assert caltech.extract_caltech101(archive, dest, ["watch", "Leopards"]) == dest
    assert sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file()) == [
        "Leopards/image_0001.jpg", "Leopards/image_0002.jpg", "watch/image_0001.jpg", "watch/image_0002.jpg"]
    assert not (tmp_path / "evil.jpg").exists()
    d = caltech.load_caltech(dest, ["watch", "Leopards"], size=8, n_train_per_class=1)
    assert d["train_x"].shape == (2, 128)
    with pytest.raises(DataError, match="classes not found.*Faces_easy"):
        caltech.extract_caltech101(archive, tmp_path / "o2", ["watch", "Faces_easy"])
    assert not (tmp_path / "o2").exists()                 # no class written when one is missing


def test_an_extraction_stopped_midway_leaves_the_dataset_folder_as_it_was(tmp_path, monkeypatch):
    files = {f"101_ObjectCategories/{c}/image_{i:04d}.jpg": jpeg_bytes(i)
             for c in ["ant", "watch"] for i in (1, 2)}
    archive = tmp_path / "c.tar.gz"
    archive.write_bytes(_tar_gz(files))
    written = []

    def stop_after_two(target, data, counts):
        if len(written) == 2:
            raise KeyboardInterrupt
        written.append(target)
        real(target, data, counts)
    real = caltech._write
    monkeypatch.setattr(caltech, "_write", stop_after_two)
    with pytest.raises(KeyboardInterrupt):
        caltech.extract_caltech101(archive, tmp_path / "new", ["ant", "watch"])
    assert not (tmp_path / "new").exists() and written            # nothing half-written shows
    (tmp_path / "old" / "ant").mkdir(parents=True)
    (tmp_path / "old" / "ant" / "mine.jpg").write_bytes(b"kept")
    written.clear()
    with pytest.raises(KeyboardInterrupt):
        caltech.extract_caltech101(archive, tmp_path / "old", ["ant", "watch"])
    assert [p.name for p in (tmp_path / "old").rglob("*") if p.is_file()] == ["mine.jpg"]
    monkeypatch.setattr(caltech, "_write", real)
    caltech.extract_caltech101(archive, tmp_path / "old", ["ant", "watch"])  # run again: complete
    assert len([p for p in (tmp_path / "old").rglob("*.jpg")]) == 5
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []   # no leftovers


def test_download_caltech101_from_a_local_url(tmp_path):
    archive = tmp_path / "served.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("caltech-101/101_ObjectCategories.tar.gz",
                    _tar_gz({"101_ObjectCategories/watch/image_0001.jpg": jpeg_bytes(3)}))
    dest = tmp_path / "datasets" / "caltech101"
    with pytest.raises(DataError, match=r"served.zip: MD5 .* does not match the published 3138e19"):
        caltech.download_caltech101(dest, ["watch"], url=archive.as_uri(), progress=False)   # not the official
    assert not (dest.parent / "caltech-101.zip").exists() and not list(dest.parent.glob("*.part"))
    md5 = hashlib.md5(archive.read_bytes()).hexdigest()
    assert caltech.download_caltech101(dest, ["watch"], url=archive.as_uri(), progress=False, md5=md5) == dest
    assert (dest / "watch" / "image_0001.jpg").is_file()
    assert (dest.parent / "caltech-101.zip").is_file()  # kept: a second call does not download
    with pytest.raises(DataError, match=r"caltech-101.zip \(kept from an earlier download; delete it"):
        caltech.download_caltech101(dest, ["watch"], url="http://nowhere.invalid/x.zip", progress=False)


def test_extract_from_plain_tar_gz_and_corrupt_archive(tmp_path):
    tgz = tmp_path / "101_ObjectCategories.tar.gz"
    tgz.write_bytes(_tar_gz({"101_ObjectCategories/ant/image_0001.jpg": jpeg_bytes(1)}))
    caltech.extract_caltech101(tgz, tmp_path / "a", ["ant"])
    assert (tmp_path / "a" / "ant" / "image_0001.jpg").is_file()
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 nonsense")
    with pytest.raises(DataError, match="broken.zip"):
        caltech.extract_caltech101(broken, tmp_path / "b", ["ant"])


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared Caltech-101 subset not present")
def test_shared_subset_loads_with_a_balanced_seeded_split():
    d = caltech.load_caltech(SHARED, n_train_per_class=30, n_test_per_class=20, seed=0)
    assert d["class_names"] == list(caltech.SUBSET_CLASSES)
    assert d["train_x"].shape == (150, 1568) and d["test_x"].shape == (100, 1568)
    assert np.bincount(d["train_y"]).tolist() == [30] * 5
    assert 0.0 <= d["test_x"].min() and d["test_x"].max() <= 1.0
    assert set(d["train_files"]).isdisjoint(d["test_files"])


@pytest.mark.parametrize("member", ["101_ObjectCategories/../evil.jpg", "101_ObjectCategories/./a.jpg",
                                    "x/101_ObjectCategories/ant/.hidden.jpg"])
def test_archive_members_that_would_climb_out_or_hide_are_not_extracted(tmp_path, member):
    assert caltech._target(member, tmp_path / "dest", None) is None
    assert caltech._target("x/101_ObjectCategories/ant/a.jpg", tmp_path / "dest", None) == tmp_path / "dest/ant/a.jpg"
