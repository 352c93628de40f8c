"""The run folder and its checkpoint: the only things that pass between commands.

    runs/NAME/
      spec.toml        the spec as used (command-line overrides applied)
      checkpoint.npz   network state, spike counts so far and progress
                       (one ``Checkpoint``), rewritten after every chunk
      weights.npz      final input weights (n_input, n_neurons), theta
      readout.npz      assignments, labelled/test spike counts and predictions
      metrics.json     accuracy, confusion matrix, timings, counts
      *.png            plots

Every write goes to a temporary file first and is moved into place with
``os.replace``, so a kill never leaves a half-written file.
"""
from __future__ import annotations

import dataclasses
import glob
import json
import logging
import os
import shutil
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .errors import RunFolderError
from .files import TEMPORARY, atomic_write
from .spec import Spec, dump_spec, load_spec

if TYPE_CHECKING:   # the engine imports Brian2; the Torch path reads run folders without it
    from .engine.present import Progress

SPEC, CHECKPOINT, WEIGHTS, READOUT, METRICS = (
    "spec.toml", "checkpoint.npz", "weights.npz", "readout.npz", "metrics.json")




def save_npz(path: Path, **arrays) -> None:
    def write(tmp):
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)
    atomic_write(Path(path), write)


def load_npz(path: Path) -> dict:
    path = Path(path)
    if not path.exists():
        raise RunFolderError(f"{path} not found")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except Exception as exc:
        raise RunFolderError(f"{path} is unreadable ({exc})") from exc
    for key, value in arrays.items():
        if value.dtype.kind == "f" and not np.isfinite(value).all():
            raise RunFolderError(f"{path}: {key} contains NaN or infinite values")
    return arrays


def update_npz(path: Path, **arrays) -> None:
    """``arrays`` added to the npz file at ``path`` (created if missing), others kept."""
    path = Path(path)
    save_npz(path, **{**(load_npz(path) if path.exists() else {}), **arrays})


def save_text(path: Path, text: str) -> None:
    atomic_write(Path(path), lambda tmp: Path(tmp).write_text(text))


def save_json(path: Path, obj) -> None:
    save_text(path, json.dumps(obj, indent=2, sort_keys=True) + "\n")


def load_json(path: Path) -> dict:
    """The JSON object in ``path`` ({} if there is no such file); an unreadable
    or corrupt file is a RunFolderError naming it."""
    path = Path(path)
    if not path.exists():
        return {}
    try:
        value = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RunFolderError(f"{path} is unreadable or corrupt ({exc}); delete it, or run the "
                             f"command that writes it again") from exc
    if not isinstance(value, dict):
        raise RunFolderError(f"{path}: expected a JSON object, got {type(value).__name__}")
    return value


def update_metrics(run_dir: Path, **entries) -> dict:
    metrics = load_json(Path(run_dir) / METRICS)
    metrics.update(entries)
    save_json(Path(run_dir) / METRICS, metrics)
    return metrics


def record_evaluation(run_dir: Path, split: str, result: dict) -> dict:
    """metrics.json's ``evaluate.<split>`` set to ``result`` (the other split kept)."""
    metrics = load_json(Path(run_dir) / METRICS)
    return update_metrics(run_dir, evaluate={**metrics.get("evaluate", {}), split: result})


def _contents(run_dir: Path) -> list[Path]:
    """What ``run_dir`` holds, less the temporary files of writes whose process
    was killed (``atomic_write``'s): a folder holding only those is empty."""
    return [p for p in run_dir.iterdir() if not (p.name.startswith(".") and p.name.endswith(TEMPORARY))]


def _check_replaceable(run_dir: Path) -> None:
    """Only a run folder (one holding spec.toml) is ever replaced."""
    if not run_dir.is_dir() or not (run_dir / SPEC).is_file():
        raise RunFolderError(f"{run_dir} exists and is not a run folder (no {SPEC}): "
                             f"not replacing it; choose another --out")


def create(run_dir: Path, spec: Spec, force: bool = False, spec_text: str | None = None) -> Path:
    """A new run folder holding the spec (or ``spec_text``); an existing one is
    kept unless ``force`` (and then only if it is a run folder)."""
    run_dir = Path(run_dir)
    if run_dir.exists() and (not run_dir.is_dir() or _contents(run_dir)):
        _check_replaceable(run_dir)
        if not force:
            raise RunFolderError(f"{run_dir} already exists: pass --force to overwrite it, "
                                 f"or --resume {run_dir} to continue it")
        # the spec goes last (replaced below), so that a process killed while
        # emptying the folder leaves a run folder that can still be replaced
        for entry in run_dir.iterdir():
            if entry.name != SPEC:
                shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        save_text(run_dir / SPEC, dump_spec(spec) if spec_text is None else spec_text)
    except OSError as exc:
        raise RunFolderError(f"{run_dir}: cannot write the run folder ({exc.strerror})") from exc
    return run_dir


@contextmanager
def replacing(run_dir: Path, force: bool):
    """Room for a new run in ``run_dir``. An existing run there stays unless
    ``force`` (or it never started: no checkpoint); then it is moved aside,
    and deleted only once the new run has started (written its first
    checkpoint). If the new run ends before that, for any reason, the new
    folder is removed and the old one put back."""
    run_dir = Path(run_dir)
    for stale in _stale_asides(run_dir):
        logging.getLogger(__name__).warning(
            f"{stale}: the run {run_dir} held before a replacement that was killed (SIGKILL) before it "
            f"started; move it back to {run_dir} to keep it, or delete it")
    if not (run_dir.exists() and (not run_dir.is_dir() or _contents(run_dir))):
        yield run_dir
        return
    _check_replaceable(run_dir)
    never_started = (run_dir / SPEC).is_file() and not any(run_dir.rglob(CHECKPOINT))
    if not force and not never_started:   # a start that failed before its first chunk is replaced
        raise RunFolderError(f"{run_dir} already exists: pass --force to overwrite it, "
                             f"or --resume {run_dir} to continue it")
    aside = run_dir.with_name(f".{run_dir.name}.replaced-{os.getpid()}")
    os.replace(run_dir, aside)
    try:
        yield run_dir
    finally:
        if run_dir.is_dir() and any(run_dir.rglob(CHECKPOINT)):   # (a multimodal run's first is image/)
            shutil.rmtree(aside, ignore_errors=True)
        else:
            shutil.rmtree(run_dir, ignore_errors=True)
            os.replace(aside, run_dir)


def _stale_asides(run_dir: Path) -> list[Path]:
    """The folders ``replacing`` moved a run to whose process is gone."""
    found = []
    for aside in run_dir.parent.glob(f".{glob.escape(run_dir.name)}.replaced-*"):
        pid = aside.name.rsplit("-", 1)[1]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists() and Path("/proc/self").exists():
            found.append(aside)
    return sorted(found)


def open_run(run_dir: Path) -> Spec:
    """The spec of a run folder, after checking its metrics.json can be read
    (a command must not run for minutes and then fail on it)."""
    run_dir = Path(run_dir)
    if not (run_dir / SPEC).is_file():
        raise RunFolderError(f"{run_dir} is not a run folder (no {SPEC})")
    load_json(run_dir / METRICS)
    return load_spec(run_dir / SPEC)


# ------------------------------------------------------------------ checkpoint
@dataclass
class Checkpoint:
    """Where a presentation sequence stands, enough to resume it exactly:
    the network's carried state (``"group.variable"`` -> array), the spike
    counts of every example of the sequence (rows not yet shown are 0) and
    the progress. Written as one file, so state and progress always agree.
    ``total``: the examples of the whole sequence (0: not said), so that a
    watcher can tell how far it has got (``checkpoint_progress``)."""
    state: dict
    counts: np.ndarray
    progress: Progress
    total: int = 0


def save_checkpoint(run_dir: Path, ckpt: Checkpoint) -> None:
    save_npz(Path(run_dir) / CHECKPOINT, counts=ckpt.counts,
             progress=np.array(json.dumps(dataclasses.asdict(ckpt.progress))),
             total=np.array(ckpt.total),
             **{f"state.{k}": v for k, v in ckpt.state.items()})


def checkpoint_progress(path: Path) -> tuple[int, int] | None:
    """(examples presented, examples of the sequence) of a checkpoint file or
    of a scoring's partial counts, read without their arrays; None when it
    says no total or cannot be read (absent, or of another kind)."""
    try:
        with np.load(path, allow_pickle=False) as saved:   # reads only the members asked for
            total = int(saved["total"]) if "total" in saved.files else 0
            position = (int(saved["position"]) if "position" in saved.files
                        else json.loads(str(saved["progress"]))["position"])
    except (OSError, EOFError, ValueError, KeyError, TypeError, zipfile.BadZipFile):
        return None
    return (int(position), total) if total > 0 else None


def load_checkpoint(run_dir: Path) -> Checkpoint:
    path = Path(run_dir) / CHECKPOINT
    saved = load_npz(path)
    if "progress" not in saved or "counts" not in saved:
        raise RunFolderError(f"{path}: not a stdpnet checkpoint (no progress or counts)")
    try:
        from .engine.present import Progress

        progress = Progress(**json.loads(str(saved["progress"])))
    except (ValueError, TypeError) as exc:
        raise RunFolderError(f"{path}: unreadable progress ({exc})") from exc
    return Checkpoint({k[6:]: v for k, v in saved.items() if k.startswith("state.")},
                      saved["counts"], progress, int(saved.get("total", 0)))
