"""KVzap as an exportable scorer: kvpress 0.5.5's `KVzapPress` with a surrogate fitted here.

KVzap predicts KVzip's scores from each layer's attention input with a tiny per-layer model, so scoring
costs almost nothing next to KVzip's replay. kvpress downloads the surrogate from the hub
(`nvidia/KVzap-linear-<model>`); none exists for our models and the machines are offline, so
`fit_kvzap` fits the library's own `KVzapModel` (linear variant) by ridge regression of log KVzip scores
on the hidden states of a few training contexts, and saves it with `save_pretrained`. `kvzap_scores`
loads such a directory (`params.checkpoint`) and runs the library's `KVzapPress.score` layer by layer;
the top-k (equal per head) is ours, as for every other scorer.
"""
from __future__ import annotations

import os

import torch
from kvpress import KVzapPress
from kvpress.presses.kvzap_press import KVzapConfig, KVzapModel

from .prefill import CapturedPrefill, attention_modules
from .types import CheckpointNotFound, InvalidCompressArgument, UnsupportedCheckpoint

_LOADED: dict[str, KVzapModel] = {}
_EPS = 1e-6


@torch.inference_mode()
def fit_kvzap(samples: list[tuple[CapturedPrefill, torch.Tensor]], ridge: float = 1.0) -> KVzapModel:
    """Fit one linear map per layer, hidden `[h]` -> log score per kv head `[H]`, on (prefill, kvzip
    scores `[L, H, T]`) pairs. Sink positions (pinned, not real scores) are left out."""
    if not samples:
        raise ValueError("fit_kvzap needs at least one sample")
    L, H, _ = samples[0][1].shape
    h = samples[0][0].hidden_states[0].shape[-1]
    model = KVzapModel(KVzapConfig(input_dim=h, output_dim=H, n_modules=L))
    for layer in range(L):
        xs, ys = [], []
        for pre, scores in samples:
            x = pre.hidden_states[layer][0].float()                     # [T, h]
            y = scores[layer].float().T                                  # [T, H]
            keep = y.amax(dim=1) < y.max()                              # drop pinned sinks
            xs.append(x[keep])
            ys.append(torch.log(y[keep].clamp(min=0) + _EPS))
        x = torch.cat(xs)
        y = torch.cat(ys)
        x1 = torch.cat([x, torch.ones(x.shape[0], 1)], dim=1)
        reg = ridge * torch.eye(h + 1)
        reg[-1, -1] = 0.0                                               # do not shrink the bias
        w = torch.linalg.solve(x1.T @ x1 + reg, x1.T @ y)               # [h+1, H]
        lin = model.layers[layer]
        lin.weight.copy_(w[:-1].T)
        lin.bias.copy_(w[-1])
    return model.eval()


def load_kvzap(path: str) -> KVzapModel:
    if not path:
        raise InvalidCompressArgument("kvzap needs params.checkpoint: a directory holding a KVzapModel "
                                      "fitted for this target model (see condense_worker.compress.kvzap)")
    if path not in _LOADED:
        if not os.path.isdir(path):
            raise CheckpointNotFound(f"KVzap directory {path!r} does not exist")
        try:
            _LOADED[path] = KVzapModel.from_pretrained(path, local_files_only=True).eval()
        except (OSError, ValueError, KeyError) as exc:
            raise UnsupportedCheckpoint(f"{path!r} is not a KVzap model: {exc}") from exc
    return _LOADED[path]


@torch.inference_mode()
def kvzap_scores(model, prefill: CapturedPrefill, surrogate: KVzapModel, sink_tokens: int = 4) -> torch.Tensor:
    """Scores `[L, H, T]` from the library press with `surrogate` in place of the hub download."""
    if not prefill.hidden_states:
        raise ValueError("prefill was run without capture")
    modules = attention_modules(model)
    keys0 = prefill.layer_kv(0)[0]
    if surrogate.config.n_modules != len(modules) or surrogate.config.output_dim != keys0.shape[1] or \
            surrogate.config.input_dim != prefill.hidden_states[0].shape[-1]:
        raise UnsupportedCheckpoint(
            f"KVzap model shape (layers {surrogate.config.n_modules}, in {surrogate.config.input_dim}, out "
            f"{surrogate.config.output_dim}) does not fit this model")
    press = KVzapPress(model_type="linear")
    press.kvzap_model = surrogate
    out = []
    for i, module in enumerate(modules):
        keys, values = prefill.layer_kv(i)
        out.append(press.score(module, prefill.hidden_states[i], keys, values, None, {})[0].float())
    scores = torch.stack(out)
    scores[..., :sink_tokens] = scores.max() + 1.0
    return scores
