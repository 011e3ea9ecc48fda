#!/usr/bin/env python3
"""Golden vectors for the TS emulation of Python str()/repr() and the bittensor body hash.

Standard library only. Writes pystr_vectors.json next to this file: each case has a Python type descriptor
(the shape ts/bittensor/pytypes.ts uses), the JSON value the TS side coerces, CPython's str() of the coerced
value, and its sha3-256. Body-hash cases list fields in required_hash_fields order, hashed as
bittensor's Synapse.body_hash does: sha3_256("".join(sha3_256(str(v)).hexdigest() for v)).hexdigest().
Run: python3 scripts/golden/pystr_vectors.py [OUT]   (OUT defaults to the committed pystr_vectors.json)
"""
import hashlib
import json
import math
import os
import random
import sys

T_STR = {"kind": "str"}
T_INT = {"kind": "int"}
T_BIGINT = {"kind": "bigint"}
T_FLOAT = {"kind": "float"}
T_BOOL = {"kind": "bool"}


def t_list(t):
    return {"kind": "list", "inner": t}


def t_dict(t):
    return {"kind": "dict", "inner": t}


def t_opt(t):
    return {"kind": "optional", "inner": t}


def coerce(t, v):
    """What pydantic's lax mode makes of the JSON value (the subset of rules the vectors exercise)."""
    k = t["kind"]
    if v is None and k == "optional":
        return None
    if k == "optional":
        return coerce(t["inner"], v)
    if k == "float":
        return float(v)
    if k in ("int", "bigint"):
        return int(v)
    if k == "list":
        return [coerce(t["inner"], x) for x in v]
    if k == "dict":
        return {key: coerce(t["inner"], x) for key, x in v.items()}
    return v


def json_value(t, v):
    """JSON-safe form of a case's input: non-finite floats and big ints travel as strings."""
    if isinstance(v, float) and not math.isfinite(v):
        return repr(v)
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) > 2**53:
        return str(v)
    if isinstance(v, list):
        return [json_value(t.get("inner", {}), x) for x in v]
    if isinstance(v, dict):
        return {k: json_value(t.get("inner", {}), x) for k, x in v.items()}
    return v


def sha3(s):
    return hashlib.sha3_256(s.encode("utf-8")).hexdigest()


def case(t, v):
    py = coerce(t, v)
    s = str(py)
    try:
        digest = sha3(s)
    except UnicodeEncodeError:  # a lone surrogate: Python cannot hash it either
        digest = None
    return {"type": t, "value": json_value(t, v), "str": s, "sha3": digest}


def main():
    rnd = random.Random(47)
    cases = []
    floats = [0.0, -0.0, 1.0, -1.0, 0.1, 0.5, 2.5, 12.0, 100.0, 1 / 3, 2 / 3, 0.30000000000000004, 1e15, 1e16, 1.5e16,
              9999999999999998.0, 123456789012345678.0, 1e22, 1e100, 1.7976931348623157e308, 1e-4, 1e-5, 1.5e-5,
              0.00012345, 0.000012345, 5e-324, 2.2250738585072014e-308, -1.5e-7, 3.141592653589793, 1234.5678,
              float("inf"), float("-inf"), float("nan")]
    for _ in range(300):
        e = rnd.randint(-30, 30)
        floats.append(rnd.uniform(-1, 1) * 10.0**e)
    for _ in range(50):
        floats.append(float(rnd.randint(-10**18, 10**18)))
    for f in floats:
        cases.append(case(T_FLOAT, f))
    # ints given where floats are declared: pydantic coerces, str() shows '.0'
    for i in [0, 1, -7, 12, 2**53]:
        cases.append(case(T_FLOAT, i))
    for i in [0, 1, -5, 42, 2**31, 2**53 - 1, -(2**53 - 1)]:
        cases.append(case(T_INT, i))
    for i in [2**63, 1763769123456789012, -(2**70)]:
        cases.append(case(T_BIGINT, i))
    strings = ["", "hello", "it's", 'say "hi"', "both ' and \"", "back\\slash", "tab\tnl\nret\r", "\x00\x01\x1f\x7f",
               "caf\u00e9", "\u65e5\u672c\u8a9e", "emoji \U0001F600", "\u200b zero width", "nbsp\u00a0", "line\u2028sep",
               "\u0085 nel", "\ue000 private", "\ufeff bom", "\u0378 unassigned", "\u3000 ideographic space", "\ud800 lone",
               "<s> [INST] context [/INST]", "a" * 300]
    for s in strings:
        cases.append(case(T_STR, s))
        cases.append(case(t_list(T_STR), [s, "x"]))
    cases.append(case(T_BOOL, True))
    cases.append(case(T_BOOL, False))
    cases.append(case(t_opt(T_STR), None))
    cases.append(case(t_opt(T_FLOAT), 3))
    cases.append(case(t_list(T_FLOAT), []))
    cases.append(case(t_list(T_FLOAT), [1, 2.5, 1e-7, 1e16]))
    cases.append(case(t_list(t_list(T_FLOAT)), [[0.1, 0.2], [], [3]]))
    cases.append(case(t_list(T_INT), [1, -2, 3]))
    cases.append(case(t_list(T_BOOL), [True, False]))
    cases.append(case(t_dict(T_FLOAT), {"a": 1, "b'": 0.5, "c": 1e-9}))
    cases.append(case(t_dict(t_list(T_STR)), {"questions": ["q1", "it's"], "empty": []}))
    cases.append(case(t_dict(T_STR), {}))
    cases.append(case(t_list(t_opt(T_INT)), [1, None, 3]))

    # Body hashes over several fields (a synapse's required_hash_fields, in order).
    bodies = []
    fields = [
        ("context", T_STR, "Some long context with 'quotes' and \u00e9"),
        ("scores", t_list(T_FLOAT), [1, 0.25, 1e-5]),
        ("temperature", T_FLOAT, 1),
        ("top_k", T_INT, 40),
        ("flags", t_dict(T_BOOL), {"a": True, "b": False}),
        ("tags", t_list(T_STR), ["x", "y'z"]),
    ]
    for n in range(len(fields) + 1):
        chosen = fields[:n]
        digests = "".join(sha3(str(coerce(t, v))) for _, t, v in chosen)
        bodies.append({"fields": [{"name": name, "type": t, "value": json_value(t, v)} for name, t, v in chosen],
                       "body_hash": sha3(digests)})
    out = {"python": sys.version.split()[0], "cases": cases, "bodies": bodies}
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "pystr_vectors.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1, ensure_ascii=True)
        f.write("\n")
    print(f"wrote {len(cases)} str cases and {len(bodies)} body hashes to {path}")


if __name__ == "__main__":
    main()
