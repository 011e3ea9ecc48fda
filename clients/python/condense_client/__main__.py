"""python -m condense_client URL_OR_PATH --model smollm2 --question "..." : load, check, answer.

Prints the answer on stdout (or, with --json, one JSON object with the answer and what was checked).
Exit codes: 0 answered, 2 bad arguments, 3 the container or its URL was refused (the code is printed)."""
from __future__ import annotations

import argparse
import json
import sys


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m condense_client", description=__doc__.split("\n\n")[0])
    p.add_argument("source", help="container URL (http/https) or local path (.safetensors container or legacy .npy)")
    p.add_argument("--model", required=True, help="model spec: smollm2, tiny:llama, a .gguf, a model folder, a hub id")
    p.add_argument("--question", required=True, action="append", help="a question (repeat for several)")
    p.add_argument("--max-new-tokens", type=int, default=64)
    p.add_argument("--context-file", help="file holding the exact context text the container must be bound to")
    p.add_argument("--context-sha256", help="sha256 hex of the context the container must be bound to")
    p.add_argument("--hotkey", help="ss58 hotkey of the miner that must have signed the container")
    p.add_argument("--target-model", help="target model id the container must name")
    p.add_argument("--allow-private", action="store_true", help="allow loopback/private addresses (a local network)")
    p.add_argument("--max-redirects", type=int, default=0, help="redirects followed, each re-checked (default 0: refused)")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds for the whole download (default 60)")
    p.add_argument("--original-tokens", type=int, help="legacy .npy only: the context's token count (positions continue from it)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, help="torch CPU threads")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the bare answer")
    a = p.parse_args(argv)
    if a.max_new_tokens < 1:
        p.error("--max-new-tokens must be >= 1")

    import torch

    from . import ClientError, load_container

    if a.threads:
        torch.set_num_threads(a.threads)
    context = None
    if a.context_file:
        try:
            with open(a.context_file, encoding="utf-8") as f:
                context = f.read()
        except OSError as err:
            p.error(f"--context-file: {err}")
    try:
        c = load_container(a.source, model=a.model, expected_context=context, expected_context_sha256=a.context_sha256,
                           expected_hotkey=a.hotkey, target_model=a.target_model, allow_private=a.allow_private,
                           max_redirects=a.max_redirects, timeout=a.timeout, original_tokens=a.original_tokens,
                           device=a.device)
        answers = [c.answer(q, max_new_tokens=a.max_new_tokens) for q in a.question]
    except ClientError as err:
        print(f"refused: {err}", file=sys.stderr)
        return 2 if err.code == "BAD_ARGUMENT" else 3
    if a.json:
        print(json.dumps({
            "answers": answers, "prompts": [c.prompt(q) for q in a.question], "format": c.format, "kept_tokens": c.kept_tokens, "original_tokens": c.original_tokens,
            "next_position": c.next_position, "bytes": c.bytes, "target_model": c.target_model,
            "miner_hotkey": c.miner_hotkey, "context_sha256": c.context_sha256,
            "signature_verified": c.signature_verified, "algorithm": c.meta.algorithm if c.meta else None,
        }))
    else:
        print("\n".join(answers))
    return 0


if __name__ == "__main__":
    sys.exit(main())
