"""The user documents stay true to the code: every command line they show
names a command and options that exist, and every file, link and anchor
they point to is there."""
import re
from pathlib import Path

import click
import pytest

from stdpnet.cli import main

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "runs" / "README.md",
             ROOT / "datasets" / "README.md"]


def command_lines(text: str) -> list[tuple[int, str]]:
    """The `stdpnet ...` lines of a document's code: indented four spaces or
    inside a fenced block."""
    found, fenced = [], False
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        code = line.strip() if fenced else (line[4:].strip() if line.startswith("    ") else "")
        if code.startswith("stdpnet "):
            found.append((number, code))
    return found


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


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_command_line_names_a_command_and_its_options(document):
    for number, line in command_lines(document.read_text()):
        commands, rest = options_of(line.split())
        where = f"{document.name}:{number}: {line}"
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
