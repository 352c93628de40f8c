"""What both command lines (``stdpnet`` and ``stdpnet deep``) share: one
decorator that turns the project's errors into one clear message."""
from __future__ import annotations

import functools
import sys

import click

from . import interrupts
from .errors import StdpnetError

TORCH_PACKAGES = ("torch", "torchvision", "torchaudio")


def friendly(command):
    """Run a command; a project error (it names the file, key or value at
    fault) or a missing Torch install becomes one line and exit status 1;
    Ctrl-C ends it with exit status 130 (files are written atomically, so
    nothing is left half-written)."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            interrupts.install()
            return command(*args, **kwargs)
        except StdpnetError as exc:
            raise click.ClickException(str(exc)) from exc
        except ModuleNotFoundError as exc:
            if exc.name in TORCH_PACKAGES:
                raise click.ClickException(f"this command needs {exc.name}: "
                                           "pip install -e \".[torch]\"") from exc
            raise
        except OSError as exc:   # a read-only or misplaced run, dataset or cache folder
            if exc.filename is None:
                raise
            raise click.ClickException(f"{exc.filename}: {exc.strerror} (make it a writable folder, "
                                       f"or point the command elsewhere)") from exc
        except KeyboardInterrupt:
            click.echo("\ninterrupted", err=True)
            sys.exit(130)
    return wrapper
