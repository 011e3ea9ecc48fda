"""docs/client.md's runnable example runs as written (on tiny:llama, so it takes seconds) and does what it says."""
from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[3] / "docs" / "client.md"


def example() -> str:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## A runnable example", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_docs_example_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CONDENSE_MODEL", "tiny:llama")
    scope: dict = {}
    exec(compile(example(), str(DOC), "exec"), scope)  # noqa: S102 - our own documentation
    c = scope["c"]
    assert (tmp_path / "example.safetensors").is_file()
    assert 0 < c.kept_tokens < c.original_tokens and c.format == "safetensors"
    first = capsys.readouterr().out.splitlines()[0]
    assert first == f"{c.kept_tokens} of {c.original_tokens} tokens kept"
