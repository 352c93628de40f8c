"""Caltech-101 subsets: a class-per-subfolder image folder (``stdpnet.data.folder``)
with Caltech's default classes, location and download.

Any folder laid out as ``<root>/<class>/<image>.jpg`` works; the default five
classes are the ones in ``../shared/datasets/caltech101_subset``. The
preprocessing (grey, resize, ON/OFF difference of Gaussians) is
``stdpnet.data.images``.
"""
from __future__ import annotations

import tarfile
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import Iterable, Sequence

from ..errors import DataError
from .fetch import download, staged
from .folder import load_folder
from .paths import datasets_root

# the five classes of the shared subset and of `stdpnet data fetch caltech101`; a spec with
# data.classes = [] trains on three of them (image_sets.CALTECH_CLASSES)
SUBSET_CLASSES = ("Faces_easy", "Motorbikes", "airplanes", "watch", "Leopards")
CALTECH101_URL = "https://data.caltech.edu/records/mzrjq-6wc02/files/caltech-101.zip"
CALTECH101_MD5 = "3138e1922a9193bfa496528edbbc45d0"   # as torchvision publishes it for this URL
INNER_ARCHIVE = "101_ObjectCategories.tar.gz"
CATEGORY_DIR = "101_ObjectCategories"


# --------------------------------------------------------------------------- dataset

def load_caltech(root: Path | str | None = None, classes: Sequence[str] = SUBSET_CLASSES,
                 **options) -> dict:
    """``stdpnet.data.folder.load_folder`` of a Caltech class subset
    (``options``: its size, split and preprocessing keywords); ``root``
    defaults to ``<datasets>/caltech101``."""
    root = Path(root) if root is not None else default_root()
    if not root.is_dir():
        raise DataError(f"Caltech folder {root} not found: expected <root>/<class>/*.jpg "
                        f"(fetch with `stdpnet data fetch caltech101`)")
    return load_folder(root, list(classes), **options)


def default_root() -> Path:
    return datasets_root() / "caltech101"


# --------------------------------------------------------------------------- download

def download_caltech101(dest: Path | str | None = None, classes: Iterable[str] | None = SUBSET_CLASSES,
                        url: str = CALTECH101_URL, progress: bool = True,
                        md5: str | None = CALTECH101_MD5) -> Path:
    """Fetch the official archive (about 130 MB), check its published MD5,
    and extract ``classes`` (None = all 101 + background) into ``dest``
    (default ``<datasets>/caltech101``). The zip is kept beside it, so a
    second call does not download again (it is checked again)."""
    dest = Path(dest) if dest is not None else default_root()
    archive = download(url, dest.parent / "caltech-101.zip", progress=progress, md5=md5)
    return extract_caltech101(archive, dest, classes)


def extract_caltech101(archive: Path | str, dest: Path | str,
                       classes: Iterable[str] | None = SUBSET_CLASSES) -> Path:
    """Extract ``classes`` from the official zip (which wraps
    101_ObjectCategories.tar.gz) or from that tar.gz itself into ``dest/<class>/``.

    Only plain files directly inside ``101_ObjectCategories/<class>/`` are
    written, under their base names, so archive paths cannot escape ``dest``.
    """
    archive, dest = Path(archive), Path(dest)
    wanted = None if classes is None else set(classes)
    if not archive.is_file():
        raise DataError(f"Caltech-101 archive {archive} not found")
    counts: dict[str, int] = {}
    with staged(dest) as stage:   # every class asked for, or (stopped, broken) nothing
        try:
            if zipfile.is_zipfile(archive):
                with zipfile.ZipFile(archive) as zf:
                    inner = [n for n in zf.namelist() if PurePosixPath(n).name == INNER_ARCHIVE]
                    if inner:
                        with zf.open(inner[0]) as stream, \
                                tarfile.open(fileobj=stream, mode="r|gz") as tf:
                            _extract_tar(tf, stage, wanted, counts)
                    else:  # a repacked zip with the category folders directly inside
                        for info in zf.infolist():
                            target = _target(info.filename, stage, wanted)
                            if target is not None and not info.is_dir():
                                _write(target, zf.read(info), counts)
            elif tarfile.is_tarfile(archive):
                with tarfile.open(archive, mode="r:*") as tf:
                    _extract_tar(tf, stage, wanted, counts)
            else:
                raise DataError(f"{archive} is neither a zip nor a tar archive")
        except (zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error) as exc:
            raise DataError(f"Caltech-101 archive {archive} is corrupt or truncated: {exc}") from exc
        missing = sorted((wanted or set()) - set(counts))
        if missing:
            raise DataError(f"classes not found in {archive}: {', '.join(missing)}")
        if not counts:
            raise DataError(f"no {CATEGORY_DIR}/<class>/ images found in {archive}")
    return dest


def _extract_tar(tf: tarfile.TarFile, dest: Path, wanted: set[str] | None, counts: dict[str, int]) -> None:
    for member in tf:
        target = _target(member.name, dest, wanted)
        if target is None or not member.isfile():
            continue
        _write(target, tf.extractfile(member).read(), counts)


def _target(name: str, dest: Path, wanted: set[str] | None) -> Path | None:
    parts = PurePosixPath(name).parts
    if CATEGORY_DIR not in parts:
        return None
    rest = parts[parts.index(CATEGORY_DIR) + 1:]
    if (len(rest) != 2 or rest[0] in ("", ".", "..") or rest[1].startswith(".")
            or (wanted is not None and rest[0] not in wanted)):
        return None   # (".." would climb out of dest)
    return dest / rest[0] / rest[1]


def _write(target: Path, data: bytes, counts: dict[str, int]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    counts[target.parent.name] = counts.get(target.parent.name, 0) + 1
