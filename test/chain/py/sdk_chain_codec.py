#!/usr/bin/env python3
"""Oracle for test/chain/sdk-codec.test.ts: the SDK's own decoders and call encoder (async-substrate-interface
2.2 / cyscale, as bittensor 10.5 uses them) run on subtensor's real runtime metadata (v15, spec 343, in
test/chain/fixtures), offline.

stdin: {"metadata": path.gz, "runtime_api": [{"api", "method", "hex"}], "storage": [{"item", "hex"}],
        "keys": [{"item", "params"}], "calls": [{"function", "args"}]}
stdout: {"versions", "spec_version", "runtime_api": [...], "storage": [...], "keys": [hex], "calls": [hex | {"error"}]}
"""
import gzip
import json
import sys
from importlib.metadata import version

from scalecodec import ScaleBytes
from scalecodec.base import RuntimeConfigurationObject
from scalecodec.type_registry import load_type_registry_preset
from async_substrate_interface.types import Runtime
from async_substrate_interface.utils.decoding import scale_decode
from async_substrate_interface.utils.storage import StorageKey

from bittensor.core.chain_data import AxonInfo, MetagraphInfo, NeuronInfoLite


def jsonable(x):
    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if isinstance(x, (bytes, bytearray)):
        return "0x" + bytes(x).hex()
    if isinstance(x, int) and not isinstance(x, bool):
        return str(x) if abs(x) > 2**53 else x
    if hasattr(x, "rao"):  # bittensor Balance
        return {"rao": str(int(x.rao))}
    if isinstance(x, (str, bool, float)) or x is None:
        return x
    if hasattr(x, "__dict__"):
        return jsonable({k: v for k, v in vars(x).items() if not k.startswith("_")})
    return str(x)


req = json.load(sys.stdin)
rc = RuntimeConfigurationObject(ss58_format=42)
rc.update_type_registry(load_type_registry_preset("core"))
meta = rc.create_scale_object("MetadataVersioned", data=ScaleBytes(gzip.open(req["metadata"]).read()))
meta.decode()
runtime = Runtime(chain="Bittensor", metadata=meta, type_registry={}, runtime_config=rc, metadata_v15=meta, ss58_format=42,
                  runtime_info={"specVersion": 343, "transactionVersion": 1})
# Fail on trailing bytes: a payload longer than the layout means the layouts disagree.
runtime.config["strict_scale_decode"] = True
pallet = next(p for p in meta.get_metadata().pallets if p.name == "SubtensorModule")
storage = {s.value["name"]: s.value for s in pallet.storage}

out = {
    "versions": {p: version(p) for p in ("bittensor", "async-substrate-interface", "cyscale")},
    "runtime_api": [],
    "storage": [],
    "keys": [],
    "calls": [],
}
for c in req.get("runtime_api", []):
    d = runtime.runtime_api_map[c["api"]][c["method"]]
    try:
        # What runtime_call does with the state_call result: decode as the method's output type.
        value = scale_decode(f"scale_info::{d['output']}", bytes.fromhex(c["hex"]), runtime=runtime).value
    except Exception as e:  # noqa: BLE001 - reported to the test
        out["runtime_api"].append({"error": repr(e)})
        continue
    entry = {"raw": jsonable(value)}
    if c["method"] == "get_selective_metagraph":
        entry["sdk"] = jsonable(MetagraphInfo.from_dict(value))
        if value.get("axons") is not None:
            entry["sdk_axons"] = jsonable([AxonInfo.from_dict({**a, "hotkey": "", "coldkey": ""}) for a in value["axons"]])
    elif c["method"] == "get_neurons_lite":
        entry["sdk"] = jsonable(NeuronInfoLite.list_from_dicts(value))
    out["runtime_api"].append(entry)
for s in req.get("storage", []):
    value_type = storage[s["item"]]["type"]["Map"]["value"]
    value = scale_decode(f"scale_info::{value_type}", bytes.fromhex(s["hex"]), runtime=runtime).value
    entry = {"raw": jsonable(value)}
    if s["item"] == "Axons":
        entry["sdk"] = jsonable(AxonInfo.from_dict({**value, "hotkey": "", "coldkey": ""}))
    out["storage"].append(entry)
for k in req.get("keys", []):
    key = StorageKey.create_from_storage_function("SubtensorModule", k["item"], k["params"], runtime_config=rc, metadata=meta)
    out["keys"].append("0x" + key.data.hex())
BIG = ("version_key", "reveal_round")  # sent as decimal strings: JSON numbers stop at 2^53
for c in req.get("calls", []):
    c["args"] = {k: int(v) if k in BIG else v for k, v in c["args"].items()}
    # compose_call: a Call scale object encoded from metadata.
    try:
        call = rc.create_scale_object(type_string="Call", metadata=meta)
        data = call.encode({"call_module": "SubtensorModule", "call_function": c["function"], "call_args": c["args"]})
        out["calls"].append("0x" + data.data.hex())
    except Exception as e:  # noqa: BLE001 - reported to the test
        out["calls"].append({"error": repr(e)})
json.dump(out, sys.stdout)
