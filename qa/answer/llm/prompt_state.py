"""The evaluated prompt prefix: the tokens every prompt starts with, and their KV cache on disk.

llama.cpp re-evaluates only what follows the longest cached token prefix, so what is cached must be
a token-exact start of each later prompt; these helpers render chats as ``create_chat_completion``
does, and save and restore llama.cpp's state (atomically: a crash leaves no half-written file).
"""

from __future__ import annotations

import ctypes
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

Messages = Sequence[dict[str, str]]


def common_length(cached: Sequence[int], tokens: Sequence[int]) -> int:
    """How many of ``tokens`` the KV cache already holds (the length of the common start)."""
    same = 0
    for a, b in zip(cached, tokens, strict=False):
        if a != b:
            break
        same += 1
    return same


def opening_tokens(llm: Any, prefix: Messages, head: str) -> list[int]:
    """The tokens of ``prefix`` and the next user turn's opening up to ``head``, cut after its last
    line end: tokenizers split text at line ends, so these are exactly the first tokens of every
    whole prompt (cut elsewhere, the last one could merge with what follows)."""
    mark = "\x00cableqa-turn\x00"
    text = render_chat(llm, [*prefix, {"role": "user", "content": head + mark}])
    text = text[:text.index(mark)]
    text = text[:text.rfind("\n") + 1]
    return llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)


def render_chat(llm: Any, messages: Messages) -> str:
    """``messages`` through the model's own chat template, as ``create_chat_completion`` renders
    them (its prompt is this text tokenized with special tokens and no extra BOS)."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    model = llm._model
    formatter = Jinja2ChatFormatter(template=llm.metadata["tokenizer.chat_template"],
                                    eos_token=model.token_get_text(llm.token_eos()),
                                    bos_token=model.token_get_text(llm.token_bos()))
    return formatter(messages=list(messages)).prompt


def restore_state(llm: Any, path: Path) -> bool:
    """Load a saved KV cache and its tokens into ``llm``; False (and an empty cache) where it cannot."""
    import llama_cpp

    capacity = llm.n_ctx()
    tokens = (llama_cpp.llama_token * capacity)()
    count = ctypes.c_size_t(0)
    if not llama_cpp.llama_state_load_file(llm._ctx.ctx, str(path).encode(), tokens, capacity,
                                           ctypes.byref(count)):
        log.warning("could not restore the prompt prefix from %s; evaluating it again", path)
        llm.reset()
        return False
    n = int(count.value)
    llm.input_ids[:n] = np.ctypeslib.as_array(tokens)[:n]
    llm.n_tokens = n
    llm._requires_eval = True  # the logits are not restored; the next prompt's suffix refreshes them
    log.info("restored %d prompt-prefix tokens from %s", n, path)
    return True


def save_state(llm: Any, path: Path) -> None:
    """Save ``llm``'s KV cache and tokens to ``path`` atomically (a read-only cache only costs speed)."""
    import llama_cpp

    n = int(llm.n_tokens)
    tokens = (llama_cpp.llama_token * n)(*llm.input_ids[:n].tolist())
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        if llama_cpp.llama_state_save_file(llm._ctx.ctx, str(tmp).encode(), tokens, n):
            os.replace(tmp, path)
        tmp.unlink(missing_ok=True)
    except OSError as exc:  # a read-only cache only costs speed
        log.warning("could not save the prompt prefix to %s: %s", path, exc)
