"""Reciprocal-rank fusion: one ranking from several, weighted (pure)."""

from __future__ import annotations

from collections.abc import Sequence


def rrf(rankings: Sequence[tuple[Sequence[int], float]], k: int = 60) -> list[tuple[int, float]]:
    """Fuse ``(ranked ids, weight)`` lists: score(id) = Σ weight / (k + rank), rank starting at 1.

    Returns ``(id, score)`` best first; ties keep the order in which ids were first seen, so the
    result is deterministic.
    """
    scores: dict[int, float] = {}
    for ids, weight in rankings:
        if weight == 0:
            continue
        for rank, item in enumerate(ids, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    order = {item: i for i, item in enumerate(scores)}
    return sorted(scores.items(), key=lambda kv: (-kv[1], order[kv[0]]))
