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


class KVzapFitter:
    """Ridge regression of log KVzip scores on attention inputs, one linear map per layer, accumulated as
    normal equations so samples can be added one context at a time (the benchmark adds each task after
    scoring it, so a task is never scored by a surrogate that saw it)."""

    def __init__(self, ridge: float = 1.0) -> None:
        self.ridge = ridge
        self.xtx: torch.Tensor | None = None   # [L, h+1, h+1]
        self.xty: torch.Tensor | None = None   # [L, h+1, H]
        self.samples = 0

    @torch.inference_mode()
    def add(self, prefill: CapturedPrefill, scores: torch.Tensor) -> None:
        L, H, _ = scores.shape
        h = prefill.hidden_states[0].shape[-1]
        if self.xtx is None:
            self.xtx = torch.zeros(L, h + 1, h + 1, dtype=torch.float64)
            self.xty = torch.zeros(L, h + 1, H, dtype=torch.float64)
        for layer in range(L):
            y = scores[layer].float().T                                  # [T, H]
            keep = y.amax(dim=1) < y.max()                              # drop pinned sinks
            x = prefill.hidden_states[layer][0].float()[keep]
            x1 = torch.cat([x, torch.ones(x.shape[0], 1)], dim=1).double()
            self.xtx[layer] += x1.T @ x1
            self.xty[layer] += x1.T @ torch.log(y[keep].clamp(min=0) + _EPS).double()
        self.samples += 1

    @torch.inference_mode()
    def model(self) -> KVzapModel:
        if self.xtx is None:
            raise ValueError("KVzapFitter has no samples")
        L, h1, H = self.xty.shape
        out = KVzapModel(KVzapConfig(input_dim=h1 - 1, output_dim=H, n_modules=L))
        reg = self.ridge * torch.eye(h1, dtype=torch.float64)
        reg[-1, -1] = 0.0                                               # do not shrink the bias
        for layer in range(L):
            w = torch.linalg.solve(self.xtx[layer] + reg, self.xty[layer]).float()   # [h+1, H]
            out.layers[layer].weight.copy_(w[:-1].T)
            out.layers[layer].bias.copy_(w[-1])
        return out.eval()


def fit_kvzap(samples: list[tuple[CapturedPrefill, torch.Tensor]], ridge: float = 1.0) -> KVzapModel:
    """Fit one linear map per layer, hidden `[h]` -> log score per kv head `[H]`, on (prefill, kvzip
    scores `[L, H, T]`) pairs. Sink positions (pinned, not real scores) are left out."""
    if not samples:
        raise ValueError("fit_kvzap needs at least one sample")
    fitter = KVzapFitter(ridge)
    for pre, scores in samples:
        fitter.add(pre, scores)
    return fitter.model()


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
