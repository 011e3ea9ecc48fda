"""decoding.py in process on a tiny model: prefill, pruned-cache positions, cache restore."""

from __future__ import annotations

import pytest
import torch

from condense_worker.decoding import cache_from_layers, eos_token_ids, greedy_generate, layers_from_cache, prefill
from condense_worker.errors import Cancelled
from condense_worker.models import load_model, tiny_config
from transformers import AutoModelForCausalLM


@pytest.fixture(scope="module")
def tiny():
    return load_model("tiny:llama")


def ids(n: int, seed: int) -> torch.Tensor:
    return torch.randint(0, 256, (1, n), generator=torch.Generator().manual_seed(seed))


def test_chunked_prefill_equals_one_forward_pass(tiny) -> None:
    context = ids(300, 1)
    layers = prefill(tiny.model, context, chunk_size=64)
    with torch.no_grad():
        direct = tiny.model(input_ids=context, use_cache=True).past_key_values
    assert len(layers) == tiny.shape.num_layers
    for (k, v), layer in zip(layers, direct.layers):
        assert k.shape == (1, tiny.shape.num_kv_heads, 300, tiny.shape.head_dim)
        torch.testing.assert_close(k, layer.keys, rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(v, layer.values, rtol=1e-5, atol=1e-5)


@pytest.fixture(scope="module")
def one_layer():
    """With one layer, a kept token's K/V depend only on the token and its position, so a pruned
    cache must behave exactly like a forward pass over the kept tokens at their original positions."""
    config = tiny_config("llama")
    config.num_hidden_layers = 1
    torch.manual_seed(0)
    return AutoModelForCausalLM.from_config(config).eval()


def test_pruned_cache_continues_at_the_original_positions(one_layer) -> None:
    model, n = one_layer, 200
    context, question = ids(n, 2), ids(6, 3)
    keep = torch.cat([torch.arange(0, 40), torch.arange(120, n)])  # drop the middle 80 tokens
    layers = [(k[:, :, keep], v[:, :, keep]) for k, v in prefill(model, context)]
    got = greedy_generate(model, cache_from_layers(layers), question, original_length=n, max_new_tokens=5)

    expected: list[int] = []
    seq = torch.cat([context[:, keep], question], dim=1)
    pos = torch.cat([keep, torch.arange(n, n + question.shape[1])]).unsqueeze(0)
    with torch.no_grad():
        for _ in range(5):
            token = int(model(input_ids=seq, position_ids=pos).logits[0, -1].argmax())
            expected.append(token)
            seq = torch.cat([seq, torch.tensor([[token]])], dim=1)
            pos = torch.cat([pos, pos[:, -1:] + 1], dim=1)
    assert got == expected
    # Continuing from the cache length instead (the bug this guards against) answers differently.
    wrong = greedy_generate(model, cache_from_layers(layers), question, original_length=len(keep), max_new_tokens=5)
    assert wrong != expected


def test_cache_is_restored_after_each_question(tiny) -> None:
    model = tiny.model
    layers = prefill(model, ids(100, 4))
    cache = cache_from_layers(layers)
    before = [(k.clone(), v.clone()) for k, v in layers_from_cache(cache)]
    q1, q2 = ids(5, 5), ids(7, 6)
    first = greedy_generate(model, cache, q1, max_new_tokens=8)
    assert cache.get_seq_length() == 100
    for (k, v), (k0, v0) in zip(layers_from_cache(cache), before):
        assert torch.equal(k, k0) and torch.equal(v, v0)
    second = greedy_generate(model, cache, q2, max_new_tokens=8)
    assert second == greedy_generate(model, cache_from_layers(layers), q2, max_new_tokens=8)
    assert first == greedy_generate(model, cache_from_layers(layers), q1, max_new_tokens=8)


def test_check_interrupts_generation_and_still_restores_the_cache(tiny) -> None:
    cache = cache_from_layers(prefill(tiny.model, ids(50, 7)))
    steps = []

    def check() -> None:
        steps.append(1)
        if len(steps) == 3:
            raise Cancelled("stop")

    with pytest.raises(Cancelled):
        greedy_generate(tiny.model, cache, ids(4, 8), max_new_tokens=50, check=check)
    assert cache.get_seq_length() == 50


def test_generation_stops_at_eos(tiny) -> None:
    model = tiny.model
    cache = cache_from_layers(prefill(model, ids(30, 9)))
    free = greedy_generate(model, cache, ids(3, 10), max_new_tokens=6)
    stopped = greedy_generate(model, cache, ids(3, 10), max_new_tokens=6, eos_ids={free[2]})
    assert stopped == free[: free.index(free[2])]
    assert 257 in eos_token_ids(model, tiny.tokenizer)


def test_original_length_shorter_than_the_cache_is_rejected(tiny) -> None:
    cache = cache_from_layers(prefill(tiny.model, ids(20, 11)))
    with pytest.raises(ValueError, match="shorter than the cache"):
        greedy_generate(tiny.model, cache, ids(2, 12), original_length=10)
