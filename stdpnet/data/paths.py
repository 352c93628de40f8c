"""Where datasets are cached: ``$STDPNET_DATASETS`` or ``./datasets``."""
import hashlib
import os
from pathlib import Path


def datasets_root() -> Path:
    return Path(os.environ.get("STDPNET_DATASETS", "datasets"))


def shared_datasets() -> Path | None:
    """The read-only copies beside the checkout (``../shared/datasets``), if any."""
    here = Path(__file__).resolve().parents[2]
    candidate = here.parent / "shared" / "datasets"
    return candidate if candidate.is_dir() else None


def folder_state(root: Path) -> str:
    """A digest of every file under ``root`` (name, size, modification time):
    a cache of what was read from the folder is keyed by it, so a recording
    rewritten in place is read again (0 for a missing folder)."""
    if not Path(root).is_dir():
        return "0"
    digest = hashlib.sha256()
    for folder, _, names in sorted(os.walk(root)):
        for name in sorted(names):
            st = os.stat(os.path.join(folder, name))
            digest.update(f"{folder}/{name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()
