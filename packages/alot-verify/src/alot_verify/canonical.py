"""Canonical JSON: the exact bytes ALOT! hashes.

RFC 8785 (JSON Canonicalization Scheme) restricted to the types ALOT! allows in hashed
data: objects, arrays, strings, integers, booleans and null. Floats are refused, since
money is integers in minor units and a float's text form is where implementations
drift. Integers are limited to the interoperable range of RFC 8785 / I-JSON
(|n| <= 2**53 - 1), so a JavaScript verifier produces the same bytes.

Within that subset RFC 8785 reduces to: no whitespace; object members sorted by the
UTF-16 code units of their names; strings escaped as ECMAScript's JSON.stringify does
(``\\"``, ``\\\\``, ``\\b \\f \\n \\r \\t``, other controls as ``\\u00xx``, everything else
as literal UTF-8); integers in plain decimal.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from alot_verify.errors import InputError

MAX_SAFE_INTEGER = 2**53 - 1

_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}


def _escape_string(value: str) -> str:
    out = ['"']
    for char in value:
        escaped = _ESCAPES.get(char)
        if escaped is not None:
            out.append(escaped)
        elif char < " ":
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _utf16_key(name: str) -> bytes:
    return name.encode("utf-16-be")


def _encode(value: Any, path: str, out: list[str]) -> None:
    # bool before int: True is an int in Python.
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise InputError("integer outside +/-(2**53 - 1)", where=path)
        out.append(str(int(value)))
    elif isinstance(value, float):
        raise InputError("floats are not allowed in hashed data", where=path)
    elif isinstance(value, str):
        out.append(_escape_string(value))
    elif isinstance(value, Mapping):
        out.append("{")
        names = list(value.keys())
        for name in names:
            if not isinstance(name, str):
                raise InputError("object member names must be strings", where=path)
        for i, name in enumerate(sorted(names, key=_utf16_key)):
            if i:
                out.append(",")
            out.append(_escape_string(name))
            out.append(":")
            _encode(value[name], f"{path}.{name}", out)
        out.append("}")
    elif isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _encode(item, f"{path}[{i}]", out)
        out.append("]")
    else:
        raise InputError(f"type {type(value).__name__} cannot be canonicalized", where=path)


def canonical_json(value: Any) -> bytes:
    """Return the canonical UTF-8 bytes of ``value``; raise InputError on disallowed data."""
    if _fits_fast_path(value):
        # For values that passed the walk, the C encoder writes exactly RFC 8785's bytes:
        # same escapes, raw non-ASCII, and code-point key order equals UTF-16 order
        # when no member name holds a character beyond U+FFFF.
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise InputError("string is not valid Unicode (lone surrogate)", where="$") from exc
    return _canonical_json_reference(value)


def _canonical_json_reference(value: Any) -> bytes:
    """The rules written out one by one: defines correctness, and names what is refused."""
    out: list[str] = []
    _encode(value, "$", out)
    try:
        return "".join(out).encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate cannot be UTF-8
        raise InputError("string is not valid Unicode (lone surrogate)", where="$") from exc


def _fits_fast_path(value: Any) -> bool:
    """True when ``value`` holds only allowed types and no name beyond U+FFFF."""
    pending = [value]
    while pending:
        item = pending.pop()
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is int:
            if not -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
                return False
        elif kind is dict:
            for name in item:
                if type(name) is not str or (not name.isascii() and max(name) > "\uffff"):
                    return False
            pending.extend(item.values())
        elif kind is list or kind is tuple:
            pending.extend(item)
        else:
            return False  # floats, subclasses, other mappings: the reference path decides
    return True
