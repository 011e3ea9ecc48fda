"""Public API of the soft-token condenser and its checkpoint format (docs/trainer.md).

    cond = Condenser.random_init("tiny:llama", "tiny:llama", decoder_hidden=64, num_tokens=8, last_k=2)
    cond.save(dir)                                  # condenser_config.json, condenser.safetensors, adapter/
    cond = Condenser.load(dir, device="cpu")        # validates config and tensor shapes
    soft = cond.condense(input_ids, attention_mask) # [B, N, decoder_hidden]
    soft = cond.condense_text(["some context"])
"""
from .config import (ADAPTER_DIR, CONFIG_FILE, FORMAT_NAME, FORMAT_VERSION, WEIGHTS_FILE, CheckpointError,
                     CondenserConfig)
from .lm import ModelSpecError, load_causal_lm, load_causal_lm_pair
from .model import Condenser

__all__ = ["Condenser", "CondenserConfig", "CheckpointError", "ModelSpecError", "load_causal_lm",
           "load_causal_lm_pair", "CONFIG_FILE", "WEIGHTS_FILE", "ADAPTER_DIR", "FORMAT_NAME", "FORMAT_VERSION"]
