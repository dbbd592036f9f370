"""Answering a question: retrieve, show the best passages to the model, check what it says.

    retrieve -> sources (available to callers before generation) -> evidence check -> prompt
    -> streamed generation -> citation parsing -> per-sentence support check -> Answer

The model is trusted with nothing: a citation must name a passage it was shown, a sentence must be
supported by what it cites, and the answer abstains (still listing the nearest paragraphs) when the
evidence is weak, when the model says it cannot answer, or when no supported sentence is left.
``Answerer.ask`` is the library call the CLI, the UI and the evaluation share.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import numpy as np

from qa.citations import parse_answer, resolve
from qa.context import Candidate, choose_sentences, rank_sentences, screen, select
from qa.document_context import CitedDocuments
from qa.generator import GenerationStats, Generator
from qa.prompts import (
    ABSTAIN,
    YES,
    CheckPrompts,
    PromptSet,
    Shown,
    build_messages,
    check_messages,
    check_prefix,
    load_check_prompts,
    load_prompts,
    prefix_messages,
)
from qa.results import Answer, Citation, Filters, Hit, Sentence
from qa.settings import AnswerSettings, Settings
from qa.support import check_sentence, expects_number, numbers_in, year_conflict

log = logging.getLogger(__name__)


# An answer is one short paragraph: a blank line or the start of a new turn means the model rambles on.
STOP = ("\n\n", "Question:", "Passages (")


class Retriever(Protocol):
    """Searches paragraphs. One that can also give whole documents and term shares
    (``qa.search.Searcher``) lets the checks look a question's terms up in the cited document
    (``qa.document_context.CitedDocuments``)."""

    def search(self, query: str, k: int, filters: Filters | None = None) -> list[Hit]: ...


class Checker(Protocol):
    """A model that scores choices for its reply (``LlamaGenerator.choose``)."""

    def choose(self, prompt: list[dict[str, str]], choices: Sequence[str]) -> dict[str, float]: ...


class Embedder(Protocol):
    def encode(self, texts: list[str]) -> np.ndarray: ...

    def encode_query(self, text: str) -> np.ndarray: ...


@dataclass
class Event:
    """One step of a streamed answer: ``sources`` (list[Hit]) first, then ``token`` pieces of the
    model's unchecked draft (str), then the checked ``answer`` (Answer)."""

    kind: Literal["sources", "token", "answer"]
    value: Any


class VectorCache:
    """Embeds each distinct text once per question (passage sentences serve three checks)."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self._vectors: dict[str, np.ndarray] = {}
        self.queries: dict[str, np.ndarray] = {}

    def encode(self, texts: list[str]) -> np.ndarray:
        todo = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if todo:
            for text, vec in zip(todo, np.asarray(self.embedder.encode(todo), dtype=np.float32), strict=True):
                self._vectors[text] = vec
        return np.stack([self._vectors[t] for t in texts]) if texts else np.zeros((0, 1), np.float32)


def source_line(hit: Hit) -> str:
    """How a passage's origin is described to the model: ``Embassy Phnom Penh, 2006-04-07: SUBJECT``."""
    md = hit.metadata or {}
    where = ", ".join(str(x) for x in (md.get("origin"), str(md.get("created") or "")[:10]) if x)
    title = md.get("subject") or md.get("title") or hit.doc_id
    return f"{where}: {title}" if where else str(title)


def is_abstention(text: str) -> bool:
    """Did the model give the abstention sentence (in any case or spacing)?"""
    return ABSTAIN.lower().rstrip(".") in " ".join(text.lower().split())


@dataclass
class _Run:
    """What one question accumulates on its way through the pipeline."""

    question: str
    started: float
    hits: list[Hit] = field(default_factory=list)
    shown: list[tuple[Hit, str]] = field(default_factory=list)  # hit, text as shown to the model
    timings: dict[str, float] = field(default_factory=dict)
    generation: GenerationStats = field(default_factory=GenerationStats)
    diagnostics: dict[str, Any] = field(default_factory=dict)
    best: list[tuple[Hit, list[str], int]] = field(default_factory=list)  # top sentences: hit, its sentences, index
    documents: CitedDocuments = field(default_factory=lambda: CitedDocuments(None, 1.0))  # fetched once each

    def mark(self, name: str) -> None:
        self.timings[name] = round(1000 * (time.perf_counter() - self.started), 1)


class Answerer:
    """Answers questions from a retriever's passages with a generator, checked with an embedder."""

    def __init__(self, retriever: Retriever, generator: Generator, embedder: Embedder,
                 settings: AnswerSettings, prompts: PromptSet | None = None,
                 checker: Checker | None = None, check_prompts: CheckPrompts | None = None) -> None:
        self.retriever = retriever
        self.generator = generator
        self.embedder = embedder
        self.settings = settings
        self.prompts = prompts or load_prompts(settings.prompt)
        self.checker = checker if settings.check else None
        self.check_prompts = check_prompts or (load_check_prompts() if self.checker is not None else None)
        self.last_diagnostics: dict[str, Any] = {}  # the latest answer's ``diagnostics``

    def warm_up(self) -> None:
        """Load the model(s) and evaluate the fixed prompt prefixes (rules and examples) now."""
        warm = getattr(self.generator, "warm_up", None)
        if warm is not None:
            warm(prefix_messages(self.prompts))
        warm = getattr(self.checker, "warm_up", None)
        if warm is not None and self.check_prompts is not None:
            warm(check_prefix(self.check_prompts))

    def ask(self, question: str, k: int | None = None, filters: Filters | None = None) -> Answer:
        """The checked answer to ``question`` (the same result ``stream`` ends with)."""
        for event in self.stream(question, k, filters):
            if event.kind == "answer":
                return event.value
        raise AssertionError("stream ended without an answer")

    def stream(self, question: str, k: int | None = None, filters: Filters | None = None) -> Iterator[Event]:
        """Sources first, then the model's draft piece by piece, then the checked Answer."""
        run = _Run(question.strip(), time.perf_counter(),
                   documents=CitedDocuments(self.retriever, self.settings.common_term_share))
        k = k or self.settings.k
        run.hits = self.retriever.search(run.question, k, filters)
        run.mark("retrieve_ms")
        yield Event("sources", run.hits)
        cache = VectorCache(self.embedder)
        candidates = self._candidates(run, cache)
        run.mark("evidence_ms")
        evidence = max((c.relevance for c in candidates), default=0.0)
        if evidence < self.settings.min_evidence:
            log.info("abstaining: best passage cosine %.3f < answer.min_evidence %.2f", evidence,
                     self.settings.min_evidence)
            answer = self._abstain(run, "weak evidence")
            yield self._finish(run, answer)
            return
        picked = select(candidates, k=k, min_relevance=self.settings.min_evidence,
                        relative_drop=self.settings.passage_drop)
        run.shown = self._shown(run, picked, cache)
        run.mark("prompt_ready_ms")
        if not run.shown:
            answer = self._abstain(run, "no passage left to show")
            yield self._finish(run, answer)
            return
        raw = yield from self._generate(run)
        answer = self._check(run, raw, cache)
        if answer.abstained and self.checker is not None and self.settings.extract:
            answer = self._extract(run, raw) or answer
        run.diagnostics["track_prob"] = run.generation.track_prob
        yield self._finish(run, answer)

    def _finish(self, run: _Run, answer: Answer) -> Event:
        """The final event; the diagnostics are attached first, since ``ask`` stops reading there."""
        answer.diagnostics = run.diagnostics
        self.last_diagnostics = run.diagnostics
        return Event("answer", answer)

    # ---- steps ----------------------------------------------------------------------------------
    def _candidates(self, run: _Run, cache: VectorCache) -> list[Candidate]:
        """Each hit screened for injected instructions, split into sentences, and scored against the
        question by dense cosine: the retriever's own when it reports one, else computed here (the
        fused retrieval score is not a similarity)."""
        out, missing = [], []
        for i, hit in enumerate(run.hits):
            sentences, removed = screen(hit.text)
            if removed:
                log.warning("%s: removed %d instruction-like sentence(s)", hit.label, removed)
            cosine = (hit.metadata or {}).get("dense_cosine")
            if (cosine is None or removed) and sentences:
                missing.append(i)
            out.append(Candidate(i, sentences, float(cosine or 0.0), removed))
        if missing:
            texts = [" ".join(out[i].sentences) for i in missing]
            for i, score in zip(missing, cache.encode(texts) @ self._question_vector(run, cache), strict=True):
                out[i].relevance = float(score)
        return out

    def _question_vector(self, run: _Run, cache: VectorCache) -> np.ndarray:
        if run.question not in cache.queries:
            cache.queries[run.question] = np.asarray(self.embedder.encode_query(run.question), np.float32)
        return cache.queries[run.question]

    def _shown(self, run: _Run, picked: Sequence[Candidate], cache: VectorCache) -> list[tuple[Hit, str]]:
        """The sentences of the picked passages most relevant to the question, within
        ``answer.context_words`` (see ``qa.context``)."""
        qvec = self._question_vector(run, cache)
        scores = iter(cache.encode([s for c in picked for s in c.sentences]) @ qvec)  # one batch
        cosines = [[float(next(scores)) for _ in c.sentences] for c in picked]
        chosen = choose_sentences(run.question, picked, cosines, self.settings.context_words)
        run.best = [(run.hits[picked[i].index], picked[i].sentences, j)
                    for _, i, j in rank_sentences(run.question, picked, cosines)[:2]]
        return [(run.hits[c.index], text) for c, text in chosen]

    def _generate(self, run: _Run) -> Iterator[Event]:
        shown = [Shown(n, source_line(hit), text) for n, (hit, text) in enumerate(run.shown, start=1)]
        messages = build_messages(self.prompts, shown, run.question)
        pieces: list[str] = []
        for piece in self.generator.stream(messages, stop=STOP, track=ABSTAIN, stats=run.generation):
            if not pieces:
                run.mark("first_token_ms")
            pieces.append(piece)
            yield Event("token", piece)
        run.mark("generate_ms")
        return "".join(pieces)

    def _check(self, run: _Run, raw: str, cache: VectorCache) -> Answer:
        if is_abstention(raw):
            return self._abstain(run, "the model found no answer", raw=raw)
        parsed = parse_answer(raw, len(run.shown))
        sentences: list[Sentence] = []
        citations: dict[str, Citation] = {}
        rendered: list[str] = []
        question_vec = self._question_vector(run, cache)
        for ps in parsed.sentences:
            on_topic = float(cache.encode([ps.text])[0] @ question_vec) >= self.settings.min_relevance
            on_topic = on_topic and not year_conflict(run.question, ps.text)
            backing = self._backing(run, ps.text, ps.passages, cache) if on_topic else []
            ok = bool(backing)
            labels = [hit.label for hit, _ in backing] if ok else [
                hit.label for hit, _ in (resolve(n, run.shown) for n in ps.passages) if hit is not None]
            sentences.append(Sentence(ps.text, labels, ok))
            if ok:
                rendered.append(_with_labels(ps.text, labels))
                for hit, _ in backing:
                    citations.setdefault(hit.label, Citation(hit.doc_id, hit.paragraph, hit.text))
            else:
                log.info("unsupported sentence %r (on topic: %s)", ps.text, on_topic)
        if not rendered:
            return self._abstain(run, "no supported sentence", raw=raw, sentences=sentences,
                                 dropped=parsed.dropped)
        if expects_number(run.question) and not any(
                numbers_in(s.text) - numbers_in(run.question) for s in sentences if s.supported):
            return self._abstain(run, "the question asks for a number and the answer gives none", raw=raw,
                                 sentences=sentences, dropped=parsed.dropped)
        if self.settings.require_question_terms:
            cited_hits = [hit for hit, _ in run.shown if hit.label in citations]
            absent = self._question_terms_missing(run, cited_hits)
            if absent:
                return self._abstain(run, f"the cited paragraphs never mention {', '.join(absent)}", raw=raw,
                                     sentences=sentences, dropped=parsed.dropped)
        if self.checker is not None:
            first = next(s for s in sentences if s.supported)
            p_yes = self._check_answers(run, first, cache)
            if p_yes < self.settings.min_check_prob:
                return self._abstain(run, f"the check model doubts the passage answers this ({p_yes:.2f})",
                                     raw=raw, sentences=sentences, dropped=parsed.dropped)
        run.mark("total_ms")
        return Answer(run.question, " ".join(rendered), False, list(citations.values()), sentences, run.hits,
                      run.timings, self.generator.name, parsed.dropped, raw)

    def _extract(self, run: _Run, raw: str) -> Answer | None:
        """When the model's answer is rejected (or it found none), quote the shown sentence most
        relevant to the question instead, if the check model is confident that its text answers the
        question and it passes the same question checks. The quote is the paragraph's own words."""
        assert self.checker is not None and self.check_prompts is not None
        question = run.question
        for hit, sentences, j in run.best:
            sentence = sentences[j]
            if expects_number(question) and not numbers_in(sentence) - numbers_in(question):
                continue
            if year_conflict(question, sentence) or self._question_terms_missing(run, [hit]):
                continue
            window = " ".join(sentences[max(0, j - 1):j + 2])
            p_yes = self.checker.choose(check_messages(self.check_prompts, source_line(hit), window, question),
                                        [YES, "No"])[YES]
            run.diagnostics["extract_yes"] = round(p_yes, 4)
            if p_yes < self.settings.min_extract_prob:
                continue
            run.diagnostics["extracted"] = True
            run.mark("total_ms")
            return Answer(question, f"“{sentence}” [{hit.label}]", False,
                          [Citation(hit.doc_id, hit.paragraph, hit.text)], [Sentence(sentence, [hit.label], True)],
                          run.hits, run.timings, self.generator.name, 0, raw)
        return None

    def _check_answers(self, run: _Run, sentence: Sentence, cache: VectorCache) -> float:
        """Ask the check model whether the text around the answer answers the question at all.

        The answering model, shown a question that changes one detail of a passage, answers it
        anyway; asked separately whether the text answers the question, it often says no. It sees
        the three sentences of the first cited paragraph around the one closest to the answer.
        """
        assert self.checker is not None and self.check_prompts is not None
        hit = next(h for h, _ in run.shown if h.label == sentence.citations[0])
        sentences, _ = screen(hit.text)
        vectors = cache.encode([sentence.text, *sentences])
        best = int(np.argmax(vectors[1:] @ vectors[0])) if sentences else 0
        window = " ".join(sentences[max(0, best - 1):best + 2]) or hit.text
        started = time.perf_counter()
        p_yes = self.checker.choose(check_messages(self.check_prompts, source_line(hit), window, run.question),
                                    [YES, "No"])[YES]
        run.timings["check_ms"] = round(1000 * (time.perf_counter() - started), 1)
        run.diagnostics["check_yes"] = round(p_yes, 4)
        return p_yes

    def _backing(self, run: _Run, sentence: str, numbers: Sequence[int], cache: VectorCache
                 ) -> list[tuple[Hit, str]]:
        """The shown passages that support ``sentence``: those it cites, when together they do, plus any
        other shown passage that supports it alone. A sentence that cites nothing valid gets nothing:
        the model must have tried to ground it. Every passage returned has passed the check."""
        cited = [p for p in (resolve(n, run.shown) for n in numbers) if p is not None]
        if not cited:
            return []

        def supports(passages: Sequence[tuple[Hit, str]]) -> bool:
            verdict = check_sentence(sentence, [text for _, text in passages], cache,
                                     self.settings.min_support, question=run.question,
                                     titles=[source_line(h) for h, _ in passages],
                                     documents=run.documents.texts([h for h, _ in passages]))
            if not verdict.supported:
                log.debug("%r not supported by %s: missing %s, similarity %.2f", sentence,
                          [h.label for h, _ in passages], verdict.missing, verdict.similarity)
            return verdict.supported

        backing = cited if supports(cited) else []
        if self.settings.reattribute:
            # small models often cite the wrong number, or one of several passages that say the same
            backing += [p for p in run.shown if p not in cited and supports([p])]
        return backing

    def _question_terms_missing(self, run: _Run, hits: Sequence[Hit]) -> list[str]:
        return run.documents.terms_missing(run.question, hits, [source_line(h) for h in hits])

    def _abstain(self, run: _Run, reason: str, *, raw: str = "", sentences: list[Sentence] | None = None,
                 dropped: int = 0) -> Answer:
        run.mark("total_ms")
        log.info("abstaining on %r: %s", run.question, reason)
        run.diagnostics["abstain_reason"] = reason
        # nothing of an abstention is presented as cited fact, not even a sentence that passed alone
        withheld = [Sentence(s.text, s.citations, False) for s in sentences or []]
        return Answer(run.question, ABSTAIN, True, [], withheld, run.hits, run.timings, self.generator.name,
                      dropped, raw)


def _with_labels(text: str, labels: Sequence[str]) -> str:
    """``Cases rose to 123.`` + labels -> ``Cases rose to 123 [06PHNOMPENH657 ¶5].``"""
    marks = " ".join(f"[{label}]" for label in labels)
    body = text.rstrip()
    end = body[-1] if body and body[-1] in ".!?" else "."
    return f"{body.rstrip('.!?').rstrip()} {marks}{end}"


def open_answerer(settings: Settings, retriever: Retriever | None = None) -> Answerer:
    """Wire the configured index, embedder and model together (the model loads on first use)."""
    from qa.generator import get_generator

    generator = get_generator(settings.llm)  # resolves (and if needed assembles) the model file first
    checker = get_generator(settings.llm, role="check") if settings.answer.check else None
    if retriever is None:
        from qa.search import Searcher

        retriever = Searcher.open(settings)
    embedder = getattr(retriever, "embedder", None)
    if embedder is None:
        from qa.embedder import load_embedder

        embedder = load_embedder(settings.embed)
    return Answerer(retriever, generator, embedder, settings.answer, checker=checker)
