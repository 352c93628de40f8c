"""Free Spoken Digit Dataset (FSDD) and any folder named the same way.

Files are ``{digit}_{speaker}_{index}.wav`` in one folder: digit 0-9 is the
label, speaker a name without underscores, index the repetition (0-49 in
FSDD). FSDD recordings are 8 kHz mono 16-bit; other rates are resampled.
The synthetic digits of ``stdpnet.data.synth`` use the same layout.
"""
from __future__ import annotations

import functools
import hashlib
import re
import zipfile
from pathlib import Path, PurePosixPath
from typing import Sequence

from ..errors import ConfigError, DataError
from .fetch import download, staged
from .paths import folder_state
from .audio import Recording, build_dataset, split_recordings
from .features import AudioFeatures
from .paths import datasets_root

NAME = re.compile(r"^(\d)_([^_/\\]+)_(\d+)\.wav$", re.IGNORECASE)
FSDD_VERSION = "v1.0.10"
FSDD_URL = f"https://github.com/Jakobovski/free-spoken-digit-dataset/archive/refs/tags/{FSDD_VERSION}.zip"
# SHA-256 of the v1.0.10 recordings of five of its six speakers (george,
# jackson, lucas, nicolas, theo), in `sha256sum` format; each file was
# checked against its upstream git blob. The sixth speaker's are unchecked.
DIGESTS = Path(__file__).with_name("fsdd.sha256")


def default_root() -> Path:
    return datasets_root() / "fsdd" / "recordings"


def list_fsdd(root: Path | str | None = None, speakers: Sequence[str] | None = None) -> list[Recording]:
    """Recordings in ``root`` sorted by (speaker, digit, index). A ``.wav``
    whose name does not follow ``{digit}_{speaker}_{index}.wav`` is an error
    naming it (left out, it could take a whole digit away unseen); other
    files are ignored."""
    root = Path(root) if root is not None else default_root()
    if not root.is_dir():
        raise DataError(f"spoken-digit folder {root} not found "
                        f"(fetch with `stdpnet data fetch fsdd` or `stdpnet data synth-digits`)")
    recs, odd = [], []
    for path in root.iterdir():
        m = NAME.match(path.name)
        if m and path.is_file():
            recs.append(Recording(path, int(m.group(1)), m.group(2), int(m.group(3))))
        elif path.suffix.lower() == ".wav":
            odd.append(path.name)
    if odd:
        raise DataError(f"{root}: {len(odd)} .wav file(s) not named {{digit}}_{{speaker}}_{{index}}.wav "
                        f"(one digit 0-9): {', '.join(sorted(odd)[:3])}{', ...' if len(odd) > 3 else ''}; "
                        "rename or move them")
    if not recs:
        raise DataError(f"{root} holds no files named {{digit}}_{{speaker}}_{{index}}.wav")
    if speakers is not None:
        present = {r.speaker for r in recs}
        missing = sorted(set(speakers) - present)
        if missing:
            raise DataError(f"speakers {missing} not found in {root} (present: {sorted(present)})")
        recs = [r for r in recs if r.speaker in set(speakers)]
    return sorted(recs, key=lambda r: (r.speaker, r.digit, r.index))


def fold_speakers(root: Path | str, fixed: Sequence[str] = (), lister=None) -> list[str]:
    """The speakers of ``root`` in name order, for leaving one speaker out:
    each but those in ``fixed`` (validation speakers named in a spec) is the
    test speaker of one fold. Refuses folders too small for a training, a
    validation and a test speaker. ``lister`` lists the recordings (default
    ``list_fsdd``; ``ti46.list_ti46`` for TI-46)."""
    speakers = sorted({r.speaker for r in (lister or list_fsdd)(root)})
    if len(speakers) < 3 or len(set(speakers) - set(fixed)) < 2:
        raise ConfigError(f"--folds speaker: {len(speakers)} speakers ({', '.join(speakers)}) are too "
                          "few for a training, a validation and a test speaker")
    return speakers


def load_fsdd(root: Path | str | None = None, split: str = "index",
              test_speakers: Sequence[str] | None = None,
              test_indices: Sequence[int] = (0, 1, 2, 3, 4),
              speakers: Sequence[str] | None = None,
              feature: str | AudioFeatures = "mfcc", n_bands: int = 20, n_frames: int = 20,
              sample_rate: int = 8000, return_waveforms: bool = False, **feature_options) -> dict:
    """Spoken digits as train/test feature arrays.

    ``split``: 'index' (FSDD standard: repetitions ``test_indices`` are test)
    or 'speaker' (``test_speakers`` are test, the others train).
    Returns a dict: train_x, test_x (N, n_frames*n_bands) float32 in [0, 1];
    train_y, test_y (N,) int64 digits; train_files, test_files (names relative
    to ``root``); train_speakers, test_speakers; class_names; feature,
    feature_shape (n_frames, n_bands), features (the AudioFeatures used);
    sample_rate; and train_waveforms, test_waveforms (lists of float32 arrays)
    when ``return_waveforms`` (for adding noise before featurising).
    """
    root = Path(root) if root is not None else default_root()
    recs = list_fsdd(root, speakers)
    train, test = split_recordings(recs, split, test_indices, test_speakers)
    return build_dataset(train, test, root, feature, n_bands, n_frames, sample_rate,
                         return_waveforms, **feature_options)


def other_voices(name: str, features: AudioFeatures, speakers: Sequence[str], key: str) -> dict:
    """Every recording of the folder an extra-voices key names (FSDD layout;
    "synth_digits": the folder of ``stdpnet data synth-digits``), made into
    ``features`` as ``build_dataset``'s training part (train_x, train_y,
    train_files, train_speakers, train_waveforms; root), to be trained on
    only. Refused, naming ``key``, when the folder is missing or holds one of
    ``speakers`` (the main folder's)."""
    from .synth import named_folder

    root = named_folder(name)
    if not root.is_dir():
        raise DataError(f"{key}: folder {root} not found (write synthetic voices with "
                        f"`stdpnet data synth-digits --out FOLDER`)")
    extra = _featurised(str(root), folder_state(root), features)
    shared = sorted(set(extra["train_speakers"]) & set(speakers))
    if shared:
        raise DataError(f"{key}: speakers {shared} of {root} are also in the main folder; "
                        f"the extra folder must hold other voices")
    return extra


@functools.lru_cache(maxsize=2)
def _featurised(root: str, entries: str, features: AudioFeatures) -> dict:
    """Every recording of a folder (read once per folder state: ``entries``
    is its modification time)."""
    return build_dataset(list_fsdd(root), [], Path(root), features, sample_rate=features.sample_rate,
                         return_waveforms=True)


def download_fsdd(dest: Path | str | None = None, url: str = FSDD_URL, progress: bool = True) -> Path:
    """Fetch the FSDD release zip from GitHub and extract its recordings into
    ``dest`` (default ``<datasets>/fsdd/recordings``); returns that folder.
    A folder already holding recordings is checked instead (``verify_fsdd``),
    so recordings put there by hand are named when damaged or missing."""
    dest = Path(dest) if dest is not None else default_root()
    if dest.is_dir() and any(NAME.match(p.name) for p in dest.iterdir()):
        verify_fsdd(dest)
        return dest
    archive = download(url, dest.parent / f"fsdd-{FSDD_VERSION}.zip", progress=progress)
    return extract_fsdd(archive, dest)


@functools.cache
def known_digests() -> dict[str, str]:
    """Recording name -> SHA-256, for the recordings of ``DIGESTS``."""
    lines = DIGESTS.read_text().splitlines()
    return {name: digest for digest, name in (line.split() for line in lines if line.strip())}


def verify_fsdd(folder: Path | str, digests: dict[str, str] | None = None) -> None:
    """Check every recording of ``digests`` (default ``known_digests()``) is
    in ``folder`` byte for byte; a DataError names the first missing or
    damaged file."""
    folder = Path(folder)
    digests = known_digests() if digests is None else digests
    missing = sorted(name for name in digests if not (folder / name).is_file())
    if missing:
        raise DataError(f"{folder}: {len(missing)} of the {len(digests)} FSDD {FSDD_VERSION} recordings "
                        f"checked are missing, e.g. {missing[0]}; move the folder away and run "
                        "`stdpnet data fetch fsdd` again")
    for name in sorted(digests):
        _check(name, (folder / name).read_bytes(), digests, str(folder / name))


def _check(name: str, data: bytes, digests: dict[str, str], where: str) -> None:
    expected = digests.get(name)
    if expected is not None and (got := hashlib.sha256(data).hexdigest()) != expected:
        raise DataError(f"{where} is not the FSDD {FSDD_VERSION} recording {name}: SHA-256 "
                        f"{got}, expected {expected}")


def extract_fsdd(archive: Path | str, dest: Path | str, digests: dict[str, str] | None = None) -> Path:
    """Copy every ``recordings/{digit}_{speaker}_{index}.wav`` of a zip into
    ``dest``, each checked against ``digests`` (default ``known_digests()``;
    every recording named there must be in the zip), all of them or, when
    stopped, broken or damaged midway, none."""
    archive, dest = Path(archive), Path(dest)
    digests = known_digests() if digests is None else digests
    try:
        with zipfile.ZipFile(archive) as zf:
            members = [i for i in zf.infolist() if not i.is_dir()
                       and PurePosixPath(i.filename).parent.name == "recordings"
                       and NAME.match(PurePosixPath(i.filename).name)]
            if not members:
                raise DataError(f"{archive} holds no recordings/{{digit}}_{{speaker}}_{{index}}.wav files")
            missing = sorted(set(digests) - {PurePosixPath(i.filename).name for i in members})
            if missing:
                raise DataError(f"{archive} lacks {len(missing)} FSDD {FSDD_VERSION} recordings, e.g. "
                                f"{missing[0]}; delete it and fetch again")
            with staged(dest) as stage:
                for info in members:
                    name = PurePosixPath(info.filename).name
                    data = zf.read(info)
                    _check(name, data, digests, f"{archive}: {info.filename} (delete the archive and "
                                                "fetch again)")
                    (stage / name).write_bytes(data)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise DataError(f"FSDD archive {archive} is corrupt or unreadable: {exc}") from exc
    return dest
