"""The results registry: one small JSON file per headline figure in
``results/`` (the value of every seed, their mean, sd and n, the split it
was scored on, the spec and its hash, the commit, the command that wrote it,
the machine and the date). ``docs/results.md`` is generated from it
(``stdpnet results --write-docs``), so every figure in the docs has a file
and a command behind it.
"""
from __future__ import annotations

import fnmatch
import glob
import hashlib
import json
import math
import os
import platform
import re
import shlex
import subprocess
import sys
from datetime import date
from pathlib import Path

import numpy as np

from .engine.cores import default_jobs
from .errors import ConfigError
from .headlines import HEADLINES
from .spec.grid import flatten

FIELDS = ("name", "title", "metric", "split", "unit", "values", "mean", "sd", "n", "spec", "spec_sha256",
          "commit", "command", "machine", "date")


TEXT_FIELDS = ("title", "metric", "split", "unit", "spec", "spec_sha256", "commit", "command", "machine", "date")
RECORD_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_+-]*$")


def check_name(name: str) -> str:
    """``name`` if it can name a record: its entries are ``name.<figure>``,
    so a dot (or a path separator) would make it another record's."""
    if not RECORD_NAME.match(name or ""):
        raise ConfigError(f"--record {name!r}: a record's name is letters, digits, '_', '+' and '-' "
                          "(no '.', which separates it from its figures)")
    return name


def title_of(name: str, default: str) -> str:
    """The title ``HEADLINES`` gives record ``name`` (a valid name), else ``default``."""
    check_name(name)
    return next((t for n, t, _ in HEADLINES if n == name), default)


def results_root() -> Path:
    """``$STDPNET_RESULTS`` or ``./results``: a folder (made when a record is
    written), not a file."""
    root = Path(os.environ.get("STDPNET_RESULTS", "results"))
    if root.exists() and not root.is_dir():
        where = "STDPNET_RESULTS" if "STDPNET_RESULTS" in os.environ else "the results registry"
        raise ConfigError(f"{root}: {where} names a file; it must be the registry's folder")
    return root


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:   # a Torch-only machine (a GPU host) may lack Brian2
        import brian2
        simulator = f"brian2 {brian2.__version__}"
    except ImportError:
        import torch
        simulator = f"torch {torch.__version__}"
    torch = sys.modules.get("torch")   # already imported: a Torch-path measurement
    gpu = (f", GPU {torch.cuda.get_device_name(0)}"
           if torch is not None and torch.cuda.is_available() else "")
    usable = default_jobs()
    pinned = f" ({usable} usable: pinned)" if usable != os.cpu_count() else ""
    return (f"{cpu}, {os.cpu_count()} cores{pinned}{gpu}, Python {platform.python_version()}, "
            f"{simulator}, numpy {np.__version__}")


CODE = ("stdpnet", "networks", "benchmarks")   # where a file git does not hold yet is code all the same


def commit(here: Path | None = None) -> str:
    """The commit of the checkout ``here`` (default: this package's), with
    ``+changes`` when the work tree differs from it: a changed file, or a new
    one in ``CODE`` that git does not hold (a spec or module the commit
    lacks); figures already written to the registry, ``results/``, do not
    count. Where git cannot tell, ``$STDPNET_COMMIT`` or "unknown"."""
    here = here or Path(__file__).resolve().parents[1]

    def status(*args) -> str:
        return subprocess.run(["git", "-C", str(here), "status", "--porcelain", *args],
                              capture_output=True, text=True, check=True).stdout.strip()
    try:
        head = subprocess.run(["git", "-C", str(here), "rev-parse", "--short=12", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = status("--untracked-files=no", "--", ".", ":(exclude)results") \
            or status("--untracked-files=all", "--", *CODE)
    except (OSError, subprocess.CalledProcessError):
        # a copy of the tree without its .git (a GPU host) is told its commit
        return os.environ.get("STDPNET_COMMIT", "unknown")
    return head + ("+changes" if dirty else "")


def naming_reused(source: dict, commits: list[str], what: str) -> tuple[dict, str | None]:
    """``source`` with ``task_commits`` where the ``what`` (tasks, runs) a
    record is made from were trained or scored by other commits than the
    recording's own, and the note that says so (None where they were not)."""
    if commits == [source["commit"]]:
        return source, None
    return {**source, "task_commits": commits}, (
        f"note: these {what} were trained and scored by commits {', '.join(commits)}; "
        "the record names them (task_commits)")


def provenance(spec_path: str | Path, command: str) -> dict:
    """Where a figure comes from, taken when its measurement starts: the spec
    and its hash, the commit, the command, the machine and the date."""
    spec_path = Path(spec_path)
    source = {"spec": _spec_name(spec_path), "spec_sha256": _sha256(spec_path),
              "commit": commit(), "command": command, "machine": machine(), "date": date.today().isoformat()}
    parts = spec_parts(spec_path)
    if parts:
        source["spec_parts"] = {_spec_name(p): _sha256(p) for p in parts}
    return source


def _spec_name(path: Path) -> str:
    """A spec's path as a record keeps it: from the working folder (the
    checkout's root) where it lies below it, else absolute, however it was
    typed, so that two recordings of one spec name it alike."""
    resolved = Path(os.path.abspath(path))
    try:
        return resolved.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return resolved.as_posix()


def shipped_spec(name: str) -> Path:
    """The shipped spec a run named ``name`` was made from (``networks/<name>.toml``,
    from the repository root): what a benchmark's record names, checked before
    any measuring so that a missing one is said at once."""
    path = Path("networks") / f"{name}.toml"
    if not path.is_file():
        raise ConfigError(f"--record: the record names the runs' spec {path}, which is not there "
                          "(run this from the repository root)")
    return path


def spec_parts(spec_path: Path) -> list[Path]:
    """The ensemble specs a multimodal TOML spec names (``image_spec``,
    ``audio_spec``, relative to it), which settle its network as much as it
    does; none for any other spec."""
    import tomllib

    if spec_path.suffix != ".toml":
        return []
    try:
        table = tomllib.loads(spec_path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return []
    return [Path(os.path.normpath(spec_path.parent / table[k])) for k in ("image_spec", "audio_spec")
            if isinstance(table.get(k), str)]


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def figure(name: str, title: str, metric: str, split: str, unit: str, values: dict, source: dict) -> dict:
    """A registry entry: ``values`` maps each seed to its value; ``source``: ``provenance(...)``."""
    v = np.array(list(values.values()), dtype=float)
    return {"name": name, "title": title, "metric": metric, "split": split, "unit": unit,
            "values": {str(k): float(x) for k, x in values.items()},
            "mean": float(v.mean()), "sd": float(v.std(ddof=1)) if len(v) > 1 else math.nan,
            "n": int(len(v)), **source}


def file_name(name: str) -> str:
    """The registry file of entry ``name``: one file in ``results/`` even when
    the name holds a swept folder's path ('/' and '%' are %-escaped)."""
    return name.replace("%", "%25").replace("/", "%2F").replace("\\", "%5C") + ".json"


def write(entry: dict, root: Path | None = None) -> Path:
    return write_all([entry], root)[0]


def write_all(entries: list[dict], root: Path | None = None, stale=()) -> list[Path]:
    """Write a record's entries, and remove its ``stale`` files, all or none:
    a stopped ``--record`` never leaves a record part old, part new."""
    from .files import atomic_write_all

    root = Path(root or results_root())
    texts = {root / file_name(entry["name"]): json.dumps(entry, indent=2) + "\n" for entry in entries}
    atomic_write_all(texts, remove=stale)
    return list(texts)


def load_all(root: Path | None = None) -> list[dict]:
    """Every entry of the registry, checked to have every field."""
    root = Path(root or results_root())
    entries = []
    for path in sorted(root.glob("*.json")):
        try:
            entry = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigError(f"{path}: not a readable results file ({exc})") from exc
        if not isinstance(entry, dict) or not isinstance(entry.get("values", {}), dict):
            raise ConfigError(f"{path}: not a results entry (a JSON object whose 'values' maps "
                              "each seed to its figure)")
        missing = [f for f in FIELDS if f not in entry]
        if missing:
            raise ConfigError(f"{path}: missing {', '.join(missing)}")
        number = (int, float)
        wrong = [f for f, ok in (("name", isinstance(entry["name"], str)),
                                 ("values", bool(entry["values"]) and all(
                                     isinstance(v, number) and not isinstance(v, bool)
                                     for v in entry["values"].values())),
                                 ("mean", isinstance(entry["mean"], number)),
                                 ("sd", entry["sd"] is None or isinstance(entry["sd"], number)),
                                 ("n", isinstance(entry["n"], int)),
                                 *((f, isinstance(entry[f], str)) for f in TEXT_FIELDS),
                                 ("spec_parts", isinstance(entry.get("spec_parts", {}), dict) and all(
                                     isinstance(v, str) for v in entry.get("spec_parts", {}).values())))
                 if not ok]
        if wrong:
            raise ConfigError(f"{path}: {', '.join(wrong)} of the wrong type (name and provenance: text; "
                              "values: a number for each seed; mean, sd: numbers; n: a count; "
                              "spec_parts: spec -> hash)")
        values = np.array(list(entry["values"].values()), dtype=float)
        if entry["n"] != len(values) or not np.isclose(entry["mean"], values.mean(), rtol=1e-9, atol=1e-12,
                                                       equal_nan=True):
            raise ConfigError(f"{path}: n {entry['n']} and mean {entry['mean']!r} do not match its "
                              f"{len(values)} values (mean {values.mean()!r}): the file was changed by hand")
        entries.append(entry)
    return entries


def select(entries: list[dict], records=(), split: str | None = None) -> list[dict]:
    """The entries of the records named (each a name or a shell-style
    pattern, e.g. ``fsdd_*``; none: every record) on ``split`` (None: both)."""
    return [e for e in entries
            if (not records or any(fnmatch.fnmatchcase(e["name"].split(".")[0], r) for r in records))
            and (split is None or e["split"] == split)]


SETTINGS_SAME = "settings the same (comments or layout only)"   # check_sources: only comments changed


def check_sources(entries: list[dict], repo: Path | None = None) -> list[str]:
    """One line per spec that an entry names (its spec, and the ensemble
    specs of a multimodal one: ``spec_parts``) but ``repo`` (default: the
    working folder, the checkout's root) lacks, or holds with other bytes than were recorded. For
    a TOML spec whose recorded version git still has (the entry's commit),
    the line says whether its settings changed or only comments and layout."""
    repo = Path(repo or Path.cwd())   # the checkout's root, where commands run and specs are named from
    found: dict[str, list[str]] = {}
    for e in entries:
        for spec, sha in [(e["spec"], e["spec_sha256"]), *e.get("spec_parts", {}).items()]:
            path = repo / spec
            if not path.is_file():
                problem = "not in the repository"
            elif _sha256(path) != sha:
                problem = "changed since it was recorded" + _settings_change(e["commit"], spec, sha, repo)
            else:
                continue
            found.setdefault(f"{spec}: {problem}", []).append(e["name"])
    return [f"{what} ({len(names)} entr{'y' if len(names) == 1 else 'ies'}: {names[0]}"
            f"{', ...' if len(names) > 1 else ''})" for what, names in sorted(found.items())]


def check_report(entries: list[dict], repo: Path | None = None) -> tuple[list[str], bool]:
    """What ``stdpnet results --check`` prints, and whether it fails: it
    fails where a recorded spec is missing or its settings changed (a spec
    changed in comments or layout only is listed, not failed); test figures
    recorded from uncommitted code are counted."""
    lines = check_sources(entries, repo)
    problems = [line for line in lines if SETTINGS_SAME not in line]
    comments_only = len(lines) - len(problems)
    dirty = [e for e in entries if e["split"] == "test" and str(e.get("commit", "")).endswith("+changes")]
    if dirty:
        lines.append(f"note: {len(dirty)} test entr{'y was' if len(dirty) == 1 else 'ies were'} recorded "
                     f"from a checkout with uncommitted changes (commit ...+changes, e.g. {dirty[0]['name']}): "
                     "git holds their code only approximately")
    lines.append(f"{len(entries)} entries, {len(problems)} spec(s) missing or with changed settings"
                 + (f", {comments_only} changed in comments or layout only" if comments_only else ""))
    return lines, bool(problems)


def _settings_change(commit: str, spec: str, sha: str, repo: Path) -> str:
    """', settings the same' or ', settings changed: KEYS' where git holds
    the recorded TOML spec (at the entry's ``commit``, with hash ``sha``)."""
    import tomllib

    path = repo / spec
    try:
        recorded = subprocess.run(["git", "-C", str(repo), "show", f"{commit.split('+')[0]}:{spec}"],
                                  capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return ""
    if hashlib.sha256(recorded).hexdigest() != sha or path.suffix != ".toml":
        return ""
    try:
        then, now = (flatten(tomllib.loads(t)) for t in (recorded.decode(), path.read_text()))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return ""
    changed = sorted(k for k in then.keys() | now.keys() if then.get(k) != now.get(k))
    return ", settings changed: " + ", ".join(changed) if changed else \
        f", {SETTINGS_SAME}"


CLASS = "class"   # the unit of a figure that names a class by its index: no mean, no sd


def _value(entry: dict, x: float) -> str:
    if entry["unit"] == CLASS:
        return f"{int(x)}"
    if entry["unit"] == "%":
        return f"{100 * x:.2f}%"
    if not entry["unit"] and float(x).is_integer() and abs(x) >= 1000:
        return f"{int(x):,}"        # a count (parameters, synapses) in full
    return f"{x:.3g} {entry['unit']}".strip()


def mean_sd(entry: dict) -> str:
    """An entry's mean ± sd over its seeds, in its unit, as the tables show it."""
    if entry["unit"] == CLASS:   # a class index has no mean: the same in every seed, or not
        classes = set(entry["values"].values())
        return f"{_value(entry, classes.pop())} in every seed" if len(classes) == 1 else "differs by seed"
    if entry["n"] < 2 or entry["sd"] is None or math.isnan(entry["sd"]):
        return f"{_value(entry, entry['mean'])} (n = 1)"
    sd = entry["sd"] if abs(entry["sd"]) > 1e-9 * abs(entry["mean"]) else 0.0   # rounding, not spread
    sd = f"{100 * sd:.2f}" if entry["unit"] == "%" else f"{sd:.3g}"
    return f"{_value(entry, entry['mean'])} ± {sd}"


def table(entries: list[dict], titles: bool = True) -> str:
    """Markdown table of the entries: (figure,) metric, split, mean ± sd, n, every seed's value."""
    head = (["figure"] if titles else []) + ["metric", "split", "mean ± sd", "n", "per seed"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for e in entries:
        seeds = ", ".join(f"{s}: {_value(e, v)}" for s, v in e["values"].items())
        cells = ([e["title"]] if titles else []) + [e["metric"], e["split"], mean_sd(e), str(e["n"]), seeds]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def render_doc(entries: list[dict]) -> str:
    """The text of docs/results.md."""
    by_group: dict = {}
    for e in entries:
        by_group.setdefault(e["name"].split(".")[0], []).append(e)
    out = ["# Results", "",
           "Generated by `stdpnet results --write-docs` from the registry in `results/` "
           "(one JSON file per figure); do not edit by hand. A figure is the mean and sample "
           "standard deviation over the seeds listed, each seed's value kept. Settings are chosen "
           "on the validation split carved from the training side (`stdpnet sweep` without "
           "`--test`); a test figure is scored by the command shown, for the chosen setting. "
           "Where a setting was chosen after earlier test figures of the same test data, the "
           "page that reports it says so and does not count it as a met target "
           "(docs/speakers.md, docs/sequences.md). Differences smaller than the seed spread are "
           "not differences. A headline figure is a mean over at least three seeds; a section of "
           "fewer seeds is a selection, a part of a pooled record or a single measurement, as its "
           "table shows.", ""]
    for name, title, command in HEADLINES:
        out += [f"## {title}", ""]
        group = by_group.pop(name, [])
        if not group:
            out += ["Not measured under this protocol yet. The command that will measure it:", "",
                    f"    {command}", ""]
            continue
        out += [table(group, titles=False), ""]
        out += _provenance(group)
    for name, group in by_group.items():
        out += [f"## {group[0]['title']}", "", table(group, titles=False), ""] + _provenance(group)
    return "\n".join(out).rstrip() + "\n"


def _provenance(group: list[dict]) -> list[str]:
    """Where a section's figures come from; written by several commands, one
    line per command with its own commit, machine and date."""
    lines = []
    keys = ("command", "commit", "machine", "date")
    sources = sorted({tuple(str(e[k]) for k in keys) for e in group})
    labels = (("command", "Command"), ("spec", "Spec"), ("commit", "Commit"), ("machine", "Machine"),
              ("date", "Date")) if len(sources) == 1 else (("spec", "Spec"),)
    for key, label in labels:
        values = sorted({str(e[key]) for e in group})
        shown = "; ".join(f"`{v}`" if key in ("command", "spec") else v for v in values)
        lines.append(f"- {label}: {shown}")
    if len(sources) > 1:
        lines += [f"- Command: `{command}`, commit {commit_}, {where}, {day}"
                  for command, commit_, where, day in sources]
    parts = {(p["name"].split(".")[0], ", ".join(p["seeds"]), p["command"], p["commit"], p["date"])
             for e in group for p in e.get("pooled_from", [])}
    for record, seeds, command, commit_, day in sorted(parts):
        label = "seeds" if "," in seeds else "seed"
        lines.append(f"- Pooled from {record} ({label} {seeds}): `{command}`, commit {commit_}, {day}")
    return lines + [""]


def doc_path() -> Path:
    return Path(__file__).resolve().parents[1] / "docs" / "results.md"


def whole_registry() -> list[dict]:
    """Every entry, for the commands that cover the whole registry (``--check``,
    ``--write-docs``): an empty or missing registry is an error (the command
    was run outside the checkout), not a registry with nothing to check."""
    entries = load_all()
    if not entries:
        raise ConfigError(f"{results_root().resolve()}: no records here; run from the checkout's "
                          "root (where results/ is) or set STDPNET_RESULTS")
    return entries


def check_beside_docs() -> None:
    """docs/results.md is written only from the registry beside it."""
    beside = doc_path().parents[1] / "results"
    if results_root().resolve() != beside.resolve():
        raise ConfigError(f"{doc_path()} is generated from {beside}, not from "
                          f"{results_root().resolve()}: run from the checkout's root, without "
                          "STDPNET_RESULTS pointing elsewhere")


# the sweep columns a record keeps (those a sweep has): column, metric, split, unit
RECORDED = (("test_accuracy", "accuracy (vote; audio-visual: both modalities)", "test", "%"),
            ("test_accuracy_likelihood", "accuracy (likelihood readout)", "test", "%"),
            ("test_accuracy_image", "accuracy, image only", "test", "%"),
            ("test_accuracy_audio", "accuracy, audio only", "test", "%"),
            ("test_cross_modal_gain", "both minus the better single modality", "test", "%"),
            ("validation_accuracy", "accuracy (vote; audio-visual: both modalities)", "validation", "%"),
            ("validation_accuracy_image", "accuracy, image only", "validation", "%"),
            ("validation_accuracy_audio", "accuracy, audio only", "validation", "%"),
            ("validation_cross_modal_gain", "both minus the better single modality", "validation", "%"))
# a task's training figures, under its validation columns (or its test ones, refit: only test scored)
TRAINING = (("train_ms_per_example", "training time per example", "ms"),
            ("train_peak_mb", "peak resident memory of the task's training (Python process or compiled "
             "binary, the larger)", "MB"))
RECORDED += tuple((f"validation_{column}", metric, "training", unit) for column, metric, unit in TRAINING)
# a pruned network's savings (recorded only where it is pruned): dense over pruned
RECORDED_PRUNED = (("test_synaptic_op_reduction", "synaptic operations per inference, dense / pruned",
                    "test", "x"),
                   ("test_energy_improvement", "energy per inference (model), dense / pruned", "test", "x"))


def write_record(name: str, source: dict, entries: list[dict], root: Path | None = None) -> list[Path]:
    """Write the entries of record ``name`` and remove the figures that an
    earlier recording by the same program (``stdpnet sweep``, whatever its
    options) of the same spec wrote and this one did not (a cell, noise
    level or figure no longer measured), so the record holds one recording;
    figures other commands wrote under the name are kept. All or none."""
    root = Path(root or results_root())
    written = [root / file_name(entry["name"]) for entry in entries]
    return write_all(entries, root, stale=_stale(name, source, written, root))


def _stale(name: str, source: dict, written: list[Path], root: Path) -> list[Path]:
    kept = {Path(p).resolve() for p in written}
    program = shlex.split(source["command"])[:2]
    dropped = []
    for path in sorted(root.glob(f"{glob.escape(name)}.*.json")):
        try:
            entry = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigError(f"{path}: not a readable results file ({exc}); nothing of this "
                              "recording is written: delete that file, or record again") from exc
        if path.resolve() not in kept and entry.get("name", "").split(".")[0] == name \
                and shlex.split(entry.get("command", ""))[:2] == program and entry.get("spec") == source["spec"]:
            dropped.append(path)
    return dropped


def record_selection(name: str, source: dict, result: dict, keys: list[str], title: str,
                     root: Path | None = None, folds: list[tuple] | None = None) -> list[Path]:
    """Registry entries from a sweep over a grid scored on validation only:
    each cell's validation figures (``RECORDED`` columns of the validation
    split, and the likelihood readout), each over the sweep's seeds, named
    ``NAME.<key>=<value>_<column>``: the evidence for a choice. A sweep over
    folds passes ``folds``, its ``fold_summaries`` (one per setting of the
    other keys): each seed's value is then its mean over the folds."""
    rows = result["rows"]
    if result["failed"]:
        raise ConfigError(f"--record {name}: {len(result['failed'])} tasks failed; nothing recorded")
    load_all(root)   # a damaged file in the registry is named before anything is written
    if not rows or any(c.startswith("test_") for c in rows[0]):
        raise ConfigError(f"--record {name}: a selection is recorded from validation scores only")
    columns = [f for f in RECORDED if f[2] != "test" and f[0] in rows[0]]
    columns.insert(1, ("validation_accuracy_likelihood", "accuracy (likelihood readout)", "validation", "%"))
    if folds is not None:       # (cell, {column: {seed: mean over folds}}, what a value is)
        groups = [(cell.replace(", ", ","), {c: f["per_seed"] for c, f in summary["figures"].items()},
                   f", mean over {len(summary['folds'])} folds") for cell, summary in folds]
    else:
        cells: dict = {}
        for r in rows:
            cells.setdefault(tuple(r[k] for k in keys), []).append(r)
        groups = [(",".join(f"{k}={v}" for k, v in zip(keys, values)),
                   {c: {r["seed"]: r[c] for r in members if c in r} for c, *_ in columns}, "")
                  for values, members in cells.items()]
    seeds = {r["seed"] for r in rows}
    entries = []
    for cell, per_column, what in groups:
        for column, metric, split, unit in columns:
            per_seed = per_column.get(column, {})
            if len(per_seed) < len(seeds) or not np.isfinite(list(per_seed.values())).all():
                continue
            entries.append(figure(f"{name}.{cell}_{column}", title, f"{metric}{what}, {cell}", split, unit,
                                  per_seed, source))
    return write_record(name, source, entries, root)


def recorded_noise_columns(row: dict) -> list[tuple]:
    """RECORDED-style figures of a sweep's noise columns (test split):
    test_noise_<modality>_<kind>_<level>_<mode>."""
    out = []
    for column in row:
        if column.startswith("test_noise_"):
            _, _, modality, kind, level, mode = column.split("_", 5)
            shown = {"both": "both modalities", "image": "image only", "audio": "audio only"}[mode]
            out.append((column, f"accuracy, {shown}, {modality} {kind.replace('-', ' ')} at {level}",
                        "test", "%"))
    return out


def record_sweep(name: str, source: dict, result: dict, title: str,
                 root: Path | None = None, folds: dict | None = None) -> list[Path]:
    """Registry entries from a one-cell sweep run with --test (the columns
    of ``RECORDED`` it has: an ensemble's test accuracy by vote and by the
    likelihood readout, an audio-visual network's with both modalities and
    each alone, the validation accuracy, the training time per example),
    each over the sweep's seeds; ``source``: ``provenance`` taken when the
    sweep started. A sweep over folds (``folds``: its ``fold_summary``) has
    a cell per fold, and each seed's value is its mean over the folds."""
    rows = result["rows"]
    if result["failed"]:
        raise ConfigError(f"--record {name}: {len(result['failed'])} tasks failed; nothing recorded")
    load_all(root)   # a damaged file in the registry is named before anything is written
    if folds is None and (len({r["task"] for r in rows}) != len(rows) or len(result["summary"]) != 1):
        raise ConfigError(f"--record {name}: a recorded sweep has one cell (the chosen setting), "
                          f"this one has {len(result['summary'])}")
    if not rows or "test_accuracy" not in rows[0]:
        raise ConfigError(f"--record {name}: the sweep must be run with --test")
    figures = [f for f in RECORDED if f[0] in rows[0]] + recorded_noise_columns(rows[0])
    if "validation_accuracy" not in rows[0]:   # refit: the training figures are under test
        figures += [(f"test_{column}", metric, "training", unit) for column, metric, unit in TRAINING
                    if f"test_{column}" in rows[0]]
    if rows[0].get("test_sparsity", 0) > 0:
        figures += [f for f in RECORDED_PRUNED if f[0] in rows[0]]
    entries = []
    for column, metric, split, unit in figures:
        values = (folds["figures"][column]["per_seed"] if folds is not None
                  else {r["seed"]: r[column] for r in rows})
        if not np.isfinite(np.array(list(values.values()), dtype=float)).all():
            continue    # not measured for every seed (e.g. memory of runs trained before it was)
        shown = f"{metric}, mean over {len(folds['folds'])} folds" if folds is not None else metric
        entries.append(figure(f"{name}.{column}", title, shown, split, unit, values, source))
    return write_record(name, source, entries, root)


def pool(name: str, sources: list[str], command: str, title: str, root: Path | None = None) -> list[Path]:
    """Registry entries ``NAME.<figure>`` holding the seeds of records
    ``sources`` together: the same spec measured with other seeds at
    another time (e.g. a third seed of a long run). A figure is pooled where
    every source has it; each must name the same spec file and hash,
    metric, split and unit, and no seed may appear twice. Figures of the
    training split (time, memory) belong to the machine that measured them
    and are left out. Each pooled entry keeps the provenance of its parts
    (``pooled_from``); its own command is ``command``."""
    root = Path(root or results_root())
    if len(sources) < 2 or len(set(sources)) != len(sources) or name in sources:
        raise ConfigError(f"pool {name}: needs two or more distinct records other than {name!r}, "
                          f"got {sources}")
    by_record = {s: {e["name"][len(s) + 1:]: e for e in load_all(root) if e["name"].startswith(s + ".")}
                 for s in sources}
    for s, figures in by_record.items():
        if not figures:
            raise ConfigError(f"pool {name}: no record {s!r} in {root}")
    common = [f for f in by_record[sources[0]] if all(f in by_record[s] for s in sources[1:])]
    pooled = []
    for suffix in common:
        parts = [by_record[s][suffix] for s in sources]
        if parts[0]["split"] == "training":
            continue
        for key in ("spec", "spec_sha256", "spec_parts", "metric", "split", "unit"):
            differing = sorted({str(p.get(key)) for p in parts})
            if len(differing) > 1:
                raise ConfigError(f"pool {name}: {suffix}: the records differ in {key} ({', '.join(differing)})")
        differing = sorted({" ".join(command_settings(p["command"])) or "the spec as it is" for p in parts})
        if len(differing) > 1:
            raise ConfigError(f"pool {name}: {suffix}: the records were made with other settings "
                              f"({'; '.join(differing)})")
        values: dict = {}
        for p in parts:
            twice = sorted(set(values) & set(p["values"]))
            if twice:
                raise ConfigError(f"pool {name}: {suffix}: seed {twice[0]} is in more than one record")
            values |= p["values"]
        values = {s: values[s] for s in sorted(values, key=_seed_order)}
        source = {"spec": parts[0]["spec"], "spec_sha256": parts[0]["spec_sha256"], "commit": commit(),
                  "command": command, "machine": "; ".join(sorted({p["machine"] for p in parts})),
                  "date": date.today().isoformat(),
                  "pooled_from": [{k: p[k] for k in ("name", "command", "commit", "machine", "date")}
                                  | {"seeds": sorted(p["values"], key=_seed_order)} for p in parts]}
        if "spec_parts" in parts[0]:        # an audio-visual spec's ensemble specs
            source["spec_parts"] = parts[0]["spec_parts"]
        pooled.append(figure(f"{name}.{suffix}", title, parts[0]["metric"], parts[0]["split"],
                             parts[0]["unit"], values, source))
    if not pooled:
        raise ConfigError(f"pool {name}: the records {sources} share no figure of a validation or test split")
    others = sorted({str(e.get("spec")) for e in load_all(root) if e["name"].startswith(name + ".")}
                    - {pooled[0]["spec"]})
    if others:
        raise ConfigError(f"pool {name}: the record {name!r} holds figures of another spec "
                          f"({', '.join(others)}); choose another name")
    return write_all(pooled, root)     # every figure checked before any is written


SETTING_OPTIONS = ("--set", "--examples", "--prune", "--levels", "--folds", "--noise")


def command_settings(command: str) -> list[str]:
    """The options of a recorded command that change what is measured
    (``--set KEY=V``, ``--examples`` ...), sorted: the seeds, folders and
    workers may differ between records of one setting, these may not."""
    try:
        words = shlex.split(command)
    except ValueError:
        return [command]
    found = []
    for k, word in enumerate(words):
        option, sep, value = word.partition("=")
        if option in SETTING_OPTIONS:
            found.append(f"{option} {value if sep else (words[k + 1] if k + 1 < len(words) else '')}")
    return sorted(found)


def _seed_order(seed: str) -> tuple:
    """'2' before '10'."""
    return len(seed), seed
