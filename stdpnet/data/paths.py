"""Where datasets are cached: ``$STDPNET_DATASETS`` or ``./datasets``."""
import os
from pathlib import Path


def datasets_root() -> Path:
    return Path(os.environ.get("STDPNET_DATASETS", "datasets"))


def shared_datasets() -> Path | None:
    """The read-only copies beside the checkout (``../shared/datasets``), if any."""
    here = Path(__file__).resolve().parents[2]
    candidate = here.parent / "shared" / "datasets"
    return candidate if candidate.is_dir() else None
