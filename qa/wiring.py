"""The one place that builds the pipeline's parts from the settings: embedder, indexer, searcher,
answerer. The CLI, the app, the evaluation and the benchmarks all get their parts here, so each is
made one way. Heavy imports wait until a part is asked for (``qa --help`` loads no model)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from qa.settings import Settings

if TYPE_CHECKING:
    from qa.answer.pipeline import Answerer
    from qa.embed.loading import Embedder
    from qa.indexing import Indexer
    from qa.retrieve.searcher import Retriever, Searcher


def open_embedder(settings: Settings) -> Embedder:
    """The embedding model the settings select (``embed.model``, ``embed.quantize``)."""
    from qa.embed.loading import load_embedder

    return load_embedder(settings.embed)


def open_indexer(settings: Settings, embedder: Embedder | None = None) -> Indexer:
    """An indexer over ``index.dir``; pass ``embedder`` to share one already loaded."""
    from qa.indexing import Indexer

    return Indexer(settings, embedder or open_embedder(settings))


def open_searcher(settings: Settings, embedder: Embedder | None = None) -> Searcher:
    """The searcher over ``index.dir``; refuses a missing or mismatched index with the rebuild command."""
    from qa.retrieve.searcher import Searcher

    return Searcher.open(settings, embedder=embedder)


def open_answerer(settings: Settings, retriever: Retriever | None = None) -> Answerer:
    """The configured index, embedder and model wired together (the model loads on first use)."""
    from qa.answer.llm.llama import get_generator
    from qa.answer.pipeline import Answerer

    generator = get_generator(settings.llm)  # resolves (and if needed assembles) the model file first
    checker = get_generator(settings.llm, role="check") if settings.answer.check else None
    guard = get_generator(settings.llm, role="guard") if settings.answer.guard else None
    searcher = retriever if retriever is not None else open_searcher(settings)
    embedder = getattr(searcher, "embedder", None) or open_embedder(settings)
    return Answerer(searcher, generator, embedder, settings.answer, checker=checker, guard=guard)
