"""Context compression: the miner's product.

Public API (other modules code against this):
    compress(model, tokenizer, context, algorithm, params=None, *, add_special_tokens=False,
             return_soft_embeddings=False, check=None) -> CompressResult
    CompressParams, CompressResult, ALGORITHMS, CompressError (+ InvalidCompressArgument,
    UnsupportedAlgorithm, CheckpointNotFound, UnsupportedCheckpoint; `.code` is the proto ErrorCode name)
    kept_token_budget(original_tokens, params) -> int
    captured_prefill / algorithm_scores / select_from_prefill: score many algorithms on one prefill.

Algorithms: full, streaming_llm, knorm, snapkv, expected_attention, tova (kvpress scorers with our own
equal-per-head top-k), kvzip (reconstruction scores, equal per-head top-k), kvzip_shared (the same scores,
one token set for all layers and heads), kvzip_span / kvzip_shared_span / kvzip_sentence (structure-closed
selection: whole numbers with their terminators, neighbours or sentences), kvzip_chunkkv /
kvzip_entropy_chunkkv (kvpress's chunk selection over KVzip scores), kvzap / kvzap_span (kvpress's KVzap
with a locally fitted surrogate), soft_token (Condenser soft tokens fed to the decoder),
activation_beacon (a local Activation Beacon checkpoint; GPU hosts only). See docs/compression.md.
"""
from .api import (algorithm_scores, compress, derived_priority, select_from_prefill, shared_token_scores,
                  tokenize_context)
from .budget import kept_token_budget
from .prefill import CapturedPrefill, captured_prefill
from .types import (ALGORITHMS, CAPTURE_ALGORITHMS, KV_SCORER_ALGORITHMS, KVZAP_ALGORITHMS, KVZIP_ALGORITHMS,
                    CheckpointNotFound, CompressError,
                    CompressParams, CompressResult, InvalidCompressArgument, UnsupportedAlgorithm,
                    UnsupportedCheckpoint)

__all__ = [
    "ALGORITHMS", "CAPTURE_ALGORITHMS", "KV_SCORER_ALGORITHMS", "KVZAP_ALGORITHMS", "KVZIP_ALGORITHMS",
    "CapturedPrefill", "CheckpointNotFound",
    "CompressError", "CompressParams", "CompressResult", "InvalidCompressArgument", "UnsupportedAlgorithm",
    "UnsupportedCheckpoint", "algorithm_scores", "captured_prefill", "compress", "kept_token_budget",
    "derived_priority", "select_from_prefill", "shared_token_scores", "tokenize_context",
]
