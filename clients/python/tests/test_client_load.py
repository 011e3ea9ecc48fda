"""The client against containers the worker itself wrote (tiny random llama, no download): the round trip
matches the worker's own answer path, and forged bindings, wrong models and bad values are refused."""
from __future__ import annotations

import json
import struct

import numpy as np
import pytest
import torch

from condense_client import ClientError, load_container
from condense_worker.container import context_sha256, export_legacy_npy, read_container_header
from condense_worker.decoding import cache_from_layers, eos_token_ids, greedy_generate
from condense_worker.evaluate import evaluate
from condense_worker.tasks.chat import chat_format
from client_helpers import CONTEXT, Signer, send_file

QUESTIONS = ("What is the vault code?", "How many bolts does crate 3 hold?")


@pytest.fixture(scope="module")
def alice():
    return Signer(bytes(range(32)))


@pytest.fixture(scope="module")
def mallory():
    return Signer(bytes(range(1, 33)))


def code_of(fn) -> str:
    with pytest.raises(ClientError) as err:
        fn()
    return err.value.code


def worker_answers(tiny, path, max_new_tokens=12):
    fmt = chat_format(tiny.tokenizer)
    return evaluate(tiny.model, tiny.tokenizer, str(path), [fmt.question(q) for q in QUESTIONS], max_new_tokens).answer_ids


@pytest.mark.parametrize("dtype", ["bf16", "int8"])
def test_round_trip_signed_container_answers_as_the_worker_does(tiny, compressed, write, alice, server, dtype):
    path = write(hotkey=alice.address, dtype=dtype)
    alice.sign(path)
    c = load_container(path, tiny, expected_context=CONTEXT, expected_hotkey=alice.address)
    assert c.format == "safetensors" and c.signature_verified
    assert c.kept_tokens == compressed.layers[0][0].shape[2] < compressed.original_tokens
    assert c.next_position == c.original_tokens == compressed.original_tokens
    assert c.context_sha256 == context_sha256(CONTEXT) and c.miner_hotkey == alice.address
    assert len(c.cache.layers) == len(compressed.layers)
    want = worker_answers(tiny, path)
    got = [c.answer_ids(q, max_new_tokens=12) for q in QUESTIONS]
    assert got == want and all(len(ids) > 0 for ids in got)
    assert c.answer_ids(QUESTIONS[0], max_new_tokens=12) == got[0]  # the cache is unchanged after a question
    assert c.kept_tokens == c.cache.get_seq_length()
    assert c.answer(QUESTIONS[0], max_new_tokens=12) == tiny.tokenizer.decode(want[0], skip_special_tokens=True)
    # the same container over HTTP (loopback: allow_private), same answers
    url, hits = server(send_file(path))
    c2 = load_container(url + "/x.safetensors", tiny, expected_context=CONTEXT, expected_hotkey=alice.address,
                        allow_private=True)
    assert c2.signature_verified and hits == ["/x.safetensors"]
    assert [c2.answer_ids(q, max_new_tokens=12) for q in QUESTIONS] == want


def test_the_comparison_is_sensitive_to_where_positions_continue(tiny, write):
    """Guards the round trip test: answering from the cache length instead of the original token count gives
    other tokens, so the equality above really pins the positions."""
    c = load_container(write(), tiny)
    q = tiny.tokenizer(c.prompt(QUESTIONS[0]), return_tensors="pt", add_special_tokens=False).input_ids
    layers = [(layer.keys.clone(), layer.values.clone()) for layer in c.cache.layers]
    shifted = greedy_generate(tiny.model, cache_from_layers(layers), q, original_length=c.kept_tokens,
                              max_new_tokens=12, eos_ids=eos_token_ids(tiny.model, tiny.tokenizer))
    assert shifted != c.answer_ids(QUESTIONS[0], max_new_tokens=12)


def test_forged_bindings_are_refused(tiny, write, alice, mallory):
    path = write(hotkey=alice.address)
    alice.sign(path)
    assert code_of(lambda: load_container(path, tiny, expected_context="another context")) == "BINDING_MISMATCH"
    assert code_of(lambda: load_container(path, tiny, expected_context_sha256="0" * 64)) == "BINDING_MISMATCH"
    assert code_of(lambda: load_container(path, tiny, expected_hotkey=mallory.address)) == "HOTKEY_MISMATCH"

    # mallory signs a container that names alice: the signature does not verify against alice's key
    forged = write("forged.safetensors", hotkey=alice.address)
    mallory.sign(forged)
    assert code_of(lambda: load_container(forged, tiny, expected_hotkey=alice.address)) == "BAD_SIGNATURE"
    assert code_of(lambda: load_container(forged, tiny)) == "BAD_SIGNATURE"  # a signature is always checked

    # alice's container rebound to another context in place (same length): the signature no longer covers it
    h = read_container_header(path)
    raw = bytearray(open(path, "rb").read())
    at = raw.index(b'"context_sha256":"') + len(b'"context_sha256":"')
    other = context_sha256("another context").encode()
    rebound = path.parent / "rebound.safetensors"
    rebound.write_bytes(bytes(raw[:at] + other + raw[at + 64:]))
    assert code_of(lambda: load_container(rebound, tiny, expected_context="another context")) == "BAD_SIGNATURE"

    # a flipped tensor byte: the signature still verifies (it covers data_sha256), the data hash does not
    flipped = path.parent / "flipped.safetensors"
    data = bytearray(raw)
    data[h.data_offset + 5] ^= 0x01
    flipped.write_bytes(bytes(data))
    assert code_of(lambda: load_container(flipped, tiny, expected_hotkey=alice.address)) == "DATA_MISMATCH"

    # unsigned: refused when a hotkey is expected, loaded (not verified) when none is
    unsigned = write("unsigned.safetensors", hotkey=alice.address)
    assert code_of(lambda: load_container(unsigned, tiny, expected_hotkey=alice.address)) == "UNSIGNED"
    assert load_container(unsigned, tiny).signature_verified is False


def test_wrong_model_dtype_and_bounds_are_refused(tiny, compressed, write):
    layers = compressed.layers
    three = write("three.safetensors", layers=layers + [layers[0]])  # a 3-layer model's container (tiny:mistral)
    assert code_of(lambda: load_container(three, tiny)) == "BAD_SHAPE"
    narrow = write("narrow.safetensors", layers=[(k[..., :8].contiguous(), v[..., :8].contiguous()) for k, v in layers])
    assert code_of(lambda: load_container(narrow, tiny)) == "BAD_SHAPE"
    path = write(target_model="mistralai/Mistral-7B-Instruct-v0.2")
    assert code_of(lambda: load_container(path, tiny, target_model="HuggingFaceTB/SmolLM2-135M-Instruct")) == "MODEL_MISMATCH"
    assert load_container(path, tiny, target_model="mistralai/Mistral-7B-Instruct-v0.2").target_model.startswith("mistralai/")
    assert code_of(lambda: load_container(path, tiny, allowed_dtypes=("int8",))) == "BAD_DTYPE"
    assert code_of(lambda: load_container(path, tiny, min_kept_tokens=10_000)) == "TOKEN_BOUNDS"
    assert code_of(lambda: load_container(path, tiny, allowed_dtypes=("nope",))) == "BAD_ARGUMENT"
    assert code_of(lambda: load_container(path.parent / "missing.safetensors", tiny)) == "NOT_FOUND"
    assert code_of(lambda: load_container(path, "tiny:gpt9")) == "BAD_ARGUMENT"


def test_a_header_that_lies_and_non_finite_values_are_refused(tiny, compressed, write, tmp_path):
    path = write()
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    big = tmp_path / "huge-header.safetensors"
    big.write_bytes(struct.pack("<Q", 1 << 40) + raw[8:])
    assert code_of(lambda: load_container(big, tiny)) == "HEADER_TOO_LARGE"
    cut = tmp_path / "cut.safetensors"
    cut.write_bytes(raw[:8 + n + 10])
    assert code_of(lambda: load_container(cut, tiny)) == "TRUNCATED"
    nan = [(k.clone(), v.clone()) for k, v in compressed.layers]
    nan[1][0][0, 0, 0, 0] = float("nan")
    assert code_of(lambda: load_container(write("nan.safetensors", layers=nan, check_finite=False), tiny)) == "NON_FINITE"


def test_legacy_npy_loads_and_answers_like_the_f32_container(tiny, compressed, write, tmp_path, server):
    npy = tmp_path / "legacy.npy"
    export_legacy_npy(npy, compressed.layers)
    f32 = write("f32.safetensors", dtype="f32")
    want = [load_container(f32, tiny).answer_ids(q, max_new_tokens=12) for q in QUESTIONS]
    c = load_container(npy, tiny, original_tokens=compressed.original_tokens)
    assert c.format == "npy" and c.meta is None and not c.signature_verified
    assert c.next_position == compressed.original_tokens and c.kept_tokens == compressed.layers[0][0].shape[2]
    assert [c.answer_ids(q, max_new_tokens=12) for q in QUESTIONS] == want
    # without the original count its positions continue from its own length
    assert load_container(npy, tiny).next_position == c.kept_tokens
    url, _ = server(send_file(npy))
    assert load_container(url + "/k.npy", tiny, allow_private=True, original_tokens=compressed.original_tokens
                          ).answer_ids(QUESTIONS[0], max_new_tokens=12) == want[0]
    assert code_of(lambda: load_container(npy, tiny, expected_context=CONTEXT)) == "LEGACY_UNBOUND"
    assert code_of(lambda: load_container(npy, tiny, original_tokens=3)) == "BAD_ARGUMENT"
    # an .npy of object dtype (it would need pickle): refused before numpy reads it
    obj = tmp_path / "obj.npy"
    np.save(obj, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    assert code_of(lambda: load_container(obj, tiny)) == "NPY_PICKLE"
    wrong = tmp_path / "wrong.npy"
    np.save(wrong, np.zeros((3, 2, 1, 2, 5, 16), dtype="<f4"))
    assert code_of(lambda: load_container(wrong, tiny)) == "BAD_SHAPE"


def test_the_metadata_exposed_is_the_containers_own(tiny, write):
    """The metadata the client exposes is the container's own, as stored."""
    c = load_container(write(), tiny)
    assert c.meta.algorithm == "knorm" and json.loads(c.meta.raw["params"]) == c.meta.params
    assert torch.is_tensor(c.cache.layers[0].keys) and c.cache.layers[0].keys.dtype == tiny.dtype
