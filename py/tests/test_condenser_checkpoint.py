"""Condenser construction, forward shapes, padding invariance and the checkpoint format (tiny models)."""
from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file, save_file

from condense_worker.condenser import (ADAPTER_DIR, CONFIG_FILE, WEIGHTS_FILE, CheckpointError, Condenser,
                                       CondenserConfig)


@pytest.fixture(scope="module")
def condenser() -> Condenser:
    c = Condenser.random_init("tiny:llama", "tiny:llama", decoder_hidden=64, num_tokens=6, last_k=2, lora_rank=4,
                              max_context_tokens=40, seed=3)
    # LoRA B starts at zero; perturb it so a save/load round trip really carries adapter weights.
    with torch.no_grad():
        for p in c.adapter_parameters():
            p.add_(torch.randn_like(p) * 0.05)
    return c.eval()


def test_condense_gives_n_soft_tokens_in_the_decoder_space(condenser):
    ids, mask = condenser.tokenize(["a short one", "a somewhat longer context than the first"])
    soft = condenser.condense(ids, mask)
    assert soft.shape == (2, 6, 64)
    assert torch.isfinite(soft).all()


def test_left_padding_does_not_change_a_context_s_soft_tokens(condenser):
    texts = ["short", "a much longer context that forces padding on the first"]
    with torch.no_grad():
        batched = condenser.condense_text(texts)
        alone = condenser.condense_text(texts[:1])
    torch.testing.assert_close(batched[0], alone[0], atol=1e-4, rtol=1e-4)


def test_contexts_are_cut_to_max_context_tokens(condenser):
    ids, _ = condenser.tokenize(["x" * 500])
    assert ids.shape == (1, 40)


def test_save_writes_the_documented_layout_and_load_reproduces_the_output(condenser, tmp_path):
    condenser.save(tmp_path, trained_steps=7)
    assert {p.name for p in tmp_path.iterdir()} == {CONFIG_FILE, WEIGHTS_FILE, ADAPTER_DIR}
    assert (tmp_path / ADAPTER_DIR / "adapter_config.json").is_file()
    cfg = json.loads((tmp_path / CONFIG_FILE).read_text())
    assert cfg["num_tokens"] == 6 and cfg["last_k"] == 2 and cfg["trained_steps"] == 7
    assert cfg["condenser_model"] == "tiny:llama" and cfg["decoder_model"] == "tiny:llama"
    assert set(cfg["versions"]) == {"torch", "transformers", "peft"}
    assert set(load_file(str(tmp_path / WEIGHTS_FILE))) == {"condense_tokens", "norm.weight", "norm.bias",
                                                            "proj.weight", "proj.bias"}
    with torch.no_grad():
        want = condenser.condense_text(["the checkpoint must reproduce this"])
        merged = Condenser.load(tmp_path).condense_text(["the checkpoint must reproduce this"])
        unmerged = Condenser.load(tmp_path, merge_adapter=False).condense_text(["the checkpoint must reproduce this"])
    torch.testing.assert_close(merged, want, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(unmerged, want, atol=1e-5, rtol=1e-5)


def test_load_without_the_adapter_would_differ(condenser, tmp_path):
    # Guards the previous test: the perturbed adapter really changes the output.
    condenser.save(tmp_path)
    cfg = CondenserConfig.load(tmp_path)
    cfg.lora_rank = 0
    cfg.save(tmp_path)
    with torch.no_grad():
        bare = Condenser.load(tmp_path).condense_text(["x y z"])
        want = condenser.condense_text(["x y z"])
    assert (bare - want).abs().max() > 1e-3


def test_bad_checkpoints_fail_with_a_named_cause(condenser, tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        Condenser.load(tmp_path / "nope")
    with pytest.raises(CheckpointError, match="not a condenser checkpoint"):
        Condenser.load(tmp_path)
    condenser.save(tmp_path)
    raw = json.loads((tmp_path / CONFIG_FILE).read_text())

    (tmp_path / CONFIG_FILE).write_text("{not json")
    with pytest.raises(CheckpointError, match="not valid JSON"):
        Condenser.load(tmp_path)
    (tmp_path / CONFIG_FILE).write_text(json.dumps({**raw, "format_version": 99}))
    with pytest.raises(CheckpointError, match="format_version 99"):
        Condenser.load(tmp_path)
    (tmp_path / CONFIG_FILE).write_text(json.dumps({**raw, "num_tokens": 0}))
    with pytest.raises(CheckpointError, match="num_tokens must be a positive integer"):
        Condenser.load(tmp_path)
    (tmp_path / CONFIG_FILE).write_text(json.dumps({**raw, "surprise": 1}))
    with pytest.raises(CheckpointError, match="unknown keys"):
        Condenser.load(tmp_path)
    (tmp_path / CONFIG_FILE).write_text(json.dumps(raw))
    weights = load_file(str(tmp_path / WEIGHTS_FILE))
    weights["proj.weight"] = weights["proj.weight"][:10]
    save_file(weights, str(tmp_path / WEIGHTS_FILE))
    with pytest.raises(CheckpointError, match="proj.weight has shape"):
        Condenser.load(tmp_path)
    del weights["proj.weight"]
    save_file(weights, str(tmp_path / WEIGHTS_FILE))
    with pytest.raises(CheckpointError, match="lacks tensor 'proj.weight'"):
        Condenser.load(tmp_path)


def test_last_k_beyond_the_layer_count_is_refused():
    with pytest.raises(CheckpointError, match="last_k=9 exceeds"):
        Condenser.random_init("tiny:llama", "tiny:llama", decoder_hidden=64, num_tokens=2, last_k=9, lora_rank=0)
