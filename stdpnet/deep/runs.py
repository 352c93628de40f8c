"""Run folders of the deep path: ``config.toml`` (the spec as used),
``model.pt`` (weights and neuron settings), ``metrics.json`` and PNG plots.
Every file is written to a temporary name first and moved into place, so an
interrupted command never leaves a half-written file.
"""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import torch

from ..errors import ConfigError, RunFolderError
from ..runs import atomic_write
from ..spec.grid import flatten
from ..spec.toml import dump_toml, read_toml
from .config import merge
from .models import SpikingNetwork, build_model, fold_batch_norm
from .neurons import neuron_layers, set_mode

MODEL_FILE = "model.pt"
CONFIG_FILE = "config.toml"
METRICS_FILE = "metrics.json"
CHECKPOINT_FILE = "checkpoint.pt"  # the last finished epoch, for --resume
RNG_FILE = "rng_state.pt"          # torch's random state as the run finished: the next stage goes on from it
INIT_FILE = "init.json"            # the run an SNN starts from, and the digest of its model
KIND_FILE = "kind.txt"             # what trained the run (ann, stdb, diet, iir): --resume continues only that


def prepare_run(path: str | Path, force: bool = False, resume: bool = False,
                resumable: bool = True) -> Path:
    """Create ``path``; refuse an existing non-empty folder unless ``force``
    (which empties it) or ``resume`` (which keeps it: a started, unfinished
    run). A refused folder that never finished (no metrics.json) is said to
    be resumable when the command is (``resumable``)."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise RunFolderError(f"run folder {path} exists and is not a folder")
    if resume and path.is_dir() and any(path.iterdir()) and not (path / CONFIG_FILE).is_file():
        raise RunFolderError(f"{path} is not a deep run folder (no {CONFIG_FILE}): nothing of it "
                             "to resume; choose another --run")
    if resume and not (path.is_dir() and any(path.iterdir())):
        raise RunFolderError(f"{path}: no run was started there, nothing to resume "
                             "(leave out --resume to start it)")
    if resume and (path / METRICS_FILE).is_file():
        raise RunFolderError(f"{path} has finished ({METRICS_FILE}): nothing to resume")
    if path.exists() and any(path.iterdir()) and not resume:
        if not force and resumable and not (path / METRICS_FILE).is_file():
            raise RunFolderError(f"run folder {path} was stopped before it finished: pass "
                                 "--resume to continue it, --force to start it anew, or --run "
                                 "to choose another")
        if not force:
            raise RunFolderError(f"run folder {path} already exists; pass --force to "
                                 "overwrite it or --run to choose another")
        if not (path / CONFIG_FILE).is_file():   # --force replaces deep run folders only
            raise RunFolderError(f"{path} exists and is not a deep run folder (no {CONFIG_FILE}): "
                                 "not replacing it; choose another --run")
        shutil.rmtree(path)
    path.mkdir(parents=True, exist_ok=True)
    return path


_atomic = atomic_write


def write_text(path: Path, text: str) -> None:
    def write(tmp):
        with open(tmp, "w") as f:
            f.write(text)
    _atomic(Path(path), write)


def write_json(path: Path, data) -> None:
    write_text(path, json.dumps(data, indent=2, default=float) + "\n")


def save_torch(path: Path, obj) -> None:
    """``obj`` saved as ``path``: through a file object, so that torch names the
    archive inside it "archive" rather than after the temporary file, and the
    same ``obj`` saved again gives the same bytes (and digest)."""
    def write(tmp):
        with open(tmp, "wb") as f:
            torch.save(obj, f)
    _atomic(Path(path), write)


def save_rng(run: Path) -> None:
    """Keep torch's random state as ``run`` finishes (before its metrics.json)."""
    state = {"cpu": torch.get_rng_state(),
             "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None}
    save_torch(Path(run) / RNG_FILE, state)


def load_torch(path: Path, map_location=None) -> dict:
    """A torch file of a run folder (model, checkpoint, random state); one
    that is truncated, corrupt or holds no dict is an error naming it."""
    try:
        value = torch.load(path, map_location=map_location, weights_only=False)
    except Exception as exc:    # torch raises many kinds for a damaged file
        raise RunFolderError(f"{path} cannot be read ({type(exc).__name__}: {str(exc).splitlines()[0]}); "
                             "delete it, or the run folder, and run again") from exc
    if not isinstance(value, dict):
        raise RunFolderError(f"{path} is not a file of a stdpnet run (it holds a {type(value).__name__})")
    return value


def restore_rng(run: Path) -> None:
    """Go on with the random state ``run`` finished with, so a stage started
    from a finished run draws (dropout, ...) as it would have straight after
    it in one process; a run without it leaves the state as it is."""
    path = Path(run) / RNG_FILE
    if not path.is_file():
        return
    state = load_torch(path)
    if not isinstance(state.get("cpu"), torch.Tensor):
        raise RunFolderError(f"{path} holds no random state of a run; delete it (the next stage "
                             "then starts from the current random state)")
    torch.set_rng_state(state["cpu"])
    cuda = state.get("cuda")
    if cuda is not None and torch.cuda.is_available() and len(cuda) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(cuda)


def write_init(run: Path, init: Path | None, resume: bool = False) -> None:
    """Record the run ``run`` starts from and its model's digest; a resumed
    run started from another (or a retrained) one is refused."""
    start = {"init_run": str(init), "model_digest": file_digest([Path(init) / MODEL_FILE])} if init else {}
    path = Path(run) / INIT_FILE

    def same(a: dict, b: dict) -> bool:   # one folder however it is spelled
        return a.keys() == b.keys() and all(
            Path(a[k]).resolve() == Path(b[k]).resolve() if k == "init_run" else a[k] == b[k] for k in a)
    if resume and path.is_file() and not same(json.loads(path.read_text()), start):
        raise RunFolderError(f"{run} was started from {json.loads(path.read_text()).get('init_run')} "
                             f"(or that run's model has changed since): --resume continues only from it; "
                             "pass --force to train anew")
    write_json(path, start)


def write_config(run: Path, cfg: dict, resume: bool = False, merge_config=merge,
                 kind: str | None = None) -> None:
    """Write the settings a run trains with (and ``kind``, what trains it);
    when it ``resume``s, a folder started with other settings or by another
    kind of training is refused, before anything in it is written."""
    check_resume(run, cfg, resume, merge_config, kind)
    write_text(run / CONFIG_FILE, dump_toml(cfg))
    if kind:
        write_text(Path(run) / KIND_FILE, kind + "\n")


def check_resume(run: Path, cfg: dict, resume: bool = False, merge_config=merge,
                 kind: str | None = None) -> None:
    """Refuse to ``resume`` a folder started with other settings or by
    another kind of training (``write_config``'s check, which a command can
    make before loading its data, writing nothing)."""
    kind_file = Path(run) / KIND_FILE
    if resume and kind and kind_file.is_file() and kind_file.read_text().strip() != kind:
        raise RunFolderError(f"{run} was started by {kind_file.read_text().strip()} training ({KIND_FILE}), "
                             f"not {kind}: --resume continues the training that started it; "
                             "pass --force to train it anew")
    if resume and (Path(run) / CONFIG_FILE).is_file() and not ran_with(run, cfg, merge_config):
        path = Path(run) / CONFIG_FILE
        then = merge_config(read_toml(path, "run configuration"), str(path))   # (ran_with read it)
        was, now = flatten(then), flatten(cfg)
        differ = sorted(k for k in was.keys() | now.keys() if was.get(k) != now.get(k))
        changed = ", ".join(f"{k} {was.get(k)!r} then, {now.get(k)!r} now" for k in differ[:4])
        raise RunFolderError(f"{run} was started with other settings than these ({CONFIG_FILE}: "
                             f"{changed}); pass --force to train it anew")


def ran_with(run: Path, cfg: dict, merge_config=merge) -> bool:
    """Whether ``run`` was started with ``cfg``: its config.toml, read with
    ``merge_config`` (today's defaults fill the keys added since), equals it."""
    path = Path(run) / CONFIG_FILE
    if not path.is_file():
        return False
    try:
        return merge_config(read_toml(path, "run configuration"), str(path)) == cfg
    except ConfigError as exc:   # keys this kind of spec does not have: another kind of training
        raise RunFolderError(f"{run}: its {CONFIG_FILE} does not read as this command's spec ({exc}): "
                             "a run of another kind of training, or an edited file; choose another run folder") from exc


def file_digest(paths) -> str:
    """One digest of the bytes of ``paths``, in order: which trained models a
    measurement was made on."""
    h = hashlib.sha256()
    for path in paths:
        h.update(Path(path).read_bytes())
    return h.hexdigest()[:16]


def neuron_settings(net) -> dict:
    layer = neuron_layers(net)[0] if neuron_layers(net) else None
    if layer is None:
        return {}
    return {"surrogate": layer.surrogate, "alpha": layer.alpha, "beta": layer.beta,
            "gamma": layer.gamma}


def save_model(run: Path, model, kind: str, **extra) -> None:
    """``model`` is an ANN (nn.Module) or a SpikingNetwork."""
    if isinstance(model, SpikingNetwork):
        net, timesteps, encoding = model.net, model.timesteps, model.encoding
    else:
        net, timesteps, encoding = model, None, None
    folded = not any(isinstance(m, torch.nn.BatchNorm2d) for m in net.modules()) and \
        any(isinstance(m, torch.nn.Conv2d) and m.bias is not None for m in net.modules())
    save_torch(run / MODEL_FILE, {
        "kind": kind, "state_dict": net.state_dict(), "timesteps": timesteps,
        "encoding": encoding, "batch_norm_folded": folded, "neurons": neuron_settings(net),
        **extra})


def read_metrics(run: Path) -> dict:
    path = Path(run) / METRICS_FILE
    if not path.exists():
        return {}
    try:
        metrics = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RunFolderError(f"{path} is not valid JSON ({exc})") from exc
    if not isinstance(metrics, dict):
        raise RunFolderError(f"{path} holds no table of figures")
    return metrics


def load_run(run: str | Path, data_info: dict | None = None, device="cpu"):
    """(merged config, model, checkpoint dict) of a run folder; the model is an
    ANN module or a SpikingNetwork according to the checkpoint's kind."""
    from .data import INFO

    run = Path(run)
    for name in (CONFIG_FILE, MODEL_FILE):
        if not (run / name).exists():
            raise RunFolderError(f"{run / name} not found: is {run} a deep run folder?")
    cfg = merge(read_toml(run / CONFIG_FILE, "run configuration"), str(run / CONFIG_FILE))
    ckpt = load_torch(run / MODEL_FILE, device)
    if ckpt.get("kind") not in ("ann", "snn") or "state_dict" not in ckpt:
        raise RunFolderError(f"{run / MODEL_FILE} is not the model of a deep run (no kind or state_dict)")
    net = build_model(cfg["model"], data_info or INFO[cfg["data"]["dataset"]])
    if ckpt.get("batch_norm_folded"):
        fold_batch_norm(net)
    try:
        net.load_state_dict(ckpt["state_dict"])
    except RuntimeError as exc:
        raise RunFolderError(f"{run / MODEL_FILE} does not fit the [model] of "
                             f"{run / CONFIG_FILE} ({exc})") from exc
    net.to(device)
    for layer in neuron_layers(net):
        for key, value in ckpt.get("neurons", {}).items():
            setattr(layer, key, value)
    if ckpt["kind"] == "ann":
        set_mode(net, "analog")
        return cfg, net, ckpt
    return cfg, SpikingNetwork(net, ckpt["timesteps"], ckpt["encoding"]), ckpt
