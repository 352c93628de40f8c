"""The package's layout holds: every module imports only from its own layer
or below, there is no import cycle, and moving code around changed no spike
(a tiny network's trained weights are pinned)."""
from __future__ import annotations

import ast
import hashlib
import json
from pathlib import Path

import numpy as np
from click.testing import CliRunner

from stdpnet.cli import main

from conftest import REPO

PACKAGE = REPO / "stdpnet"
FIXTURES = Path(__file__).parent / "fixtures"

# The data flow, bottom to top: a module may import from its own layer or
# below. The longest matching prefix gives a module's layer.
LAYERS = {
    "stdpnet.errors": 0, "stdpnet.streams": 0, "stdpnet.interrupts": 0, "stdpnet.files": 0,
    "stdpnet.spec": 1,
    "stdpnet.data": 2,
    "stdpnet.model": 3,
    "stdpnet.engine": 4,
    "stdpnet.readout": 5,
    "stdpnet.runs": 6, "stdpnet.plots": 6, "stdpnet.results": 6, "stdpnet.headlines": 6,
    "stdpnet.experiments": 7, "stdpnet.deep": 7,
    "stdpnet.report": 8, "stdpnet.deep.pipeline": 8, "stdpnet.deep.seq.pipeline": 8,
    "stdpnet.console": 9, "stdpnet.cli": 9, "stdpnet.deep.cli": 9, "stdpnet": 9,
}


def layer(module: str) -> int:
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        prefix = ".".join(parts[:n])
        if prefix in LAYERS:
            return LAYERS[prefix]
    raise KeyError(f"{module}: no layer in LAYERS")


def module_name(path: Path) -> str:
    rel = path.relative_to(REPO).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports(name: str, path: Path, known: set) -> set:
    """The stdpnet modules ``name`` imports anywhere in its file (functions too)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("stdpnet")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("stdpnet"):
                continue
            subs = {f"{target}.{a.name}" for a in node.names} & known
            found |= subs or {target}
    return found & known - {name}


def graph() -> dict[str, set]:
    mods = modules()
    return {name: imports(name, path, set(mods)) for name, path in mods.items()}


def test_every_module_has_a_layer_and_imports_only_from_its_layer_or_below():
    upward = [f"{m} (layer {layer(m)}) imports {t} (layer {layer(t)})"
              for m, targets in graph().items() for t in sorted(targets) if layer(t) > layer(m)]
    assert not upward, "\n".join(upward)


def test_the_layer_check_sees_function_level_and_relative_imports(tmp_path):
    """The checker itself: an import inside a function, relative or absolute, counts."""
    known = {"stdpnet.spec", "stdpnet.experiments.ensemble", "stdpnet.model.neurons"}
    path = tmp_path / "neurons.py"
    path.write_text("def f():\n    from ..experiments import ensemble\n    import stdpnet.spec\n")
    assert imports("stdpnet.model.neurons", path, known) == {"stdpnet.experiments.ensemble", "stdpnet.spec"}


def test_no_import_cycle():
    g = graph()
    state: dict = {}
    cycles = []

    def visit(m, stack):
        state[m] = "open"
        for t in sorted(g[m]):
            if state.get(t) == "open":
                cycles.append(" -> ".join(stack[stack.index(t):] + [t]))
            elif t not in state:
                visit(t, stack + [t])
        state[m] = "done"

    for m in sorted(g):
        if m not in state:
            visit(m, [m])
    assert not cycles, "\n".join(cycles)


def test_a_tiny_network_learns_exactly_the_pinned_weights(tmp_path, monkeypatch):
    """tests/fixtures/golden_bars.toml trained from the command line ends with
    the weights and thresholds whose SHA-256 is pinned: any change to the
    model, schedule, random streams or engine that moves a spike fails here."""
    monkeypatch.chdir(tmp_path)
    out = CliRunner().invoke(main, ["train", str(FIXTURES / "golden_bars.toml"), "--quiet"])
    assert out.exit_code == 0, out.output
    saved = np.load(tmp_path / "runs" / "golden_bars" / "weights.npz")
    digests = {k: hashlib.sha256(np.ascontiguousarray(saved[k]).tobytes()).hexdigest() for k in ("w", "theta")}
    assert digests == json.loads((FIXTURES / "golden_bars.sha256.json").read_text())
