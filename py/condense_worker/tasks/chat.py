"""Where a context and its questions sit in the target model's chat template.

A challenge context is an OPEN user turn (prefix + context); each question continues that turn and closes
it (`"\\n\\n" + question + suffix`), the way the subnet's validator formatted Mistral prompts
(`"<s> [INST] " + context`, then `"\\n\\n" + q + " [/INST] "`). The compressed cache holds only the
context, so every question (and the KVzip reconstruction prompt) is appended the same way.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChatFormat:
    prefix: str   # text before the user's content (BOS, system block, user header)
    suffix: str   # text after the user's content, through the assistant header

    def context(self, text: str) -> str:
        return self.prefix + text

    def question(self, text: str) -> str:
        return "\n\n" + text + self.suffix


# The subnet's research-tier format for Mistral-7B-Instruct-v0.2 (spec §4.4 step 5).
MISTRAL_SUBNET = ChatFormat(prefix="<s> [INST] ", suffix=" [/INST] ")


def chat_format(tokenizer) -> ChatFormat:
    """The tokenizer's chat template split around the user content; Mistral's subnet format when the
    tokenizer is a Mistral/Llama-2 style one or has no template."""
    template = getattr(tokenizer, "chat_template", None)
    if not template or "[INST]" in str(template):
        return MISTRAL_SUBNET
    marker = "\u2063CONDENSE-CONTENT\u2063"
    rendered = tokenizer.apply_chat_template([{"role": "user", "content": marker}], add_generation_prompt=True,
                                             tokenize=False)
    if rendered.count(marker) != 1:
        return MISTRAL_SUBNET
    prefix, suffix = rendered.split(marker)
    return ChatFormat(prefix=prefix, suffix=suffix)
