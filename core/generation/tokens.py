"""Token counts for calls whose server reported no usage (Ollama, some proxies and streams).

OpenAI models are counted with their own encoding (o200k_base for gpt-4o, gpt-4.1, gpt-5 and
the o-series; cl100k_base for gpt-4 and gpt-3.5), from `bpe-openai`, which bundles tiktoken's
encodings (tiktoken itself downloads them at first use; this machine may have no network).
Other models (Qwen, Llama, Mistral on vLLM or Ollama) are counted with o200k_base too: their
tokenizers are BPEs of similar size, so it is an estimate. Either way the call's row says
`estimated`, since it is our count, not the server's.
"""

from __future__ import annotations

import functools
from typing import Any

# Chat framing per OpenAI's cookbook: each message costs 3 tokens beyond its text, and every
# reply is primed with 3 more.
TOKENS_PER_MESSAGE = 3
TOKENS_PER_REPLY = 3

# Model name prefixes and their encodings; anything else is estimated with the default.
ENCODINGS = (
    ("gpt-3.5", "cl100k_base"),
    ("gpt-35", "cl100k_base"),
    ("gpt-4-", "cl100k_base"),
    ("gpt-4", "cl100k_base"),
    ("gpt-4o", "o200k_base"),
    ("gpt-4.1", "o200k_base"),
    ("gpt-4.5", "o200k_base"),
    ("gpt-5", "o200k_base"),
    ("o1", "o200k_base"),
    ("o3", "o200k_base"),
    ("o4", "o200k_base"),
)
DEFAULT_ENCODING = "o200k_base"


def encoding_name(model: str) -> str:
    """The encoding of `model`'s longest matching prefix, else the default estimate."""
    name = model.rsplit("/", 1)[-1].lower()  # "openai/gpt-4o" through a proxy is gpt-4o
    matches = [(prefix, enc) for prefix, enc in ENCODINGS if name.startswith(prefix)]
    return max(matches, key=lambda m: len(m[0]))[1] if matches else DEFAULT_ENCODING


@functools.cache
def _encoding(name: str) -> Any:
    import bpe_openai  # loading an encoding takes ~0.2 s: only when a count is needed

    return bpe_openai.get_encoding(name)


def count_text(model: str, text: str) -> int:
    """Tokens of `text` in `model`'s encoding (special-token spellings count as text)."""
    return len(_encoding(encoding_name(model)).encode_ordinary(text)) if text else 0


def count_prompt(model: str, messages: list[dict[str, Any]]) -> int:
    """Prompt tokens of a chat request: every message's role and text plus the framing."""
    total = TOKENS_PER_REPLY
    for message in messages:
        total += TOKENS_PER_MESSAGE
        for key in ("role", "content", "name"):
            value = message.get(key)
            if isinstance(value, str):
                total += count_text(model, value)
    return total
