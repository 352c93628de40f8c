"""Download one URL to a file, with a progress bar; shared by the dataset fetchers."""
from __future__ import annotations

import hashlib
import os
import shutil
import sys
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from ..errors import DataError

CHUNK = 1 << 16


def download(url: str, path: Path | str, sha256: str | None = None,
             progress: bool = True, timeout: float = 60.0, md5: str | None = None) -> Path:
    """Stream ``url`` into ``path`` (via ``path.part``, so a broken transfer
    never leaves a file that looks complete), checked against ``sha256`` and
    ``md5`` where given. A ``path`` already there is not fetched again, but
    checked the same way."""
    path = Path(path)
    expected = {name: value for name, value in (("sha256", sha256), ("md5", md5)) if value}
    digests = {name: hashlib.new(name) for name in expected}

    def digest(chunk: bytes) -> None:
        for d in digests.values():
            d.update(chunk)

    if path.exists():
        with open(path, "rb") as f:
            while chunk := f.read(CHUNK):
                digest(chunk)
        _check_digests(digests, expected, f"{path} (kept from an earlier download; delete it to "
                                          "fetch it again)")
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, open(part, "wb") as out:
            total = int(response.headers.get("Content-Length") or 0) or None
            bar = _progress_bar(total, path.name, progress)
            while chunk := response.read(CHUNK):
                out.write(chunk)
                digest(chunk)
                bar.update(len(chunk))
            bar.close()
    except (urllib.error.URLError, OSError) as exc:
        part.unlink(missing_ok=True)
        checked = " (it is checked against its published digest)" if expected else ""
        raise DataError(f"could not download {url} to {path}: {exc}; offline, put a copy of that "
                        f"file at {path} and run the command again{checked}") from exc
    try:
        _check_digests(digests, expected, url)
    except DataError:
        part.unlink(missing_ok=True)
        raise
    shutil.move(part, path)
    return path


def _check_digests(digests: dict, expected: dict, what: str) -> None:
    for name, value in expected.items():
        if digests[name].hexdigest() != value:
            raise DataError(f"{what}: {name.upper()} {digests[name].hexdigest()} does not match the "
                            f"published {value}")


def _progress_bar(total: int | None, name: str, enabled: bool):
    try:
        from tqdm import tqdm
    except ImportError:  # tqdm is optional: fall back to silence
        enabled = False
    if not enabled:
        return _NoBar()
    return tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024,
                desc=name, file=sys.stderr)


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


@contextmanager
def staged(dest: Path):
    """A folder beside ``dest`` to extract into; its files move into ``dest``
    only once the block ends without error, so an extraction that is
    stopped or fails midway leaves ``dest`` as it was (and a later command
    never reads half a dataset)."""
    dest = Path(dest)
    stage = dest.with_name(f".{dest.name}.part")
    shutil.rmtree(stage, ignore_errors=True)   # a stopped extraction's leftovers
    stage.mkdir(parents=True)
    try:
        yield stage
        if not dest.exists():
            stage.rename(dest)
            return
        for path in sorted(stage.rglob("*")):
            if path.is_file():
                target = dest / path.relative_to(stage)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(path, target)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
