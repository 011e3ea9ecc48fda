#!/usr/bin/env python3
"""Golden vectors for weight conversion and shaping (bittensor SDK weight_utils), standard library only.

convert: SDK convert_and_normalize_weights_and_uids -> float32 cast, divide by max (float64), * 65535,
Python round() (half to even), zeros dropped.
process: SDK process_weights_for_netuid (with normalize_max_weight and numpy's linear quantile), in float64.
Writes chain_weights.json next to this file (or to the path in argv[1]).
"""
import json
import math
import os
import sys
import random
import struct

U16_MAX = 65535


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def convert(uids, weights):
    w = [f32(x) for x in weights]
    if sum(w) == 0:
        return [], []
    mx = float(max(w))
    w = [float(v) / mx for v in w]
    out_u, out_v = [], []
    for wi, ui in zip(w, uids):
        v = round(float(wi) * int(U16_MAX))
        if v != 0:
            out_u.append(ui)
            out_v.append(v)
    return out_u, out_v


def normalize_max_weight(x, limit):
    eps = 1e-7
    n = len(x)
    values = sorted(x)
    if sum(x) == 0 or n * limit <= 1:
        return [1 / n for _ in x]
    vsum = sum(values)
    est = [v / vsum for v in values]
    if max(est) <= limit:
        s = sum(x)
        return [v / s for v in x]
    cumsum, acc = [], 0.0
    for e in est:
        acc += e
        cumsum.append(acc)
    est_sum = [(n - i - 1) * est[i] for i in range(n)]
    n_values = sum(1 for i in range(n) if est[i] / (est_sum[i] + cumsum[i] + eps) < limit)
    cutoff_scale = (limit * cumsum[n_values - 1] - eps) / (1 - (limit * (n - n_values)))
    cutoff = cutoff_scale * vsum
    capped = [cutoff if v > cutoff else v for v in x]
    s = sum(capped)
    return [v / s for v in capped]


def quantile_linear(sorted_vals, q):
    # numpy 'linear' method with its two-sided lerp
    n = len(sorted_vals)
    pos = q * (n - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, n - 1)
    t = pos - lo
    a, b = sorted_vals[lo], sorted_vals[hi]
    d = b - a
    return b - d * (1 - t) if t >= 0.5 else a + d * t


def process(uids, weights, n, min_allowed, max_limit_u16, exclude_quantile):
    limit = max_limit_u16 / U16_MAX
    quantile = exclude_quantile / U16_MAX
    w = [f32(x) for x in weights]
    nz = [i for i, v in enumerate(w) if v > 0]
    if len(nz) == 0 or n < min_allowed:
        return list(range(n)), [1 / n] * n
    if len(nz) < min_allowed:
        padded = [1e-5] * n
        for i in nz:
            padded[i] += w[i]
        out = normalize_max_weight(padded, limit)
        return list(range(len(out))), out
    nz_w = [w[i] for i in nz]
    nz_u = [uids[i] for i in nz]
    max_exclude = max(0, len(nz_w) - min_allowed) / len(nz_w)
    q = min(quantile, max_exclude)
    lowest = quantile_linear(sorted(nz_w), q)
    keep = [i for i, v in enumerate(nz_w) if lowest <= v]
    kept_w = [nz_w[i] for i in keep]
    return [nz_u[i] for i in keep], normalize_max_weight(kept_w, limit)


def main():
    rng = random.Random(19)
    convert_cases = [
        ([0, 1], [1, 6]),
        ([0, 1, 2], [0.5, 0.25, 0.25]),
        ([0, 1], [0, 0]),
        ([3, 4, 5, 6], [0.1, 0.2, 0.3, 0.0]),
        ([0, 1], [1, 131070]),  # 0.5 -> 0 (dropped)
        ([0, 1], [3, 131070]),  # 1.5 -> 2
        ([0, 1], [5, 131070]),  # 2.5 -> 2
        ([0, 1], [7, 131070]),  # 3.5 -> 4
        ([0, 1, 2], [1e-9, 1e-8, 1.0]),
        ([7], [0.3]),
        ([0, 1, 2], [1 / 3, 1 / 3, 1 / 3]),
    ]
    for _ in range(20):
        k = rng.randint(1, 40)
        ws = [rng.choice([0.0, rng.random(), rng.random() * 1e-3, float(rng.randint(0, 9))]) for _ in range(k)]
        convert_cases.append((list(range(k)), ws))
    conv = []
    for u, w in convert_cases:
        eu, ev = convert(u, w)
        conv.append({"uids": u, "weights": w, "expect_uids": eu, "expect_values": ev})

    process_cases = [
        # (uids, weights, n, min_allowed, max_weights_limit_u16, exclude_quantile_u16)
        ([0, 1, 2, 3], [0, 0, 0, 0], 4, 1, 65535, 0),  # all zero -> uniform
        ([0, 1, 2], [0.5, 0.2, 0.3], 3, 8, 65535, 0),  # n < min_allowed -> uniform
        ([0, 1, 2, 3, 4], [0.9, 0, 0, 0, 0.1], 5, 3, 65535, 0),  # few non-zero -> padded
        ([0, 1, 2, 3, 4], [0.9, 0, 0, 0, 0.1], 5, 3, 26214, 0),  # padded and capped
        ([0, 1, 2, 3], [0.4, 0.3, 0.2, 0.1], 4, 1, 65535, 0),
        ([0, 1, 2, 3], [0.97, 0.01, 0.01, 0.01], 4, 1, 19660, 0),  # cap at 0.3
        ([0, 1, 2, 3, 4, 5, 6, 7], [8, 7, 6, 5, 4, 3, 2, 1], 8, 2, 65535, 16384),  # drop lowest quarter
        ([0, 1, 2, 3], [1, 1, 1, 1], 4, 1, 6553, 0),  # n * limit <= 1 -> uniform
    ]
    for _ in range(10):
        n = rng.randint(2, 30)
        ws = [rng.choice([0.0, rng.random(), rng.random() ** 4]) for _ in range(n)]
        process_cases.append(
            (list(range(n)), ws, n, rng.randint(1, n + 2), rng.choice([65535, 32768, 13107, 6553]), rng.choice([0, 6553, 32768]))
        )
    proc = []
    for u, w, n, mn, lim, q in process_cases:
        eu, ew = process(u, w, n, mn, lim, q)
        cu, cv = convert(eu, ew)
        proc.append(
            {
                "uids": u, "weights": w, "n": n, "min_allowed_weights": mn, "max_weights_limit": lim,
                "exclude_quantile": q, "expect_uids": eu, "expect_weights": ew,
                "expect_emit_uids": cu, "expect_emit_values": cv,
            }
        )
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "chain_weights.json")
    with open(out, "w") as f:
        json.dump({"generator": "scripts/golden/chain_weights.py", "convert": conv, "process": proc}, f, indent=1)
        f.write("\n")
    print(f"wrote {out}: {len(conv)} convert cases, {len(proc)} process cases")


if __name__ == "__main__":
    main()
