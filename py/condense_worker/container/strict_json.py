"""Strict JSON for container headers and `params` (README "One rule each"; mirror of ts/container/json.ts).

json.loads recurses per nesting level (RecursionError), reads NaN and Infinity, and accepts lone
surrogate escapes; TypeScript's JSON.parse differs on each. Here: depth checked first by a linear scan,
then json.loads with hooks, then one walk over the strings.
"""
from __future__ import annotations

import json
import math
import re

MAX_JSON_DEPTH = 32  # the outermost object is depth 1; a header needs 3
MAX_SAFE = 2**53 - 1
_MAX_INT_CHARS = 17  # 2^53 - 1 has 16 digits, plus a sign
_STRUCT = re.compile(r'["\\\[\]{}]')
_SURROGATE = re.compile("[\ud800-\udfff]")  # json joins escaped pairs, so any left is lone


class StrictJsonError(ValueError):
    pass


def _depth_ok(text: str) -> None:
    depth, in_string, skip = 0, False, -1
    for m in _STRUCT.finditer(text):
        at = m.start()
        if at == skip:
            continue
        c = m.group()
        if in_string:
            if c == "\\":
                skip = at + 1
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise StrictJsonError(f"nested deeper than {MAX_JSON_DEPTH} at character {at}")
        elif c in "]}":
            depth -= 1


def _pairs(pairs):
    out = {}
    for k, v in pairs:
        if k in out:
            raise StrictJsonError(f"duplicate key {k[:64]!r}")
        out[k] = v
    return out


def _constant(c):
    raise StrictJsonError(f"{c} is not JSON")


def _header_int(s: str) -> int:
    if len(s) > _MAX_INT_CHARS or abs(int(s)) > MAX_SAFE:
        raise StrictJsonError(f"integer {s[:32]} beyond 2^53 - 1")
    return int(s)


def _header_float(s: str):
    raise StrictJsonError(f"{s[:32]} is not an integer literal")


def _finite(s: str) -> float:
    v = float(s)  # float() has no digit limit; 400 digits reads as inf, as in JavaScript
    if not math.isfinite(v):
        raise StrictJsonError(f"number {s[:32]} is not a finite double")
    return v


def _params_int(s: str):
    _finite(s)
    return int(s)


def _no_lone_surrogates(value) -> None:
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            if _SURROGATE.search(v):
                raise StrictJsonError("lone surrogate in a string")
        elif isinstance(v, dict):
            for k, x in v.items():
                if _SURROGATE.search(k):
                    raise StrictJsonError("lone surrogate in a key")
                stack.append(x)
        elif isinstance(v, list):
            stack.extend(v)


def parse_strict_json(text: str, mode: str):
    """mode "header": numbers are integer literals within +-(2^53 - 1); "params": any finite double."""
    _depth_ok(text)
    if mode == "header":
        hooks = dict(parse_int=_header_int, parse_float=_header_float)
    else:
        hooks = dict(parse_int=_params_int, parse_float=_finite)
    try:
        value = json.loads(text, object_pairs_hook=_pairs, parse_constant=_constant, **hooks)
    except StrictJsonError:
        raise
    except ValueError as err:  # JSONDecodeError, or int() past Python's digit limit
        raise StrictJsonError(str(err)) from None
    _no_lone_surrogates(value)
    return value
