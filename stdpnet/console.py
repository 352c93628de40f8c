"""What both command lines (``stdpnet`` and ``stdpnet deep``) share: one
decorator that turns the project's errors into one clear message and shows
the project's notices (such as a network being compiled)."""
from __future__ import annotations

import functools
import logging
import sys

import click

from . import interrupts
from .errors import StdpnetError

TORCH_PACKAGES = ("torch", "torchvision", "torchaudio")


def friendly(command):
    """Run a command; a project error (it names the file, key or value at
    fault) or a missing Torch install becomes one line and exit status 1;
    Ctrl-C ends it with exit status 130, SIGTERM with 143 (files are written
    atomically, so nothing is left half-written)."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        show_notices()
        try:
            interrupts.install()
            return command(*args, **kwargs)
        except KeyboardInterrupt:
            _interrupted()
        except Exception as exc:
            if interrupts.requested():   # Ctrl-C that came out as another error
                _interrupted()
            message = user_message(exc)
            if message is None:
                sys.excepthook = sys.__excepthook__   # a plain traceback, not Brian2's "report this bug"
                raise
            raise click.ClickException(message) from exc
    return wrapper


class _Notices(logging.Handler):
    """The ``stdpnet`` loggers' messages as lines on stderr, above any progress bar."""

    def emit(self, record):
        from tqdm import tqdm
        tqdm.write(self.format(record), file=sys.stderr)


def show_notices() -> None:
    """Show what the ``stdpnet`` loggers say at level INFO and above (a
    library leaves logging to its caller; the command line is that caller)."""
    logger = logging.getLogger("stdpnet")
    if not any(isinstance(h, _Notices) for h in logger.handlers):
        logger.addHandler(_Notices())
        logger.setLevel(logging.INFO)


def _interrupted():
    click.echo("\ninterrupted", err=True)
    sys.exit(interrupts.exit_status())


def user_message(exc: Exception) -> str | None:
    """One line for an error that is the user's to fix, else None."""
    if isinstance(exc, StdpnetError):
        return str(exc)
    if isinstance(exc, ModuleNotFoundError) and exc.name in TORCH_PACKAGES:
        return f"this command needs {exc.name}: pip install -e \".[torch]\""
    if isinstance(exc, OSError) and exc.filename is not None:   # a read-only or misplaced folder
        return (f"{exc.filename}: {exc.strerror} (make it a writable folder, "
                "or point the command elsewhere)")
    return None
