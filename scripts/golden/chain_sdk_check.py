#!/usr/bin/env python3
"""Runs the golden inputs through the real bittensor SDK (installed in .venv-bt by scripts/setup.d/20-bittensor-sdk.sh)
and writes the SDK's outputs as one JSON object to argv[1] (the SDK logs to stdout), for
test/chain/sdk-crosscheck.test.ts to compare with ours.
Not a golden generator: the stdlib scripts stay the base; this checks them and us against the SDK itself.
"""
import json
import os
import sys

import numpy as np
from bittensor.utils import weight_utils as wu

here = os.path.dirname(os.path.abspath(__file__))
weights = json.load(open(os.path.join(here, "chain_weights.json")))
commits = json.load(open(os.path.join(here, "chain_commit.json")))

out = {"sdk": None, "convert": [], "process": [], "commit": []}
import bittensor  # noqa: E402

out["sdk"] = bittensor.__version__
for c in weights["convert"]:
    u, v = wu.convert_and_normalize_weights_and_uids(c["uids"], c["weights"])
    out["convert"].append({"uids": [int(x) for x in u], "values": [int(x) for x in v]})
for c in weights["process"]:
    u, w = wu.process_weights(
        uids=np.array(c["uids"], dtype=np.int64),
        weights=np.array(c["weights"], dtype=np.float32),
        num_neurons=c["n"],
        min_allowed_weights=c["min_allowed_weights"],
        max_weight_limit=c["max_weights_limit"] / 65535,
        exclude_quantile=c["exclude_quantile"],
    )
    eu, ev = wu.convert_and_normalize_weights_and_uids(list(map(int, u)), [float(x) for x in w])
    out["process"].append({"uids": [int(x) for x in u], "weights": [float(x) for x in w], "emit_uids": [int(x) for x in eu], "emit_values": [int(x) for x in ev]})
for c in commits["cases"]:
    # The SDK passes the storage index (mecid * 4096 + netuid) as its "netuid" argument.
    index = c["mecid"] * 4096 + c["netuid"]
    out["commit"].append(wu.generate_weight_hash(c["hotkey"], index, c["uids"], c["values"], int(c["version_key"]), c["salt"]))
with open(sys.argv[1], "w") as f:
    json.dump(out, f)
