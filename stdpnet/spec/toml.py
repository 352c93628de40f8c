"""The one TOML reader and writer of stdpnet (network specs, deep specs, run folders).

``dump_toml`` writes every value a spec can hold as valid TOML: booleans,
integers, floats (``inf``, ``nan``), strings (escaped), lists, tables and
arrays of tables; ``read_toml`` of its output gives the same dict back.
"""
from __future__ import annotations

import math
import re
import tomllib
from pathlib import Path

from ..errors import ConfigError

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def read_toml(path: str | Path, what: str = "spec file") -> dict:
    """The tables of a TOML file; a missing, unreadable or invalid file is a
    ConfigError that names it."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: {what} not found")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _string(key)


def _string(text: str) -> str:
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch in "\b\t\n\f\r":
            out.append({"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return _string(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(f"cannot write {type(v).__name__} {v!r} as TOML")


def _is_table_array(v) -> bool:
    return isinstance(v, (list, tuple)) and len(v) > 0 and all(isinstance(x, dict) for x in v)


def _table(d: dict, path: list, lines: list) -> None:
    plain = {k: v for k, v in d.items() if not isinstance(v, dict) and not _is_table_array(v)}
    lines += [f"{_key(k)} = {_value(v)}" for k, v in plain.items() if v is not None]
    for k, v in d.items():
        if isinstance(v, dict):
            name = ".".join(_key(p) for p in path + [k])
            lines += ["", f"[{name}]"]
            _table(v, path + [k], lines)
        elif _is_table_array(v):
            name = ".".join(_key(p) for p in path + [k])
            for item in v:
                lines += ["", f"[[{name}]]"]
                _table(item, path + [k], lines)


def dump_toml(d: dict) -> str:
    """TOML text of a dict of values and (nested) tables; None values are left out."""
    lines: list = []
    _table(d, [], lines)
    return "\n".join(lines).lstrip("\n") + "\n"
