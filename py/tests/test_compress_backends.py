"""soft_token with a randomly initialised condenser; activation_beacon's checks (no checkpoint exists here)."""
from __future__ import annotations

import json

import pytest
import torch

from condense_worker.compress import (CheckpointNotFound, InvalidCompressArgument, UnsupportedCheckpoint,
                                      compress)
from condense_worker.compress.beacon import check_beacon_checkpoint
from condense_worker.models import load_model

CONTEXT = "<s> [INST] The blue key is under the third stone from the old gate, next to the well."


@pytest.fixture(scope="module")
def tiny():
    lm = load_model("tiny:llama")
    return lm.model, lm.tokenizer, lm.shape


def test_soft_token_kv_cache_of_the_soft_tokens(tiny):
    model, tok, shape = tiny
    res = compress(model, tok, CONTEXT, "soft_token", {"checkpoint": "random:tiny:llama", "num_soft_tokens": 6})
    assert res.format == "kv" and res.kept_tokens == 6
    assert res.original_tokens == len(tok(CONTEXT, add_special_tokens=False).input_ids)
    assert res.next_position == 6  # soft tokens sit at positions 0..5
    for k, v in res.layers:
        assert tuple(k.shape) == tuple(v.shape) == (1, shape.num_kv_heads, 6, shape.head_dim)
    # The cache is the decoder's own prefill of the soft embeddings.
    with torch.inference_mode():
        out = model.model(inputs_embeds=res.soft_embeddings[None], use_cache=True).past_key_values
    torch.testing.assert_close(res.keys[0], out.layers[0].keys, rtol=0, atol=1e-5)


def test_soft_token_returns_embeddings_and_is_deterministic_per_seed(tiny):
    model, tok, shape = tiny
    a = compress(model, tok, CONTEXT, "soft_token", {"checkpoint": "random:tiny:llama", "num_soft_tokens": 4,
                                                     "seed": 3}, return_soft_embeddings=True)
    b = compress(model, tok, CONTEXT, "soft_token", {"checkpoint": "random:tiny:llama", "num_soft_tokens": 4,
                                                     "seed": 3}, return_soft_embeddings=True)
    assert a.format == "soft_tokens"
    assert tuple(a.soft_embeddings.shape) == (4, shape.hidden_size)
    assert torch.equal(a.soft_embeddings, b.soft_embeddings)


def test_soft_token_pruned_further_to_a_target(tiny):
    model, tok, shape = tiny
    res = compress(model, tok, CONTEXT, "soft_token", {"checkpoint": "random:tiny:llama", "num_soft_tokens": 8,
                                                      "target_tokens": 3})
    assert res.kept_tokens == 3 and res.next_position == 8 and res.params["pruned_with"] == "knorm"


def test_soft_token_argument_errors(tiny, tmp_path):
    model, tok, _ = tiny
    with pytest.raises(InvalidCompressArgument, match="needs params.checkpoint"):
        compress(model, tok, CONTEXT, "soft_token")
    with pytest.raises(CheckpointNotFound, match="does not exist"):
        compress(model, tok, CONTEXT, "soft_token", {"checkpoint": str(tmp_path / "nope")})
    with pytest.raises(UnsupportedCheckpoint, match="cannot load condenser"):
        compress(model, tok, CONTEXT, "soft_token", {"checkpoint": str(tmp_path)})  # empty directory
    with pytest.raises(InvalidCompressArgument, match="outside the bounds"):
        compress(model, tok, CONTEXT, "soft_token", {"checkpoint": "random:tiny:llama", "num_soft_tokens": 4,
                                                    "min_tokens": 5})


def _write_config(d, cfg):
    d.mkdir(parents=True, exist_ok=True)
    (d / "config.json").write_text(json.dumps(cfg))
    return str(d)


def test_activation_beacon_checks(tiny, tmp_path):
    model, tok, _ = tiny
    with pytest.raises(InvalidCompressArgument, match="needs params.checkpoint"):
        compress(model, tok, CONTEXT, "activation_beacon")
    with pytest.raises(CheckpointNotFound, match="does not exist"):
        compress(model, tok, CONTEXT, "activation_beacon", {"checkpoint": str(tmp_path / "missing")})
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(UnsupportedCheckpoint, match="no config.json"):
        compress(model, tok, CONTEXT, "activation_beacon", {"checkpoint": str(empty)})
    plain = _write_config(tmp_path / "llama", {"model_type": "llama", "hidden_size": 64})
    with pytest.raises(UnsupportedCheckpoint, match="not an Activation Beacon model"):
        compress(model, tok, CONTEXT, "activation_beacon", {"checkpoint": plain})
    beacon_cfg = {"model_type": "mistral", "beacon_ratio": [2, 4, 8], "beacon_window": 1024,
                  "auto_map": {"AutoModelForCausalLM": "modeling_beacon.BeaconMistralForCausalLM"}}
    no_code = _write_config(tmp_path / "beacon-no-code", beacon_cfg)
    with pytest.raises(UnsupportedCheckpoint, match="lacks modeling_beacon.py"):
        compress(model, tok, CONTEXT, "activation_beacon", {"checkpoint": no_code})
    d = tmp_path / "beacon"
    ok = _write_config(d, beacon_cfg)
    (d / "modeling_beacon.py").write_text("# remote code stand-in: never imported by the checks\n")
    assert check_beacon_checkpoint(ok)["beacon_ratio"] == [2, 4, 8]
    if not torch.cuda.is_available():
        with pytest.raises(UnsupportedCheckpoint, match="GPU hosts only"):
            compress(model, tok, CONTEXT, "activation_beacon", {"checkpoint": ok})
