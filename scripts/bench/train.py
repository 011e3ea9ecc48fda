"""Benchmark `train`: SmolLM2-135M as condenser and frozen decoder on 2 CPU cores.

Measures accuracy on held-out procedural tasks (single facts, key-value, the validator's challenge kinds)
answered from soft tokens, before and after a short CPU training run, next to two baselines measured in
the same run: the decoder reading the full context as text (upper bound) and reading no context (lower
bound). Also the training throughput (tokens into condenser + decoder per second).
Usage: npm run bench -- train [--quick]
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts" / "bench" / "lib"))
from report import report, target  # noqa: E402

from condense_worker.condenser import Condenser, load_causal_lm_pair  # noqa: E402
from condense_worker.train import Prepared, TrainConfig, run_training  # noqa: E402
from condense_worker.train.data import chars_per_token  # noqa: E402
from condense_worker.train.tasks import answer_matches, held_out  # noqa: E402

QUICK = "--quick" in sys.argv
P = dict(steps=4, context_tokens=48, tokens=8, n_eval=6, max_new=6, val_every=4, val_samples=2, batch=1) if QUICK else \
    dict(steps=80, context_tokens=64, tokens=8, n_eval=32, max_new=6, val_every=40, val_samples=4, batch=1)


def prompt_of(question: str) -> str:
    return f"\nQuestion: {question}\nAnswer:"  # the format training uses (train/data.py)


@torch.no_grad()
def greedy(decoder, tok, embeds: torch.Tensor, max_new: int) -> str:
    out = decoder.generate(inputs_embeds=embeds, attention_mask=torch.ones(embeds.shape[:2], dtype=torch.long),
                           max_new_tokens=max_new, do_sample=False, pad_token_id=tok.pad_token_id)
    return tok.decode(out[0], skip_special_tokens=True)


@torch.no_grad()
def accuracy(samples, decoder, tok, mode: str, cond: Condenser | None = None) -> dict:
    emb = decoder.get_input_embeddings()
    hits, by_task = [], {}
    for s in samples:
        prompt = tok(prompt_of(s.question), add_special_tokens=False, return_tensors="pt").input_ids
        if mode == "soft":
            ids, mask = cond.tokenize([s.context])
            embeds = torch.cat([cond.condense(ids, mask), emb(prompt)], dim=1)
        elif mode == "full":
            embeds = emb(tok(s.context + prompt_of(s.question), add_special_tokens=False, return_tensors="pt").input_ids)
        else:
            embeds = emb(prompt)
        ok = answer_matches(greedy(decoder, tok, embeds, P["max_new"]), s.answer)
        hits.append(ok)
        fam = "challenge" if s.task.startswith("challenge") else "fact"
        by_task.setdefault(fam, []).append(ok)
    return {"accuracy": sum(hits) / len(hits), "n": len(hits),
            **{f"accuracy_{k}": sum(v) / len(v) for k, v in sorted(by_task.items())}}


def main() -> None:
    torch.manual_seed(0)
    t0 = time.perf_counter()
    print(f"[train bench] mode={'quick' if QUICK else 'full'} params={P}", flush=True)
    # One GGUF load; the decoder is an independent copy (the condenser's gets LoRA and trains).
    (lm, ctok), (decoder, dtok) = load_causal_lm_pair("smollm2", "smollm2")
    cond = Condenser.random_init("smollm2", "smollm2", int(decoder.config.hidden_size), P["tokens"], 2, lora_rank=8,
                                 max_context_tokens=P["context_tokens"], seed=0, lm=lm, tokenizer=ctok,
                                 output_std=float(decoder.get_input_embeddings().weight.detach().std()))
    print(f"  models loaded in {time.perf_counter() - t0:.1f}s", flush=True)
    # Contexts sized in characters to fit the token budget, so the condenser sees all of each context.
    chars = int(P["context_tokens"] * chars_per_token(ctok) * 0.9)
    samples = held_out(seed=7, n=P["n_eval"], context_chars=chars)

    full = accuracy(samples, decoder, dtok, "full")
    none = accuracy(samples, decoder, dtok, "none")
    before = accuracy(samples, decoder, dtok, "soft", cond.eval())
    print(f"  before: soft {before}  full-context {full}  no-context {none}", flush=True)

    progress = []
    cfg = TrainConfig(output_dir=tempfile.mkdtemp(prefix="bench-train-"), condenser_model="smollm2",
                      decoder_model="smollm2", num_condense_tokens=P["tokens"], last_k_layers=2, lora_rank=8,
                      lr=2e-4, lr_projection=2e-3, max_steps=P["steps"], batch_size=P["batch"],
                      context_tokens=P["context_tokens"], max_target_tokens=32, objective="continuation",
                      val_every=P["val_every"], val_samples=P["val_samples"], val_generate=0, seed=1, device="cpu",
                      progress_every=max(1, P["steps"] // 10))
    t1 = time.perf_counter()
    result = run_training(cfg, sink=lambda p: (progress.append(p), print(
        f"  step {p.step}/{p.max_steps} loss {p.loss:.3f} val {p.val_loss:.3f} {p.tokens_per_s:.0f} tok/s", flush=True)),
        prepared=Prepared(decoder, dtok, cond))
    train_s = time.perf_counter() - t1
    final = progress[-1]
    losses = [p.loss for p in progress if not p.final]
    after = accuracy(samples, decoder.eval(), dtok, "soft", cond.eval())
    print(f"  after:  soft {after}", flush=True)

    results = [
        {"case": "soft tokens, before training", **before, "baseline": "no context", "baseline_accuracy": none["accuracy"]},
        {"case": f"soft tokens, after {result.step} steps", **after, "baseline": "soft tokens before training",
         "baseline_accuracy": before["accuracy"]},
        {"case": "full context as text (upper bound)", **full},
        {"case": "no context (lower bound)", **none},
        {"case": "training", "steps": result.step, "seconds": round(train_s, 1),
         "tokens_per_s": round(final.tokens_per_s, 1), "loss_first": round(losses[0], 4),
         "loss_last": round(losses[-1], 4), "best_val_loss": round(result.best_val_loss, 4),
         "context_tokens": P["context_tokens"], "condense_tokens": P["tokens"], "batch": P["batch"]},
    ]
    print("\n| case | accuracy | n |\n|---|---|---|")
    for r in results[:4]:
        print(f"| {r['case']} | {r['accuracy']:.3f} | {r['n']} |")
    print(f"training: {result.step} steps in {train_s:.1f}s, {final.tokens_per_s:.0f} tokens/s, "
          f"loss {losses[0]:.3f} -> {losses[-1]:.3f}\n")
    gain = after["accuracy"] - before["accuracy"]
    report("train", QUICK, results, [
        # The issue asks for the numbers and accepts a small gain: the only target is "no loss".
        target("accuracy_gain_after_training", gain, ">=", 0.0),
    ])


if __name__ == "__main__":
    main()
