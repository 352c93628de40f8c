"""Training loops: the ANN, and the SNN by surrogate-gradient BPTT in its
three flavours.

* ``stdb``: hybrid training (Rathi et al., ICLR 2020). Starts from a converted
  SNN; IF neurons (or a fixed leak), fixed balanced thresholds, STDB surrogate.
* ``diet``: DIET-SNN. Direct input; each layer's leak and threshold are
  trained with the weights; linear surrogate.
* ``iir``: IIR-SNN. A DIET network trained at T = start is retrained at
  T - 1 starting from the T weights, down to T = stop.
"""
from __future__ import annotations

import copy
import math
import time
from pathlib import Path

import torch
from torch import nn
from tqdm import tqdm

from ..errors import ConfigError, RunFolderError
from .data import augment as augment_batch
from .data import batches
from .models import SpikingNetwork
from .neurons import clamp_neuron_parameters, configure_neurons


def make_optimizer(params, name: str, lr: float, momentum: float = 0.9,
                   weight_decay: float = 0.0):
    params = [p for p in params if p.requires_grad]
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)


def make_scheduler(optimizer, schedule: str, total_steps: int):
    if schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, max(1, total_steps))
    if schedule == "step":  # x0.1 at 50% and 75% of training
        milestones = [int(total_steps * 0.5), int(total_steps * 0.75)]
        return torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones, 0.1)
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)


@torch.no_grad()
def evaluate(model, images, labels, batch_size=500, device="cpu", desc=None) -> float:
    """Top-1 accuracy (%) of ``model`` (ANN module or SpikingNetwork)."""
    model.eval()
    correct = 0
    it = batches(images, labels, batch_size)
    if desc:
        it = tqdm(it, total=math.ceil(len(images) / batch_size), desc=desc, leave=False)
    for x, y in it:
        x, y = x.to(device), y.to(device)
        correct += int((model(x).argmax(1) == y).sum())
    return 100.0 * correct / max(1, len(images))


@torch.no_grad()
def accuracy_vs_timesteps(snn: SpikingNetwork, images, labels, timesteps, batch_size=500,
                          device="cpu") -> dict[int, float]:
    """Accuracy after each T in ``timesteps``, from one run of max(timesteps) steps."""
    snn.eval()
    ts = sorted(set(int(t) for t in timesteps))
    saved, snn.timesteps = snn.timesteps, ts[-1]
    correct = {t: 0 for t in ts}
    try:
        it = tqdm(batches(images, labels, batch_size), total=math.ceil(len(images) / batch_size),
                  desc=f"SNN accuracy, T up to {ts[-1]}", leave=False)
        for x, y in it:
            x, y = x.to(device), y.to(device)
            _, partial = snn(x, checkpoints=ts)
            for t in ts:
                correct[t] += int((partial[t].argmax(1) == y).sum())
    finally:
        snn.timesteps = saved
    return {t: 100.0 * c / max(1, len(images)) for t, c in correct.items()}


CHECKPOINT_SECONDS = 300.0   # within an epoch, the state is saved at most this often


def fit(model, train, val, *, epochs: int, lr: float, optimizer: str = "adam",
        momentum: float = 0.9, weight_decay: float = 0.0, schedule: str = "cosine",
        batch_size: int = 64, eval_batch_size: int = 500, device="cpu",
        augment=None,
        seed: int = 0, desc: str = "train", checkpoint: Path | None = None,
        resume: bool = False, after_step=None, grad_clip: float = 0.0,
        on_epoch_end=None, log=print,
        checkpoint_seconds: float = CHECKPOINT_SECONDS) -> list[dict]:
    """Train with cross-entropy; one history row per epoch (loss, training and
    ``val`` accuracy, seconds). ``val``: the validation images and labels,
    scored after every epoch (never the test set).

    ``augment``: keyword arguments of ``data.augment``, or a function
    (batch, generator) -> batch (None: no augmentation).
    With ``checkpoint`` the state is saved there after each epoch and,
    within an epoch, after the first batch that ends ``checkpoint_seconds``
    or more after the last save; if ``resume``, training continues from it
    (mid-epoch: with the next batch, the same shuffle and random draws).
    ``grad_clip`` > 0 caps the gradient norm of each step;
    ``on_epoch_end(row)`` runs after each epoch's validation, before the
    checkpoint."""
    from .runs import load_torch, save_torch

    x_train, y_train = train
    opt = make_optimizer(model.parameters(), optimizer, lr, momentum, weight_decay)
    steps_per_epoch = math.ceil(len(x_train) / batch_size)
    sched = make_scheduler(opt, schedule, epochs * steps_per_epoch)
    history, start, within = [], 0, None
    if resume and checkpoint is not None and Path(checkpoint).exists():
        state = load_torch(Path(checkpoint), device)
        try:
            model.load_state_dict(state["model"])
            opt.load_state_dict(state["optimizer"])
            sched.load_state_dict(state["scheduler"])
            history, start, within = state["history"], state["epoch"], state.get("within")
        except (KeyError, ValueError, RuntimeError) as exc:
            raise RunFolderError(f"{checkpoint} is not a checkpoint of this training ({type(exc).__name__}: "
                                 f"{str(exc).splitlines()[0][:200]}); pass --force to train anew") from exc
        set_rng_state(state.get("rng"))
        log(f"resuming {desc} after epoch {start}" + (
            f", batch {within['batches']}/{steps_per_epoch}" if within else ""))

    def save(epoch_done: int, within_epoch: dict | None = None):
        if checkpoint is not None:
            save_torch(checkpoint, {"model": model.state_dict(), "optimizer": opt.state_dict(),
                                    "scheduler": sched.state_dict(), "history": history,
                                    "epoch": epoch_done, "within": within_epoch,
                                    "rng": rng_state()})

    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(start, epochs):
        generator = torch.Generator().manual_seed(seed * 1000 + epoch)
        order = torch.randperm(len(x_train), generator=generator)
        first, total_loss, correct, seen, before = 0, 0.0, 0, 0, 0.0
        if within is not None:   # this epoch stopped midway: its draws and sums so far
            generator.set_state(within["generator"].cpu())   # the checkpoint was read onto `device`
            first, total_loss, correct, seen, before = (within[k] for k in (
                "batches", "loss", "correct", "seen", "seconds"))
            within = None
        model.train()
        t0 = last_save = time.perf_counter()
        bar = tqdm(batches(x_train, y_train, batch_size, order=order, first=first),
                   initial=first, total=steps_per_epoch,
                   desc=f"{desc} epoch {epoch + 1}/{epochs}", unit="batch", leave=False,
                   mininterval=1.0)
        for b, (x, y) in enumerate(bar, start=first):
            if callable(augment):
                x = augment(x, generator)
            elif augment is not None:
                x = augment_batch(x, generator, **augment)
            x, y = x.to(device), y.to(device)
            try:
                out = model(x)
            except ValueError as exc:
                if len(y) == 1 and "more than 1 value per channel" in str(exc):
                    raise ConfigError(f"{desc}: batch {b + 1} of {steps_per_epoch} holds one training "
                                      "example, on which batch normalisation cannot train here: change "
                                      "the batch size or the number of training examples") from exc
                raise
            loss = loss_fn(out, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if grad_clip:
                nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
            opt.step()
            sched.step()
            if after_step is not None:
                after_step()
            total_loss += loss.item() * len(y)
            correct += int((out.argmax(1) == y).sum())
            seen += len(y)
            now = time.perf_counter()
            bar.set_postfix(loss=f"{total_loss / seen:.4f}", acc=f"{100 * correct / seen:.2f}",
                            img_s=f"{seen / max(before + now - t0, 1e-9):.0f}",
                            refresh=False)   # redrawn at tqdm's own pace
            if now - last_save >= checkpoint_seconds and b + 1 < steps_per_epoch:
                save(epoch, {"batches": b + 1, "generator": generator.get_state(),
                             "loss": total_loss, "correct": correct, "seen": seen,
                             "seconds": before + now - t0})
                last_save = time.perf_counter()
        seconds = before + time.perf_counter() - t0
        t1 = time.perf_counter()
        val_acc = evaluate(model, *val, batch_size=eval_batch_size, device=device,
                           desc=f"{desc} validation")
        row = {"epoch": epoch + 1, "loss": total_loss / max(1, seen),
               "train_accuracy": 100.0 * correct / max(1, seen), "validation_accuracy": val_acc,
               "seconds": seconds, "validation_seconds": time.perf_counter() - t1,
               "images_per_second": seen / seconds}
        history.append(row)
        if on_epoch_end is not None:
            on_epoch_end(row)
        log(f"{desc} epoch {epoch + 1}/{epochs}: loss {row['loss']:.4f}, train "
            f"{row['train_accuracy']:.2f}%, validation {val_acc:.2f}%, {seconds:.1f} s")
        save(epoch + 1)
    return history


def epoch_seconds(history: list[dict]) -> float:
    """Seconds the epochs of ``history`` took, training and validation: with
    those a stopped run trained before it was resumed."""
    return sum(r["seconds"] + r.get("validation_seconds", 0.0) for r in history)


def rng_state() -> dict:
    """Torch's global random state (dropout draws from it), so that a resumed
    run draws what an uninterrupted one would have."""
    state = {"cpu": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict | None) -> None:
    if state is None:   # a checkpoint without it: resume with the current state
        return
    torch.set_rng_state(state["cpu"].cpu())
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([s.cpu() for s in state["cuda"]])


def prepare_stdb(snn: SpikingNetwork, alpha=0.3, beta=0.01, leak=1.0) -> SpikingNetwork:
    """Hybrid STDB: weights trained, thresholds fixed as balanced."""
    configure_neurons(snn.net, surrogate="stdb", alpha=alpha, beta=beta, leak=leak,
                      train_threshold=False, train_leak=False)
    return snn


def prepare_diet(snn: SpikingNetwork, gamma=0.3, leak=None) -> SpikingNetwork:
    """DIET-SNN: direct input; leak and threshold of every layer trained."""
    snn.encoding = "direct"
    configure_neurons(snn.net, surrogate="linear", gamma=gamma, leak=leak,
                      train_threshold=True, train_leak=True)
    return snn


def train_snn(snn: SpikingNetwork, train, val, **kw) -> list[dict]:
    """``fit`` for a SpikingNetwork: keeps leaks in [0, 1] and thresholds > 0."""
    return fit(snn, train, val, after_step=lambda: clamp_neuron_parameters(snn.net), **kw)


def next_stage(snn: SpikingNetwork) -> SpikingNetwork:
    """The IIR stage T-1, starting from (a copy of) the T network's parameters."""
    if snn.timesteps <= 1:
        raise ValueError("no IIR stage below T=1")
    return SpikingNetwork(copy.deepcopy(snn.net), snn.timesteps - 1, snn.encoding)


def train_iir(snn: SpikingNetwork, train, val, *, stop: int = 1, epochs: int = 1,
              lr: float = 1e-4, final_epochs: int = 0, final_lr: float = 0.0,
              on_stage_start=None, on_stage_end=None, stage_checkpoint=None,
              resume: bool = False, **kw) -> tuple[SpikingNetwork, list[dict]]:
    """Retrain ``snn`` (already trained at its T) at T-1, T-2, ..., ``stop``;
    the last stage, whose step is the largest, for ``final_epochs`` at
    ``final_lr`` where these are > 0. ``on_stage_start(T, snn)`` runs before
    each stage, ``on_stage_end(T, snn, row)`` after it. With
    ``stage_checkpoint(T)`` (a path) each stage saves its state after every
    epoch there, removed once ``on_stage_end`` has run; with ``resume`` a
    stage stopped midway continues from it.

    Returns the last stage's network and one row per stage."""
    stages = []
    while snn.timesteps > stop:
        snn = next_stage(snn)
        if on_stage_start is not None:
            on_stage_start(snn.timesteps, snn)
        last = snn.timesteps == stop
        checkpoint = stage_checkpoint(snn.timesteps) if stage_checkpoint is not None else None
        history = train_snn(snn, train, val, epochs=final_epochs if last and final_epochs
                            else epochs, lr=final_lr if last and final_lr else lr,
                            desc=f"IIR T={snn.timesteps}", checkpoint=checkpoint,
                            resume=resume, **kw)
        stages.append({"timesteps": snn.timesteps, "history": history,
                       "validation_accuracy": history[-1]["validation_accuracy"] if history else None})
        if on_stage_end is not None:
            on_stage_end(snn.timesteps, snn, stages[-1])
        if checkpoint is not None:
            Path(checkpoint).unlink(missing_ok=True)
    return snn, stages
