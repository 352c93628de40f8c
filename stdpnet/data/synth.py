"""Synthetic spoken digits from espeak-ng, written in the FSDD layout.

Always available where Debian's ``espeak-ng`` package is installed
(``apt-get install -y espeak-ng``), so audio experiments run without any
download. Each voice (a language voice, optionally with a '+variant' such as
'+f3') is one speaker; every speed x pitch x repeat is one recording index.
Repeats after the first get a small seeded jitter in speed and pitch, since
espeak-ng itself is deterministic. The speaker name is the voice with '+'
turned into '-' (file names use '_' as their separator).
"""
from __future__ import annotations

import csv
import itertools
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Sequence

import numpy as np
from tqdm import tqdm

from ..errors import DataError
from .fetch import staged
from .paths import datasets_root

DEFAULT_VOICES = ("en-us", "en-us+f3", "en-us+m3", "en-gb", "en-gb+f2", "en-gb-scotland",
                  "en-029", "en-gb-x-rp+f4")
DEFAULT_SPEEDS = (130, 175)     # words per minute
DEFAULT_PITCHES = (35, 65)      # espeak-ng pitch 0-99
MANIFEST = "manifest.csv"   # the settings of every file; written last
REPLACING = "manifest.csv.replacing"   # the earlier manifest while a synthesis replaces its files
INSTALL_HINT = "install it with `sudo apt-get install -y espeak-ng` (Debian/Ubuntu)"


def default_root() -> Path:
    return datasets_root() / "synth_digits" / "recordings"


def named_folder(name: str) -> Path:
    """The folder an extra-voices key names: "synth_digits" is
    ``default_root()``, anything else a path."""
    return default_root() if name == "synth_digits" else Path(name)


def write_default_if_missing(folder: Path, log=print) -> None:
    """Write the synthetic digits when ``folder`` is ``default_root()`` and
    has no manifest yet (a command's first use of them, or a writing that
    was stopped before its last file: the manifest is written last)."""
    if folder == default_root() and not (folder / MANIFEST).is_file():
        state = "incomplete (no manifest.csv)" if folder.is_dir() else "missing"
        log(f"the synthetic spoken digits in {folder} are {state}: writing them (espeak-ng)")
        synthesize_digits()


def speaker_name(voice: str) -> str:
    return voice.replace("+", "-").replace("_", "-").replace("/", "-")


def synthesize_digits(dest: Path | str | None = None, voices: Sequence[str] = DEFAULT_VOICES,
                      speeds: Sequence[int] = DEFAULT_SPEEDS, pitches: Sequence[int] = DEFAULT_PITCHES,
                      repeats: int = 1, sample_rate: int = 8000, seed: int = 0,
                      espeak: str = "espeak-ng", progress: bool = True) -> Path:
    """Write ``{digit}_{speaker}_{index}.wav`` (mono 16-bit, ``sample_rate``)
    for every digit, voice, speed, pitch and repeat into ``dest`` (default
    ``<datasets>/synth_digits/recordings``), plus ``manifest.csv`` with the
    settings of each file. Returns ``dest``.
    """
    # (here, not above: the audio module imports torch, which the commands
    # that only ask for this module's folder names need not wait for)
    from .audio import DIGIT_WORDS, read_audio, write_wav

    exe = shutil.which(espeak)
    if exe is None:
        raise DataError(f"{espeak} not found on PATH: {INSTALL_HINT}")
    if repeats < 1 or not voices or not speeds or not pitches:
        raise DataError("synthesize_digits needs at least one voice, speed, pitch and repeat")
    names = [speaker_name(v) for v in voices]
    if len(set(names)) != len(names):
        raise DataError(f"voices {list(voices)} give repeated speaker names {names}")
    dest = Path(dest) if dest is not None else default_root()
    grid = list(itertools.product(speeds, pitches, range(repeats)))
    ours = {f"{digit}_{name}_{index}.wav" for name in names for index in range(len(grid))
            for digit in range(len(DIGIT_WORDS))}
    # an earlier synthesis's recordings (its manifest lists them; one that was
    # stopped left files of these voices and no manifest): all replaced
    earlier = listed(dest)
    foreign = sorted(p.name for p in dest.glob("*.wav") if p.name not in earlier | ours)
    if foreign:
        raise DataError(f"{dest} holds {len(foreign)} recordings that no synthesis listed in its {MANIFEST} "
                        f"(e.g. {foreign[0]}): write the synthetic voices to a folder of their own")
    if (dest / MANIFEST).is_file():   # incomplete from here until the new manifest is in
        os.replace(dest / MANIFEST, dest / REPLACING)
    rng = np.random.default_rng(seed)
    rows = []
    bar = tqdm(total=len(voices) * len(grid) * len(DIGIT_WORDS), desc="synthesising digits", unit="file",
               disable=not progress, file=sys.stderr)
    # every file or, stopped or failed midway, none: they move into ``dest``
    # together, the manifest (which sorts after the recordings) last
    with bar, tempfile.TemporaryDirectory() as tmp, staged(dest) as stage:
        raw = Path(tmp) / "raw.wav"
        for voice, name in zip(voices, names):
            for index, (speed, pitch, rep) in enumerate(grid):
                if rep > 0:
                    speed = int(round(speed * rng.uniform(0.92, 1.08)))
                    pitch = int(np.clip(pitch + rng.integers(-8, 9), 0, 99))
                for digit, word in enumerate(DIGIT_WORDS):
                    _speak(exe, voice, speed, pitch, word, raw)
                    wave = _trim(read_audio(raw, sample_rate), sample_rate)
                    file = stage / f"{digit}_{name}_{index}.wav"
                    write_wav(file, 0.5 * wave / max(np.abs(wave).max(), 1e-9), sample_rate)
                    rows.append((file.name, digit, name, index, voice, speed, pitch, rep))
                    bar.update()
        with open(stage / MANIFEST, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(("file", "digit", "speaker", "index", "voice", "speed_wpm", "pitch",
                             "repeat"))
            writer.writerows(rows)
        for name in earlier - ours:    # a dropped voice's files go before the new ones come in
            (dest / name).unlink(missing_ok=True)
    (dest / REPLACING).unlink(missing_ok=True)
    return dest


def listed(dest: Path) -> set[str]:
    """The recordings ``dest``'s manifest lists, and the manifest of a
    synthesis stopped while replacing it (none without either)."""
    files = set()
    for manifest in (dest / MANIFEST, dest / REPLACING):
        if manifest.is_file():
            with open(manifest, newline="") as f:
                files |= {row["file"] for row in csv.DictReader(f)}
    return files


def _speak(exe: str, voice: str, speed: int, pitch: int, word: str, out: Path) -> None:
    cmd = [exe, "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", str(out), word]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0 or not out.exists() or out.stat().st_size <= 44:
        raise DataError(f"espeak-ng failed for voice {voice!r} (speed {speed}, pitch {pitch}): "
                        f"{(result.stderr or result.stdout).strip() or 'no audio written'}; "
                        f"list voices with `espeak-ng --voices=en`")


def _trim(wave: np.ndarray, sample_rate: int, floor_db: float = -40.0, margin_s: float = 0.01) -> np.ndarray:
    """Cut leading and trailing silence, as FSDD's recordings are cut."""
    level = np.abs(wave)
    loud = np.flatnonzero(level > level.max() * 10 ** (floor_db / 20))
    if loud.size == 0:
        return wave
    margin = int(margin_s * sample_rate)
    return wave[max(0, loud[0] - margin):loud[-1] + margin + 1]
