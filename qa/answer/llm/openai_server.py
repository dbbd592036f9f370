"""The generator on any OpenAI-compatible model server (llama.cpp's server, vLLM, Ollama...).

``llm.backend = "openai"`` with ``llm.base_url`` (e.g. ``http://gpu-box:8080/v1``), ``llm.model`` (the
server's model name) and ``llm.api_key`` (``$QA_LLM_API_KEY``). The prompts, citation parsing and checks
are the same as in-process. The yes/no checks (``choose``) read the first reply token's
log-probabilities (``logprobs`` / ``top_logprobs``); a server that returns none gets its plain reply
read instead (probability 1 for the choice it names), and a warning says so once.

Plain ``urllib``: a streamed chat completion is server-sent events, one JSON chunk per ``data:`` line.
"""

from __future__ import annotations

import json
import logging
import math
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from typing import Any

from qa.errors import QAError

log = logging.getLogger(__name__)

Messages = Sequence[dict[str, str]]


class OpenAIServerGenerator:
    """``stream`` and ``choose`` over ``POST {base_url}/chat/completions``."""

    def __init__(self, base_url: str, model: str, *, api_key: str | None = None, max_tokens: int = 256,
                 temperature: float = 0.0, timeout_s: float = 600.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.model, self.api_key = model, api_key
        self.max_tokens, self.temperature, self.timeout_s = max_tokens, temperature, timeout_s
        self.name = f"{model} at {self.base_url}"
        self.stats = None
        self._warned = False

    def _post(self, body: dict[str, Any]) -> Any:
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(f"{self.base_url}/chat/completions", data=json.dumps(body).encode(),
                                         headers=headers)
        try:
            return urllib.request.urlopen(request, timeout=self.timeout_s)
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:300].decode("utf-8", "replace")
            raise QAError(f"the model server at {self.base_url} refused the request ({exc.code}): {detail}") from exc
        except OSError as exc:
            raise QAError(f"cannot reach the model server at {self.base_url} ({exc}); check llm.base_url and "
                          "that the server is running") from exc

    def stream(self, prompt: Messages | str, *, max_tokens: int | None = None, stop: Sequence[str] = (),
               track: str = "", stats: Any = None) -> Iterator[str]:
        """The reply piece by piece (``track`` is not available from a server: its probability stays None)."""
        messages = [{"role": "user", "content": prompt}] if isinstance(prompt, str) else list(prompt)
        body = {"model": self.model, "messages": messages, "stream": True, "temperature": self.temperature,
                "max_tokens": max_tokens or self.max_tokens}
        if stop:
            body["stop"] = list(stop)[:4]  # the OpenAI API takes at most four
        with self._post(body) as response:
            for raw in response:
                line = raw.decode("utf-8", "replace").strip()
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    break
                choices = json.loads(data).get("choices") or [{}]
                piece = (choices[0].get("delta") or {}).get("content")
                if piece:
                    yield piece

    def warm_up(self, prefix: Messages, head: str = "") -> None:
        """Nothing to load here; one tiny request checks that the server answers (the server keeps its
        own prompt cache, so ``head`` is not needed)."""
        for _ in self.stream(list(prefix)[:1] or [{"role": "user", "content": "hi"}], max_tokens=1):
            pass

    def choose(self, prompt: Messages, choices: Sequence[str]) -> dict[str, float]:
        """Each choice's probability as the reply's first word, from the server's log-probabilities."""
        body = {"model": self.model, "messages": list(prompt), "max_tokens": 1, "temperature": 0.0,
                "logprobs": True, "top_logprobs": 20}
        with self._post(body) as response:
            reply = json.loads(response.read())
        choice = (reply.get("choices") or [{}])[0]
        tops = (((choice.get("logprobs") or {}).get("content") or [{}])[0] or {}).get("top_logprobs") or []
        seen = {c: 0.0 for c in choices}
        for top in tops:
            token = str(top.get("token", "")).strip().lower()
            for c in choices:
                if token and token == c.lower():
                    seen[c] += math.exp(float(top.get("logprob", -math.inf)))
        if sum(seen.values()) == 0.0:
            if not self._warned:
                log.warning("the model server at %s returns no log-probabilities: the yes/no checks use its "
                            "plain reply instead", self.base_url)
                self._warned = True
            said = str((choice.get("message") or {}).get("content") or "").strip().lower()
            seen = {c: 1.0 if said.startswith(c.lower()) else 0.0 for c in choices}
        total = sum(seen.values()) or 1.0
        return {c: v / total for c, v in seen.items()}
