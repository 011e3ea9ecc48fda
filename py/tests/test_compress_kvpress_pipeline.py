"""End to end against kvpress's own `kv-press-text-generation` pipeline: the same prompt ids, the same ratio,
and our compress + greedy decoding must give the pipeline's answer token for token (tiny random Llama; the
benchmark repeats this on SmolLM2, docs/benchmarks.md, quality)."""
from __future__ import annotations

import pytest
import torch
from kvpress import ExpectedAttentionPress, KnormPress, SnapKVPress
from transformers import DynamicCache, pipeline

from condense_worker.compress import compress
from condense_worker.evaluate import LoadedContext, greedy_same_question
from condense_worker.models import load_model

CONTEXT = " ".join(f"Entry {i}: the lamp in room {i % 7} was switched {'on' if i % 3 else 'off'}." for i in range(30))


@pytest.fixture(scope="module")
def setup():
    lm = load_model("tiny:llama")
    model, tok = lm.model, lm.tokenizer
    pipe = pipeline("kv-press-text-generation", model=model, tokenizer=tok, device=model.device)
    return model, tok, pipe


@pytest.mark.parametrize("name,cls", [("snapkv", SnapKVPress), ("expected_attention", ExpectedAttentionPress),
                                      ("knorm", KnormPress)])
@pytest.mark.parametrize("ratio", [0.5, 0.75])
def test_our_press_answers_what_kvpress_pipeline_answers(setup, name, cls, ratio):
    model, tok, pipe = setup
    question, prefix = "Which room had lamp 12?", " Room"
    inputs = pipe.preprocess(CONTEXT, questions=[question], answer_prefix=prefix, max_context_length=10 ** 9)
    ids, q_ids = inputs["context_ids"], inputs["questions_ids"][0]
    T = ids.shape[1]
    res = compress(model, tok, ids, name, {"ratio": ratio})
    stop = model.generation_config.eos_token_id  # what the pipeline stops on
    eos = set(stop if isinstance(stop, list) else [] if stop is None else [stop])
    (reply,) = greedy_same_question(model, [LoadedContext(res.layers, T)], q_ids, 12, eos)
    cache = DynamicCache()
    with torch.inference_mode():
        theirs = pipe(CONTEXT, question=question, answer_prefix=prefix, press=cls(compression_ratio=ratio),
                      max_new_tokens=12, cache=cache)["answer"]
    assert cache.get_seq_length() == res.kept_tokens == int(T * (1 - ratio))
    assert reply and tok.decode(reply, skip_special_tokens=True) == theirs
