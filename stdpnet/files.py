"""Writing a file so that a kill never leaves half of it: to a temporary
file beside it first, then moved into place with ``os.replace``."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import RunFolderError

TEMPORARY = ".tmp"   # atomic_write's temporary files: ".<name>.<random>.tmp"
_UMASK = os.umask(0o022)   # read (umask can only be read by setting it) ...
os.umask(_UMASK)           # ... and put back: files get the modes the user's umask gives


def atomic_write(path: Path, write) -> None:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then move it into place."""
    tmp = _temporary(path)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_UMASK)   # mkstemp makes it private (0600)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def atomic_write_all(texts: dict[Path, str], remove=()) -> None:
    """Write every text to its path and delete the files ``remove``, all or
    none: each text goes to a temporary file beside its path first, then
    all move into place (and ``remove`` goes) with Ctrl-C and SIGTERM held
    until the last is done."""
    from .interrupts import held

    tmps = {}
    try:
        for path, text in texts.items():
            tmps[path] = _temporary(path)
            Path(tmps[path]).write_text(text)
            os.chmod(tmps[path], 0o666 & ~_UMASK)
        with held():
            for path, tmp in tmps.items():
                os.replace(tmp, path)
            for path in remove:
                Path(path).unlink(missing_ok=True)
    finally:
        for tmp in tmps.values():
            if os.path.exists(tmp):
                os.unlink(tmp)


def _temporary(path: Path) -> str:
    """A new empty temporary file beside ``path`` (its folder made if needed)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RunFolderError(f"{path.parent}: cannot create the folder ({exc.strerror})") from exc
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMPORARY)
    except OSError as exc:
        raise RunFolderError(f"{path}: cannot write here ({exc.strerror})") from exc
    os.close(fd)
    return tmp
