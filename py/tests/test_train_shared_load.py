"""Condenser and decoder on the same model spec: one load, two independent copies (docs/trainer.md)."""
from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import torch

from condense_worker.condenser import Condenser, load_causal_lm, load_causal_lm_pair
from condense_worker.condenser import lm as lm_module
from condense_worker.train import TrainConfig, run_training

run = importlib.import_module("condense_worker.train.run")


@pytest.fixture
def load_calls(monkeypatch):
    """Every spec passed to condense_worker.models.load_model through the condenser's loader."""
    calls: list[str] = []
    real = lm_module.load_model

    def counting(spec, *args, **kwargs):
        calls.append(spec)
        return real(spec, *args, **kwargs)

    monkeypatch.setattr(lm_module, "load_model", counting)
    return calls


def storages(model: torch.nn.Module) -> set[int]:
    return {t.untyped_storage().data_ptr() for t in model.state_dict().values()}


def test_the_same_spec_loads_once_and_gives_equal_but_unshared_copies(load_calls):
    (lm, ctok), (decoder, dtok) = load_causal_lm_pair("tiny:llama", "tiny:llama")
    assert load_calls == ["tiny:llama"]
    assert lm is not decoder and ctok is not dtok
    assert storages(lm).isdisjoint(storages(decoder))
    ref = lm.state_dict()
    for name, t in decoder.state_dict().items():
        assert torch.equal(t, ref[name]), name
    assert ctok("abc").input_ids == dtok("abc").input_ids
    assert dtok.pad_token == ctok.pad_token and dtok.eos_token == ctok.eos_token
    assert not decoder.training


def test_different_specs_or_dtypes_load_each_model(load_calls):
    (lm, _), (decoder, _) = load_causal_lm_pair("tiny:llama", "tiny:mistral")
    assert sorted(load_calls) == ["tiny:llama", "tiny:mistral"]
    assert lm.config.num_hidden_layers == 2 and decoder.config.num_hidden_layers == 3
    load_calls.clear()
    (lm, _), (decoder, _) = load_causal_lm_pair("tiny:llama", "tiny:llama", decoder_dtype=torch.bfloat16)
    assert load_calls == ["tiny:llama", "tiny:llama"]
    assert next(decoder.parameters()).dtype == torch.bfloat16 and next(lm.parameters()).dtype == torch.float32


def test_lora_and_weight_changes_on_the_condenser_leave_the_decoder_unchanged():
    (lm, ctok), (decoder, _) = load_causal_lm_pair("tiny:llama", "tiny:llama")
    before = {k: v.clone() for k, v in decoder.state_dict().items()}
    cond = Condenser.random_init("tiny:llama", "tiny:llama", 64, 4, 2, lora_rank=4, lm=lm, tokenizer=ctok)
    with torch.no_grad():
        for p in cond.lm.parameters():
            p.add_(1.0)  # base and adapter weights alike
    assert not any("lora" in n for n, _ in decoder.named_modules())
    after = decoder.state_dict()
    assert after.keys() == before.keys()
    for name, t in before.items():
        assert torch.equal(after[name], t), name


def test_training_loads_the_shared_model_once_and_keeps_the_decoder_frozen(tmp_path: Path, load_calls, monkeypatch):
    pairs = []
    real_pair = run.load_causal_lm_pair
    monkeypatch.setattr(run, "load_causal_lm_pair", lambda *a, **kw: pairs.append(real_pair(*a, **kw)) or pairs[-1])
    corpus = tmp_path / "text.txt"
    corpus.write_text("abcd abcd dcba abcd. " * 40)
    cfg = TrainConfig(output_dir=str(tmp_path / "out"), condenser_model="tiny:llama", decoder_model="tiny:llama",
                      objective="continuation", data_path=str(corpus), corpus_share=1.0, num_condense_tokens=4,
                      last_k_layers=2, lora_rank=4, lr=5e-2, lr_projection=5e-2, context_tokens=16,
                      max_target_tokens=8, batch_size=1, max_steps=3, val_every=3, val_samples=1, val_generate=0, seed=0)
    result = run_training(cfg)
    assert result.step == 3
    assert load_calls == ["tiny:llama"]
    (lm, _), (decoder, _) = pairs[0]
    fresh, _ = load_causal_lm("tiny:llama")  # the seeded tiny weights, as loaded
    ref = fresh.state_dict()
    for name, t in decoder.state_dict().items():
        assert torch.equal(t, ref[name]), name
    # The condenser did train: its LoRA B matrices start at zero and moved.
    lora_b = [p for n, p in lm.named_parameters() if "lora_B" in n]
    assert lora_b and any(float(p.detach().abs().sum()) > 0 for p in lora_b)
