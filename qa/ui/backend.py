"""What the app asks of the rest of cableqa, behind one small interface (``Backend``).

``LocalBackend`` wires the real pieces: the index (``Searcher``), the answer pipeline (``Answerer``,
which streams sources, then the draft, then the checked answer) and the indexer for uploads. Tests
drive the UI's handlers with a deterministic fake that has the same methods.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

from qa import wiring
from qa.answer.pipeline import Event
from qa.corpus.chain import ChainNode
from qa.corpus.timeline import Timeline
from qa.errors import QAError
from qa.settings import Settings
from qa.store.folder import IndexFolder
from qa.types import Filters, Hit, Paragraph
from qa.ui.type_ahead import Prefill, TypeAhead

log = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int, str], None]  # done, total, what is happening


class Backend(Protocol):
    """The app's view of cableqa: search, streamed answers, documents, summary, uploads."""

    model_name: str

    def summary(self) -> dict[str, Any] | None: ...

    def facets(self) -> dict[str, list[str]]: ...

    def search(self, query: str, k: int, filters: Filters | None) -> list[Hit]: ...

    def stream(self, question: str, filters: Filters | None) -> Iterator[Event]: ...

    def typed(self, text: str, previous: str | None, filters: Filters | None) -> int: ...

    def document(self, doc_id: str) -> tuple[dict[str, Any], list[Paragraph]] | None: ...

    def timeline(self, query: str, filters: Filters | None, by: str, list_limit: int = 0) -> Timeline: ...

    def add_files(self, paths: Sequence[Path], progress: ProgressCallback | None = None
                  ) -> dict[str, Any]: ...


class LocalBackend:
    """The real pipeline over ``settings.index.dir``. Opens the index now, the language model lazily."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.index_dir = Path(settings.index.dir)
        self._lock = threading.Lock()
        self._searcher: Any = None
        self._embedder: Any = None
        self._answerer: Any = None
        self.model_name = Path(settings.llm.model).name if settings.llm.model else _default_model_name()
        # "loading" until ``warm_up`` has the model and its prompt prefixes ready, then "ready"; the app's
        # index line says which, so the first question is not asked of a model still loading.
        self.model_status = "not loaded"
        self.type_ahead = TypeAhead(self._prefill)
        if self._index_exists():
            self._open_searcher()

    # ---- wiring ---------------------------------------------------------------------------------
    def _index_exists(self) -> bool:
        return IndexFolder(self.index_dir).db_path.exists()

    def _embedder_once(self) -> Any:
        if self._embedder is None:
            self._embedder = wiring.open_embedder(self.settings)
        return self._embedder

    def _open_searcher(self) -> Any:
        self._searcher = wiring.open_searcher(self.settings, embedder=self._embedder_once())
        return self._searcher

    def _require_searcher(self) -> Any:
        if self._searcher is None:
            raise QAError(
                f"there is no index at {self.index_dir} yet: add documents in the \"Add documents\" tab, "
                "or run `qa index PATH --index-dir DIR` and restart the app"
            )
        return self._searcher

    def _answerer_once(self) -> Any:
        with self._lock:
            if self._answerer is None:
                self._answerer = wiring.open_answerer(self.settings, retriever=self._require_searcher())
                self.model_name = self._answerer.generator.name
            return self._answerer

    def warm_up(self) -> None:
        """Load the language model and evaluate the fixed prompt prefixes (run in the background at
        start, while the page says "loading model")."""
        if self._searcher is None:
            self.model_status = "loads with the first question, once there is an index"
            return
        self.model_status = "loading"
        started = time.perf_counter()
        try:
            self._answerer_once().warm_up()
        except QAError as exc:
            self.model_status = f"unavailable: {exc}"
            log.warning("language model not ready: %s", exc)
            return
        except Exception:
            self.model_status = "unavailable (see the server log)"
            log.exception("language model failed to load")
            return
        self.model_status = "ready"
        log.warning("model %s ready in %.1f s", self.model_name, time.perf_counter() - started)

    # ---- Backend ----------------------------------------------------------------------------------
    def summary(self) -> dict[str, Any] | None:
        return None if self._searcher is None else {**self._searcher.summary(), "model_status": self.model_status}

    def facets(self) -> dict[str, list[str]]:
        """Origins, tags and classifications present in the index, most frequent first (filter choices)."""
        if self._searcher is None:
            return {"origin": [], "tag": [], "classification": []}
        return self._searcher.facets()

    def search(self, query: str, k: int, filters: Filters | None) -> list[Hit]:
        searcher = self._require_searcher()
        searcher.refresh()
        return searcher.search(query, k, filters)

    def stream(self, question: str, filters: Filters | None) -> Iterator[Event]:
        self.type_ahead.asked()
        answerer = self._answerer_once()
        self._searcher.refresh()
        return answerer.stream(question, None, filters)

    def typed(self, text: str, previous: str | None, filters: Filters | None) -> int:
        """The question box changed: evaluate the prompt of what is typed (``serve.prefill``)."""
        return self.type_ahead.typed(text, previous, filters) if self.settings.serve.prefill else 0

    def _prefill(self) -> Prefill | None:
        # only a ready model: a prefill must not be what loads it, nor run beside the warm-up
        if self.model_status != "ready" or self._answerer is None:
            return None
        answerer = self._answerer
        return lambda question, filters, wanted: answerer.prefill(question, filters, wanted)

    def document(self, doc_id: str) -> tuple[dict[str, Any], list[Paragraph]] | None:
        """A document for a reader: with its REF links and the cables that cite it."""
        return self._require_searcher().document(doc_id, refs=True)

    def timeline(self, query: str, filters: Filters | None, by: str, list_limit: int = 0) -> Timeline:
        """Matching cables per year, month, origin or tag over the whole index (no top-k cut)."""
        return self._require_searcher().timeline(query, filters, by, list_limit=list_limit)

    def ref_chain(self, doc_id: str, depth: int = 1) -> ChainNode:
        """What a cable cites and what cites it (``qa refs``)."""
        return self._require_searcher().ref_chain(doc_id, depth)

    def add_files(self, paths: Sequence[Path], progress: ProgressCallback | None = None) -> dict[str, Any]:
        def report(p: Any) -> None:
            if progress:
                progress(p.done_files, p.total_files, f"{p.paragraphs} paragraphs added")

        summary = wiring.open_indexer(self.settings, self._embedder_once()).run(list(paths), progress=report)
        with self._lock:
            if self._searcher is None:
                self._open_searcher()
            else:
                self._searcher.refresh()
        return summary.to_json()


def _default_model_name() -> str:
    try:
        from qa.answer.llm.weights import DEFAULT_MODEL

        return DEFAULT_MODEL.name
    except ImportError:  # pragma: no cover - the package ships it
        return "default model"
