"""TI-46 spoken digits from a local copy (LDC93S9; licensed, bring your own).

Assumed layout (the LDC distribution, case-insensitive, any file extension;
the files are NIST SPHERE even where named '.wav')::

    <root>/.../ti20/train/<speaker>/<WW><speaker>set<K>.<ext>   e.g. 03f1set7.sph
    <root>/.../ti20/test/<speaker>/<WW><speaker>s<K>t<J>.<ext>   e.g. 03f1s2t0.wav

``WW`` is the TI-20 word code: 00-09 are the digits zero-nine (10-19 are
command words, skipped). ``<speaker>`` is f1-f8 or m1-m8. The train/test
folder gives the corpus's own partition. Files anywhere under ``root`` that
match these names are used, so ``root`` may be the corpus top or its ti20
folder. TI-46 is sampled at 12.5 kHz; it is resampled to ``sample_rate``.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Sequence

from ..errors import DataError
from .audio import Recording, build_dataset, split_recordings
from .features import AudioFeatures
from .paths import datasets_root

NAME = re.compile(r"^(\d\d)([fm]\d+)(?:set(\d+)|s(\d+)t(\d+))\.[a-z0-9]+$", re.IGNORECASE)


def default_root() -> Path:
    return datasets_root() / "ti46"


def list_ti46(root: Path | str | None = None) -> list[Recording]:
    """Digit recordings (word codes 00-09) under ``root``, sorted by path."""
    root = Path(root) if root is not None else default_root()
    if not root.is_dir():
        raise DataError(f"TI-46 folder {root} not found (TI-46 is licensed from the LDC, "
                        f"catalogue LDC93S9: put your copy there or point data.root at it)")
    recs = []
    for path in sorted(root.rglob("*")):
        m = NAME.match(path.name)
        if not (m and path.is_file()) or int(m.group(1)) > 9:
            continue
        dirs = {p.lower() for p in path.relative_to(root).parts[:-1]}
        partition = "test" if "test" in dirs else "train" if "train" in dirs else ""
        # train: set<K>; test: s<K>t<J> (session K, take J) folded into one index
        index = int(m.group(3)) if m.group(3) is not None else 100 * int(m.group(4)) + int(m.group(5))
        recs.append(Recording(path, int(m.group(1)), m.group(2).lower(), index, partition))
    if not recs:
        raise DataError(f"no TI-46 digit files (e.g. ti20/train/f1/00f1set0.sph) under {root}")
    return recs


def load_ti46(root: Path | str | None = None, split: str = "corpus",
              test_speakers: Sequence[str] | None = None,
              feature: str | AudioFeatures = "mfcc", n_bands: int = 20, n_frames: int = 20,
              sample_rate: int = 8000, return_waveforms: bool = False, **feature_options) -> dict:
    """TI-46 digits as train/test feature arrays (keys as ``load_fsdd``).
    ``split``: 'corpus' (TI-46's train/test folders) or 'speaker'."""
    root = Path(root) if root is not None else default_root()
    train, test = split_recordings(list_ti46(root), split, test_speakers=test_speakers)
    return build_dataset(train, test, root, feature, n_bands, n_frames, sample_rate,
                         return_waveforms, **feature_options)
