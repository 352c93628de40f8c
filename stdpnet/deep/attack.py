"""FGSM and PGD (L-infinity) attacks on pixels in [0, 1], white-box and
black-box transfer (Sharmin et al., ECCV 2020 / IJCNN 2019 setting).

A SpikingNetwork is attacked through its surrogate gradient by
backpropagation through time; Poisson input passes its gradient straight
through the sampling. White-box: crafted on the attacked model. Black-box:
crafted on a source model (an ANN trained separately) and transferred.
"""
from __future__ import annotations

import math
import zlib

import torch
from torch import nn
from tqdm import tqdm

from .data import batches

ATTACKS = ("fgsm", "pgd")


def _input_gradient(model, images, labels):
    x = images.clone().detach().requires_grad_(True)
    loss = nn.functional.cross_entropy(model(x), labels)
    (grad,) = torch.autograd.grad(loss, x)
    return grad


def fgsm(model, images, labels, eps: float) -> torch.Tensor:
    """One step of size ``eps`` along the sign of the loss gradient."""
    model.eval()
    grad = _input_gradient(model, images, labels)
    return (images + eps * grad.sign()).clamp(0.0, 1.0).detach()


def pgd(model, images, labels, eps: float, steps: int = 10, step_size: float | None = None,
        random_start: bool = True, generator: torch.Generator | None = None) -> torch.Tensor:
    """``steps`` signed-gradient steps, each projected back into the eps-ball
    around ``images`` and into [0, 1] (Madry et al. 2018)."""
    model.eval()
    step_size = step_size or 2.5 * eps / steps
    x = images.clone().detach()
    if random_start:
        noise = torch.rand(images.shape, generator=generator).to(images.device)
        x = (x + (2 * noise - 1) * eps).clamp(0.0, 1.0)
    for _ in range(steps):
        grad = _input_gradient(model, x, labels)
        x = x + step_size * grad.sign()
        x = torch.min(torch.max(x, images - eps), images + eps).clamp(0.0, 1.0).detach()
    return x


def craft(model, kind: str, images, labels, eps, steps=10, step_size=None, generator=None):
    if kind == "fgsm":
        return fgsm(model, images, labels, eps)
    if kind == "pgd":
        return pgd(model, images, labels, eps, steps, step_size, generator=generator)
    raise ValueError(f"attack must be one of {ATTACKS}, got {kind!r}")


def craft_all(model, kind, images, labels, eps, batch_size=100, device="cpu", desc="",
              seed=0, **kw):
    """``kind`` examples of every image, batch by batch; ``seed``: of the one
    generator that draws PGD's random start for every batch in turn (the
    same starts whatever the batch size)."""
    generator = torch.Generator().manual_seed(seed)
    out = []
    it = tqdm(batches(images, labels, batch_size), leave=False,
              total=math.ceil(len(images) / batch_size), desc=desc)
    for x, y in it:
        out.append(craft(model, kind, x.to(device), y.to(device), eps, generator=generator,
                         **kw).cpu())
    return torch.cat(out)


@torch.no_grad()
def accuracy(model, images, labels, batch_size=100, device="cpu") -> float:
    model.eval()
    correct = 0
    for x, y in batches(images, labels, batch_size):
        correct += int((model(x.to(device)).argmax(1) == y.to(device)).sum())
    return 100.0 * correct / max(1, len(images))


def cell_seed(key: str, seed: int = 0) -> int:
    """The random seed of one table cell (Poisson input, PGD's start): each
    cell draws the same numbers whichever cells were measured before it."""
    return (zlib.crc32(key.encode()) + 1_000_003 * seed) % 2**31


def robustness_table(targets: dict, source_name: str, source, images, labels, eps_list,
                     steps=10, step_size=None, batch_size=100, device="cpu", log=print,
                     measured: dict | None = None, keep=None, seed: int = 0) -> dict:
    """Clean / white-box / black-box FGSM and PGD accuracy of every target.

    Black-box examples are crafted once per attack and eps on ``source`` and
    shared by all targets. ``measured``: accuracies already measured, by cell
    key (``name/clean``, ``name/white_box/pgd/0.1``, ...), reused rather than
    measured again; ``keep(measured)`` runs after each new cell. Every cell
    is seeded by its key, so a table finished in two goes equals one
    measured at once."""
    measured = {} if measured is None else measured
    reused = len(measured)

    def cell(key, measure):
        if key not in measured:
            torch.manual_seed(cell_seed(key, seed))
            measured[key] = measure()
            if keep is not None:
                keep(measured)
        return measured[key]

    def crafted_on(model, name, kind, eps, key):
        return craft_all(model, kind, images, labels, eps, batch_size, device,
                         f"{kind} eps={eps} on {name}", seed=cell_seed(f"{key}/start", seed),
                         steps=steps, step_size=step_size)

    transfer = {}

    def crafted_on_source(kind, eps):
        if (kind, eps) not in transfer:
            with torch.random.fork_rng():   # leaves the cell's own draws as they were
                key = f"{source_name}/source/{kind}/{eps}"
                torch.manual_seed(cell_seed(key, seed))
                transfer[(kind, eps)] = crafted_on(source, source_name, kind, eps, key)
        return transfer[(kind, eps)]

    if reused:
        log(f"reusing {reused} measured cells")
    rows = []
    for name, model in targets.items():
        row = {"name": name, "white_box": {}, "black_box": {},
               "clean": cell(f"{name}/clean",
                             lambda: accuracy(model, images, labels, batch_size, device))}
        for kind in ATTACKS:
            row["white_box"][kind], row["black_box"][kind] = {}, {}
            for eps in eps_list:
                row["white_box"][kind][str(eps)] = cell(
                    f"{name}/white_box/{kind}/{eps}",
                    lambda: accuracy(model, crafted_on(model, name, kind, eps,
                                                        f"{name}/white_box/{kind}/{eps}"), labels,
                                     batch_size, device))
                row["black_box"][kind][str(eps)] = cell(
                    f"{name}/black_box/{kind}/{eps}",
                    lambda: accuracy(model, crafted_on_source(kind, eps), labels,
                                     batch_size, device))
        log(f"{name}: clean {row['clean']:.1f}%, " + ", ".join(
            f"{kind} eps={eps}: white {row['white_box'][kind][str(eps)]:.1f}% / "
            f"black {row['black_box'][kind][str(eps)]:.1f}%"
            for kind in ATTACKS for eps in eps_list))
        rows.append(row)
    return {"source": source_name, "eps": list(eps_list), "pgd_steps": steps,
            "pgd_step_size": step_size or "2.5*eps/steps", "images": len(images), "rows": rows}


def markdown_table(table: dict) -> str:
    """Two GitHub markdown tables (white-box, black-box): accuracy (%) of each
    target, one column per attack and eps."""
    eps_list = table["eps"]
    head = ["model", "clean"] + [f"{kind.upper()} ε={eps}" for kind in ATTACKS
                                 for eps in eps_list]
    lines = []
    for mode, title in (("white_box", "White-box (crafted on the attacked model)"),
                        ("black_box", f"Black-box (crafted on {table['source']})")):
        lines += [f"{title}:", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for row in table["rows"]:
            cells = [row["name"], f"{row['clean']:.1f}"] + [
                f"{row[mode][kind][str(eps)]:.1f}" for kind in ATTACKS for eps in eps_list]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)
