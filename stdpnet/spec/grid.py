"""The grid of settings a command line asks for: ``--set KEY=V1,V2`` (values
read as TOML reads them), ``--seeds 0-4``, and setting a dotted key of a
nested spec table. No simulator is imported here, so the Torch path uses it
too."""
from __future__ import annotations

import tomllib

from ..errors import ConfigError


def parse_value(text: str):
    """A value from the command line, read as TOML reads it: 0.05 is a float,
    400 an integer, true a boolean, anything else a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def parse_sets(texts: list[str]) -> dict:
    """['plasticity.x_tar=0.05,0.1', ...] -> {'plasticity.x_tar': [0.05, 0.1], ...};
    a list value in brackets: 'data.audio_perturb=[],[0.9,1.1]'."""
    sets = {}
    for text in texts:
        key, sep, values = text.partition("=")
        key = key.strip()
        if not sep or not key or not values.strip():
            raise ConfigError(f"--set {text!r}: expected KEY=VALUE[,VALUE...], e.g. plasticity.x_tar=0.05,0.1")
        if key in sets:
            raise ConfigError(f"--set {key}: given twice")
        if key.split(".")[-1] == "seed":
            raise ConfigError(f"--set {key}: seeds are given by --seeds (sweep) or --seed (train, run)")
        items = split_top_level(values)
        if any(not v.strip() for v in items):
            raise ConfigError(f"--set {text!r}: an empty value (a stray comma?)")
        sets[key] = [parse_value(v.strip()) for v in items]
        if key == "name" and len(sets[key]) > 1:
            raise ConfigError(f"--set {text!r}: the name does not change the network, so these cells "
                              "would train the same network; vary a setting")
    return sets


def split_top_level(text: str) -> list[str]:
    """Split at the commas outside brackets and quotes: '[0.9,1.1],[]' -> ['[0.9,1.1]', '[]']."""
    items, depth, quote, start = [], 0, "", 0
    for k, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            items.append(text[start:k])
            start = k + 1
    return items + [text[start:]]


MAX_SEED = 2**31 - 1   # seeds live in the compiled network as 32-bit integers
MAX_SEEDS = 10_000     # seeds one command may ask for


def parse_seeds(text: str) -> list[int]:
    """'0-4' -> [0, 1, 2, 3, 4]; '1,3' -> [1, 3]."""
    seeds = []
    try:
        for part in text.split(","):
            lo, sep, hi = part.strip().partition("-")
            lo, hi = int(lo), int(hi) if sep else int(lo)
            if hi < lo:
                raise ConfigError(f"--seeds {text!r}: {part.strip()} runs backwards (write {hi}-{lo})")
            if hi - lo >= MAX_SEEDS or hi > MAX_SEED:
                raise ConfigError(f"--seeds {text!r}: {part.strip()} is not a range of at most "
                                  f"{MAX_SEEDS:,} seeds, each at most {MAX_SEED}")
            seeds += list(range(lo, hi + 1))
    except ValueError as exc:
        raise ConfigError(f"--seeds {text!r}: expected e.g. 0-4 or 0,2,5") from exc
    if len(seeds) > MAX_SEEDS:
        raise ConfigError(f"--seeds {text!r}: {len(seeds):,} seeds; one command may ask for at most {MAX_SEEDS:,}")
    if not seeds or len(set(seeds)) != len(seeds) or min(seeds) < 0:
        raise ConfigError(f"--seeds {text!r}: expected distinct seeds >= 0")
    return seeds


def set_dotted(table: dict, key: str, value) -> None:
    """Set ``key`` (dotted: ``section.key``) of a nested spec table; it must exist."""
    parts = key.split(".")
    node = table
    for p in parts[:-1]:
        if not isinstance(node.get(p), dict):
            raise ConfigError(f"--set {key}: {p!r} is not a section of the spec")
        node = node[p]
    if parts[-1] not in node or isinstance(node[parts[-1]], dict):
        raise ConfigError(f"--set {key}: not a key of the spec")
    node[parts[-1]] = value


def flatten(table: dict, prefix: str = "") -> dict:
    """A nested table as one level of dotted keys: {'a': {'b': 1}} -> {'a.b': 1}."""
    out = {}
    for key, value in table.items():
        if isinstance(value, dict):
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out
