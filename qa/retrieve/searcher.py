"""Hybrid search over one index: dense (FAISS) and lexical (BM25 over FTS5) fused by weighted RRF.

Filters are applied inside each ranker (an ID selector for FAISS, SQL for FTS5), so ``k`` results
still come back when a filter is selective. A query naming a document id (``09CAIRO1265``) puts that
document's paragraphs first; a quoted phrase puts the paragraphs holding it first.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, replace
from typing import Any, Literal, Protocol

from qa.corpus.chain import ChainNode, ref_chain
from qa.corpus.tags import glossary
from qa.corpus.timeline import Timeline, timeline
from qa.errors import QAError
from qa.retrieve.context import question_context
from qa.retrieve.fusion import rrf
from qa.retrieve.query import fts_any, fts_phrase, parse_query, without_ids
from qa.settings import SearchSettings, Settings
from qa.store import vectors
from qa.store.folder import IndexFolder, expected_manifest
from qa.store.manifest import Manifest
from qa.store.sqlite import Store
from qa.types import Filters, Hit, Paragraph

log = logging.getLogger(__name__)

Mode = Literal["hybrid", "dense", "lexical"]
MIN_DOCUMENTS_FOR_SHARE = 20  # below this, how many documents use a term says little about the term
# below this many paragraphs a full-text query costs a few ms, so every term is kept (on the 646 squad2-dev
# passages, pruning at 0.1 cost 0.005 of hybrid recall@5 and saved nothing)
MIN_PARAGRAPHS_FOR_SHARE = 10_000


class Retriever(Protocol):
    """What answering, the app and the evaluation use of an index (``Searcher`` is the real one)."""

    def search(self, query: str, k: int | None = None, filters: Filters | None = None) -> list[Hit]:
        """The ``k`` best paragraphs for ``query`` under ``filters``, best first."""
        ...

    def document(self, doc_id: str) -> tuple[dict[str, Any], list[Paragraph]] | None:
        """A document's metadata and all its paragraphs in order; None when it is not indexed."""
        ...

    def term_share(self, term: str) -> float | None:
        """The share of indexed documents using ``term``; None when the index is too small to tell."""
        ...


@dataclass
class Ranked:
    """A paragraph id with its fused score and, when the dense ranker saw it, its cosine."""

    paragraph_id: int
    score: float
    cosine: float | None = None


class Searcher:
    """Searches one index. Thread-safe: calls are serialised (SQLite connection, FAISS, embedder)."""

    def __init__(
        self,
        folder: IndexFolder,
        store: Store,
        faiss_index: Any,
        embedder: Any,
        settings: SearchSettings,
        manifest: Manifest,
        warnings: list[str],
    ) -> None:
        self.folder = folder
        self.index_dir = folder.path
        self.store = store
        self.faiss = faiss_index
        self.embedder = embedder
        self.settings = settings
        self.manifest = manifest
        self.warnings = warnings
        self.generation = store.generation
        self.expected = manifest  # what a rebuilt index must match to be picked up by ``refresh``
        self._lock = threading.RLock()
        self._origins_cache: list[str] = []
        self._origins_at = -1  # the store generation the cached origins were read at
        # one search embeds its query once, though the main, period and tag rankings each ask for it
        self._query_vectors: dict[str, Any] = {}
        # paragraphs using each query term ("" holds all paragraphs), as of a store generation
        self._term_counts: dict[str, int] = {}
        self._term_counts_at = -1

    @classmethod
    def open(cls, settings: Settings, embedder: Any = None) -> Searcher:
        """Open the index at ``settings.index.dir`` (loading the embedder unless one is given)."""
        folder = IndexFolder(settings.index.dir)
        folder.require()
        if embedder is None:
            from qa.embed.loading import load_embedder

            embedder = load_embedder(settings.embed)
        expected = expected_manifest(settings.embed, embedder.name, embedder.dim)
        found, warnings = folder.check(expected, strict_parser=False)
        assert found is not None
        for w in warnings:
            log.warning(w)
        store = folder.open_store(readonly=True)
        faiss_index = folder.load_vectors(store, embedder.dim)
        searcher = cls(folder, store, faiss_index, embedder, settings.search, found, warnings)
        searcher.expected = expected
        return searcher

    def refresh(self) -> bool:
        """Pick up what another process (or the app's upload) committed, and a rebuild's new index;
        True when something changed."""
        with self._lock:
            now = IndexFolder(self.folder.path)
            if now.data != self.folder.data:  # a rebuild published a new index: open it instead
                found, _ = now.check(self.expected, strict_parser=False)  # made with other settings: refuse
                self.store.close()
                self.folder, self.store = now, now.open_store(readonly=True)
                self.faiss = now.load_vectors(self.store, self.embedder.dim)
                self.manifest = found or self.manifest
                self.generation = self.store.generation
                return True
            gen = self.store.generation
            if gen == self.generation:
                return False
            self.faiss = self.folder.load_vectors(self.store, self.embedder.dim)
            self.generation = gen
            return True

    def close(self) -> None:
        self.store.close()

    # ---- search ---------------------------------------------------------------------------------
    def search(
        self, query: str, k: int | None = None, filters: Filters | None = None, mode: Mode = "hybrid"
    ) -> list[Hit]:
        """The ``k`` best paragraphs for ``query`` under ``filters``, best first."""
        k = self.settings.k if k is None else k
        query = query.strip()
        if not query:
            raise QAError("the query is empty")
        if not 1 <= k <= 1000:
            raise QAError(f"k={k}: ask for 1 to 1000 results")
        with self._lock:
            ranked = self._rank(query, k, filters, mode)
            return self._hits(ranked[:k])

    def _rank(self, query: str, k: int, filters: Filters | None, mode: Mode) -> list[Ranked]:
        parsed = parse_query(query)
        named = self.store.doc_ids(parsed.id_candidates[:20]) if parsed.id_candidates else []
        first: list[Ranked] = []
        if named:
            rest = without_ids(query, named)
            doc_filter = _with_docs(filters, named)
            if rest:
                first = self._fused(rest, max(k, 50), doc_filter, mode)
            else:  # only an id: the document in its own order
                first = [Ranked(pid, 1.0) for pid in self.store.paragraphs_of_docs(named, filters)]
        for phrase in parsed.phrases:
            match = fts_phrase(phrase)
            if match:
                first += [Ranked(pid, 1.0) for pid, _ in self.store.lexical(match, k, filters)]
        fused = self._fused(query, k, filters, mode)
        seen: set[int] = set()
        out: list[Ranked] = []
        for r in first + fused:
            if r.paragraph_id not in seen:
                seen.add(r.paragraph_id)
                out.append(r)
        return out

    def _fused(self, query: str, k: int, filters: Filters | None, mode: Mode) -> list[Ranked]:
        n = max(self.settings.candidates, k)
        contexts = self._contexts(query, filters) if mode == "hybrid" else []
        dense: list[tuple[int, float]] = []
        if mode in ("hybrid", "dense"):
            dense = self.dense(query, n, filters)
        lexical_lists: list[list[int]] = [[] for _ in range(1 + len(contexts))]
        if mode in ("hybrid", "lexical"):
            lexical_lists = self._lexical(query, n, filters, [subset for subset, _ in contexts])
        lexical = lexical_lists[0]
        cos = dict(dense)
        weights = [
            ([pid for pid, _ in dense], self.settings.dense_weight if mode != "lexical" else 0.0),
            (lexical, self.settings.lexical_weight if mode != "dense" else 0.0),
        ]
        if mode != "hybrid":
            weights = [(ids, 1.0) for ids, w in weights if w]
        else:
            if self.settings.tag_weight and not (filters and filters.tag):
                tagged = self._tagged(query, n, filters, dense, lexical)
                if tagged:
                    weights.append((tagged, self.settings.tag_weight))
            for (subset, weight), within in zip(contexts, lexical_lists[1:], strict=True):
                ids = self._within(query, n, subset, within)
                if ids:
                    weights.append((ids, weight))
        return [Ranked(pid, score, cos.get(pid)) for pid, score in rrf(weights, self.settings.rrf_k)]

    def _contexts(self, query: str, filters: Filters | None) -> list[tuple[Filters, float]]:
        """Soft boosts for the place and time a question names ("the embassy in Madrid", "in November
        2009"): for each, the filters of cables from that origin or dated in that period, with the weight
        in RRF of a ranking inside them. Never a filter: the other cables stay in the two main rankings.
        A field the user already filters on is left alone."""
        period_w, origin_w = self.settings.period_weight, self.settings.origin_weight
        if not (period_w or origin_w):
            return []
        base = filters or Filters()
        ctx = question_context(query, self._origins() if origin_w and not base.origin else [])
        out: list[tuple[Filters, float]] = []
        if period_w and (ctx.since or ctx.until) and not (base.since or base.until):
            out.append((replace(base, since=ctx.since, until=ctx.until), period_w))
        if origin_w and ctx.origin and not base.origin:
            out.append((replace(base, origin=ctx.origin), origin_w))
        return out

    def _within(self, query: str, n: int, filters: Filters, lexical: list[int]) -> list[int]:
        """The dense ranking inside ``filters`` fused (equal weights) with ``lexical``, the BM25 ranking
        inside them."""
        dense = [pid for pid, _ in self.dense(query, n, filters)]
        return [pid for pid, _ in rrf([(dense, 1.0), (lexical, 1.0)], self.settings.rrf_k)][:n]

    def _lexical(self, query: str, n: int, filters: Filters | None, narrower: list[Filters]) -> list[list[int]]:
        """BM25 rankings of ``query``'s terms: under ``filters``, then within each of ``narrower``."""
        terms = self._lexical_terms(parse_query(query).terms)
        if not terms:
            return [[] for _ in range(1 + len(narrower))]
        rankings = self.store.lexical_rankings(fts_any(terms), n, filters, narrower)
        return [[pid for pid, _ in ranking] for ranking in rankings]

    def _lexical_terms(self, terms: list[str]) -> list[str]:
        """The terms the BM25 query uses: those in at most ``lexical_max_share`` of the paragraphs (the
        rarest one when none is). A term in many paragraphs adds little to BM25 (its IDF is small, and
        FTS5 makes it almost 0 past half the paragraphs) but makes the query score most of the corpus,
        which is what a full-text query costs."""
        share = self.settings.lexical_max_share
        if share >= 1.0 or len(terms) < 2:
            return terms
        if self._term_counts_at != self.generation or len(self._term_counts) > 50_000:
            self._term_counts = {"": self.store.paragraph_count()}
            self._term_counts_at = self.generation
        total = self._term_counts[""]
        if total < MIN_PARAGRAPHS_FOR_SHARE:
            return terms
        for term in terms:
            if term not in self._term_counts:
                self._term_counts[term] = self.store.paragraphs_matching(fts_any([term]))
        kept = [t for t in terms if self._term_counts[t] <= share * total]
        return kept or [min(terms, key=self._term_counts.__getitem__)]

    def _origins(self) -> list[str]:
        """The origins in the index (cached until the index changes)."""
        if self._origins_at != self.store.generation:
            self._origins_cache = self.store.facets(limit=5000).get("origin", [])
            self._origins_at = self.store.generation
        return self._origins_cache

    def _tagged(self, query: str, n: int, filters: Filters | None, dense: list[tuple[int, float]],
                lexical: list[int]) -> list[int]:
        """A third ranking for RRF: the paragraphs of documents carrying the tags the query names in words
        ("human rights in Cambodia" -> PHUM, CB), most of those tags first, each group in its dense
        order. It lifts the tagged among the candidates and brings in tagged paragraphs they missed."""
        codes = [code for code, _ in glossary().tags_in(query)]
        if not codes:
            return []
        tagged_filter = Filters(**{**(filters or Filters()).__dict__, "tag": codes})
        pool = [pid for pid, _ in self.dense(query, n, tagged_filter)]
        seen = set(pool)
        pool += [pid for pid in [p for p, _ in dense] + lexical if pid not in seen]
        tags_of = self.store.tags_of_paragraphs(pool)
        wanted = set(codes)
        scored = [(len(wanted & tags_of.get(pid, set())), i, pid) for i, pid in enumerate(pool)]
        return [pid for hits, _, pid in sorted(scored, key=lambda t: (-t[0], t[1])) if hits]

    def dense(self, query: str, n: int, filters: Filters | None = None) -> list[tuple[int, float]]:
        """Dense ranking: (paragraph id, best window cosine), best first."""
        qvec = self._query_vectors.get(query)
        if qvec is None:
            if len(self._query_vectors) >= 32:
                self._query_vectors.clear()
            qvec = self._query_vectors[query] = self.embedder.encode_query(query)
        allowed = None
        if filters is not None and not filters.is_empty():
            allowed = self.store.vector_ids_matching(filters)
        # Several windows can belong to one paragraph: ask for more, keep each paragraph's best.
        scores, ids = vectors.search(self.faiss, qvec, n * 2, allowed)
        owners = self.store.paragraph_for_vectors(ids.tolist())
        best: dict[int, float] = {}
        for score, vid in zip(scores.tolist(), ids.tolist(), strict=True):
            pid = owners.get(vid)
            if pid is not None and pid not in best:
                best[pid] = float(score)
        return list(best.items())[:n]

    def _hits(self, ranked: list[Ranked]) -> list[Hit]:
        rows = self.store.paragraphs_by_id(r.paragraph_id for r in ranked)
        hits = []
        for r in ranked:
            p = rows.get(r.paragraph_id)
            if p is None:
                continue
            md = dict(p.metadata)
            if r.cosine is not None:
                md["dense_cosine"] = round(r.cosine, 4)
            hits.append(Hit(len(hits) + 1, p.doc_id, p.n, r.score, p.text, md, p.marking, p.section, p.id))
        return hits

    # ---- describing -----------------------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        """Documents, paragraphs and model of this index (``qa index --status`` and the app)."""
        with self._lock:
            return self.folder.describe(self.store, self.manifest)

    def facets(self) -> dict[str, list[str]]:
        """Origins, tags and classifications present, most frequent first."""
        with self._lock:
            return self.store.facets()

    def document(self, doc_id: str, *, refs: bool = False) -> tuple[dict[str, Any], list[Paragraph]] | None:
        """A document's metadata and all its paragraphs in order, None when it is not indexed; ``refs``
        adds its REF links and citing cables (for readers; answering does not need them)."""
        with self._lock:
            return self.store.document(doc_id, refs=refs)

    def timeline(self, query: str, filters: Filters | None = None, by: str = "year",
                 list_limit: int = 20) -> Timeline:
        """How many documents match ``query`` per year, month, origin or tag, over the whole index."""
        with self._lock:
            return timeline(self.store, query, filters, by, list_limit)

    def ref_chain(self, doc_id: str, depth: int = 1) -> ChainNode:
        """What ``doc_id`` cites and what cites it, ``depth`` levels each way."""
        with self._lock:
            return ref_chain(self.store, doc_id, depth)

    def paragraph_hits(self, paragraph_ids: list[int]) -> list[Hit]:
        """These stored paragraphs as hits, in the order given (ranked 1, 2, ...)."""
        with self._lock:
            return self._hits([Ranked(pid, 0.0) for pid in paragraph_ids])

    def term_share(self, term: str) -> float | None:
        """The share of indexed documents whose paragraphs use ``term`` (a word or phrase); None when
        the index holds too few documents (under ``MIN_DOCUMENTS_FOR_SHARE``) for a share to tell a
        common term from a rare one. An acronym counts with or without dots (``US``, ``U.S.``)."""
        letters = term.replace(".", "")
        forms = {term, " ".join(letters) if letters.isupper() and len(letters) <= 5 else letters}
        match = " OR ".join(sorted(m for m in map(fts_phrase, forms) if m))
        if not match:
            return None
        with self._lock:
            n, total = self.store.documents_matching(match)
        return n / total if total >= MIN_DOCUMENTS_FOR_SHARE else None


def _with_docs(filters: Filters | None, docs: list[str]) -> Filters:
    f = Filters() if filters is None else Filters(**{**filters.__dict__})
    f.doc = list(docs)
    return f
