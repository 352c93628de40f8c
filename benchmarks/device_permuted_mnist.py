"""Permuted sequential MNIST on one GPU inside a fixed time budget.

Trains LITE-SNN and the LSTM (``--models``), three seeds each, side by side
(one process per model and seed, all on the one GPU), then runs the recording
command, which reuses the finished runs and writes
``results/seq_mnist_permuted.*``:

    python benchmarks/device_permuted_mnist.py --budget 520

Before training it checks the Triton LIF kernels against the Torch loop on
the GPU and times one training step of each model. Unless ``--epochs`` is
given, the epoch count is the spec's, or fewer where the timed steps say
that the spec's would not fit in ``--budget`` seconds; every model gets the
same count, and the recording command carries it (``--epochs N``). The
runs' logs go to ``<out>/logs/``.
"""
from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from stdpnet.deep import lif_scan  # noqa: E402
from stdpnet.deep.seq.config import load_spec  # noqa: E402
from stdpnet.deep.seq.models import build_seq_model  # noqa: E402

SEEDS = (0, 1, 2)
MNIST_TRAIN = 60_000


def check_kernels(dev) -> float:
    """Largest difference between the Triton and the Torch LIF (outputs and
    gradients) on random currents; raises if the kernels are not in use."""
    if not lif_scan._use_triton(torch.zeros(1, device=dev)):
        raise SystemExit(f"the Triton LIF kernels do not run on {dev}")
    gen = torch.Generator().manual_seed(0)
    current = torch.randn(784, 512, generator=gen) * 0.8 + 0.3
    grad = torch.randn(784, 512, generator=gen)
    leak, thr = torch.tensor(0.9), torch.tensor(0.7)
    worst = 0.0
    outs = []
    for where in ("cpu", dev):
        c = current.to(where).detach().requires_grad_()
        lk, th = (t.to(where).detach().requires_grad_() for t in (leak, thr))
        out = lif_scan.LIFScan.apply(c, lk, th, 0.3)
        (out * grad.to(where)).sum().backward()
        outs.append([t.detach().cpu() for t in (out, c.grad, lk.grad, th.grad)])
    for a, b in zip(*outs):
        worst = max(worst, float((a - b).abs().max() / (a.abs().max() + 1e-12)))
    return worst


def step_seconds(cfg: dict, kind: str, dev) -> float:
    """Seconds per training step (forward, backward, Adam) of ``kind``."""
    torch.manual_seed(0)
    model, _ = build_seq_model(kind, cfg["model"], 1, 10)
    model.to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.rand(cfg["data"]["batch_size"], cfg["data"]["pixel_steps"], 1, device=dev)
    y = torch.randint(0, 10, (len(x),), device=dev)
    times = []
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda _: None)
    for i in range(8):
        sync(dev)
        t0 = time.perf_counter()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sync(dev)
        if i >= 3:
            times.append(time.perf_counter() - t0)
    return min(times)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--spec", default="networks/deep_seq_mnist_permuted.toml",
                   help="Spec, relative to the repository root.")
    p.add_argument("--out", default="runs/seq-mnist-permuted")
    p.add_argument("--record", default="seq_mnist_permuted")
    p.add_argument("--budget", type=float, default=520.0,
                   help="Seconds for the whole script, checks and recording included.")
    p.add_argument("--epochs", type=int, help="Epochs for every run (default: fit the budget).")
    p.add_argument("--device", default="cuda")
    p.add_argument("--models", default="lite,lstm",
                   help="Model kinds, comma-separated (lite, srnn, lstm, gru, tcn).")
    args = p.parse_args(argv)
    start = time.perf_counter()
    dev = torch.device(args.device)
    cfg = load_spec(ROOT / args.spec)
    gpu = torch.cuda.get_device_name(dev) if dev.type == "cuda" else "none"
    print(f"GPU: {gpu}, torch {torch.__version__}", flush=True)
    print(f"Triton LIF against the Torch loop, largest relative difference: "
          f"{check_kernels(dev):.2e}", flush=True)
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    per_step = {kind: step_seconds(cfg, kind, dev) for kind in models}
    d = cfg["data"]
    steps = math.ceil((d["train_limit"] or MNIST_TRAIN - d["validation_examples"]) / d["batch_size"])
    epoch_all = len(SEEDS) * steps * sum(per_step.values())   # GPU time-shared, no overlap
    for kind, sec in per_step.items():
        print(f"{kind}: {1000 * sec:.1f} ms per step, {steps * sec:.1f} s per epoch", flush=True)
    left = args.budget - (time.perf_counter() - start) - 60   # loading, scoring, recording
    epochs = args.epochs or max(1, min(cfg["train"]["epochs"], int(left / (1.15 * epoch_all))))
    print(f"{epochs} epochs (spec: {cfg['train']['epochs']}; all six runs: "
          f"{epoch_all:.0f} s per epoch if the GPU runs them one at a time)", flush=True)

    out = ROOT / args.out
    (out / "logs").mkdir(parents=True, exist_ok=True)   # the commands run in ROOT: args.out as given
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    base = [sys.executable, "-m", "stdpnet", "deep", "seq-repeat", args.spec, "--out", args.out,
            "--epochs", str(epochs), "--device", args.device, "--threads", "2"]
    procs = []
    for kind in models:
        for seed in SEEDS:
            log = open(out / "logs" / f"{kind}-seed{seed}.log", "w")
            procs.append(subprocess.Popen(base + ["--models", kind, "--seeds", str(seed)],
                                          stdout=log, stderr=subprocess.STDOUT, env=env,
                                          cwd=ROOT))
    deadline = start + args.budget - 30
    try:
        for proc in procs:
            proc.wait(timeout=max(1.0, deadline - time.perf_counter()))
    except subprocess.TimeoutExpired:
        for proc in procs:
            proc.kill()
        print(f"out of time after {time.perf_counter() - start:.0f} s: runs stopped; the "
              f"finished ones are kept in {out}", flush=True)
        return 1
    failed = [proc.args for proc in procs if proc.returncode != 0]
    if failed:
        print(f"{len(failed)} runs failed; see {out / 'logs'}", flush=True)
        return 1
    print(f"trained in {time.perf_counter() - start:.0f} s; recording", flush=True)
    record = base + ["--models", ",".join(models), "--seeds", "0-2", "--record", args.record]
    return subprocess.run(record, env=env, cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main())
