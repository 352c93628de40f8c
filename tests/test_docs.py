"""The user documents and the results registry stay true to the code: every
command line they show (and every command that recorded a figure) names a
command and options that exist, with settings a shipped spec accepts, and
every file, link and anchor they point to is there."""
import re
import shlex
from pathlib import Path

import click
import pytest

from stdpnet.cli import main

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "runs" / "README.md",
             ROOT / "datasets" / "README.md"]


def command_lines(text: str) -> list[tuple[int, str]]:
    """The `stdpnet ...` commands of a document's code (indented four spaces
    or inside a fenced block), a command continued with a backslash joined
    into one line."""
    found, fenced, going_on = [], False, False
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        code = line.strip() if fenced else (line[4:].strip() if line.startswith("    ") else "")
        if going_on:
            found[-1] = (found[-1][0], found[-1][1] + " " + code.rstrip("\\").strip())
        elif code.startswith("stdpnet "):
            found.append((number, code.rstrip("\\").strip()))
        going_on = (going_on or code.startswith("stdpnet ")) and code.endswith("\\")
    return found


def words_of(line: str) -> list[str]:
    """A command's words as the shell splits them; up to a quoted shell
    construct that goes on over more lines (``"$(...)"``) where there is one."""
    try:
        return shlex.split(line)
    except ValueError:
        words = line.split()
        return words[:next(i for i, w in enumerate(words) if '"' in w or "'" in w)]


def options_of(words: list[str]) -> tuple[list[click.Command], list[str]]:
    """The command(s) a command line names (``a|b`` names several) and the
    words after them."""
    commands, i = [main], 1
    while i < len(words) and all(isinstance(c, click.Group) for c in commands):
        subs = [c.get_command(None, name) for c in commands for name in words[i].split("|")]
        if not all(subs):
            return [None], words[i:]
        commands, i = subs, i + 1
    return commands, words[i:]


def slug(heading: str) -> str:
    """A heading's anchor as GitHub makes it."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def registry_commands() -> list[tuple[str, str]]:
    """The command that recorded each figure of results/, once each."""
    import json

    found = {}
    for path in sorted((ROOT / "results").glob("*.json")):
        command = json.loads(path.read_text()).get("command", "")
        if command.startswith("stdpnet "):
            found.setdefault(command, path.name)
    return [(name, command) for command, name in found.items()]


def document_commands() -> list[tuple[str, str]]:
    return [(f"{document.name}:{number}", line) for document in DOCUMENTS
            for number, line in command_lines(document.read_text())]


COMMANDS = {"documents": document_commands, "registry": registry_commands}


@pytest.mark.parametrize("source", COMMANDS)
def test_every_command_line_names_a_command_and_its_options(source):
    for where, line in COMMANDS[source]():
        commands, rest = options_of(words_of(line))
        where = f"{where}: {line}"
        assert None not in commands and not any(isinstance(c, click.Group) for c in commands), where
        for command in commands:
            options = {o for p in command.params for o in [*p.opts, *p.secondary_opts]}
            for flag in re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", " ".join(rest)):
                assert flag in options, f"{where}: {command.name} has no {flag}"


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_file_link_and_anchor_a_document_names_exists(document):
    text = document.read_text()
    for path in re.findall(r"(?<![\w/])((?:benchmarks|stdpnet)/[\w/]+\.py|networks/[\w*-]+\.toml)", text):
        if path != "networks/x.toml":       # the example of an error message
            assert list(ROOT.glob(path)), f"{document.name}: {path} does not exist"
    for target, anchor in re.findall(r"\]\(([\w./-]*\.(?:md|png))?(?:#([\w-]+))?\)", text):
        linked = (document.parent / target) if target else document
        assert linked.exists(), f"{document.name}: the link to {target} leads nowhere"
        if anchor:
            headings = re.findall(r"^#+\s+(.*)$", linked.read_text(), re.M)
            assert anchor in {slug(h) for h in headings}, f"{document.name}: no #{anchor} in {target}"


def values_of(words: list[str], flag: str) -> list[str]:
    return [words[i + 1] for i, w in enumerate(words[:-1]) if w == flag]


@pytest.mark.parametrize("source", COMMANDS)
def test_every_setting_a_shipped_spec_is_swept_with_is_a_valid_key_and_value(source):
    """`--set KEY=V1,V2` of `stdpnet sweep` and `stdpnet deep seq-repeat |
    train-seq` lines on a shipped spec: each cell is a spec that validates."""
    import itertools

    from stdpnet.deep.seq import pipeline
    from stdpnet.deep.seq.config import load_spec as load_seq_spec
    from stdpnet.experiments.sweep import tasks
    from stdpnet.spec import is_multimodal, load_multimodal_spec, load_spec
    from stdpnet.spec.grid import parse_sets

    for where, line in COMMANDS[source]():
        words = words_of(line)
        specs = [w for w in words if w.startswith("networks/") and w.endswith(".toml")]
        sets = values_of(words, "--set")
        if not specs or not sets:
            continue
        path, grid = ROOT / specs[0], parse_sets(sets)
        if words[1] == "sweep":
            spec = load_multimodal_spec(path) if is_multimodal(path) else load_spec(path)
            assert tasks(spec, grid, [0]), where
        elif words[1:3] in (["deep", "seq-repeat"], ["deep", "train-seq"]):
            cfg = load_seq_spec(path)
            for values in itertools.product(*grid.values()):
                pipeline.apply_settings(cfg, dict(zip(grid, values)))


def test_every_benchmark_that_recorded_a_figure_is_shipped():
    import json

    for path in sorted((ROOT / "results").glob("*.json")):
        command = json.loads(path.read_text()).get("command", "")
        assert command.startswith(("stdpnet ", "python benchmarks/")), f"{path.name}: {command}"
        if command.startswith("python "):
            assert (ROOT / command.split()[1]).is_file(), f"{path.name}: {command}"
