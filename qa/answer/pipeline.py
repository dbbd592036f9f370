"""Answering a question: retrieve, show the best passages to the model, check what it says.

    retrieve -> sources (available to callers before generation) -> evidence check -> prompt
    -> streamed generation -> citation parsing -> per-sentence support check -> Answer

The model is trusted with nothing: a citation must name a passage it was shown, a sentence must be
supported by what it cites, and the answer abstains (still listing the nearest paragraphs) when the
evidence is weak, when the model says it cannot answer, or when no supported sentence is left.
The checks themselves live in ``qa.grounding``. ``Answerer.ask`` / ``stream`` is the library call the
CLI, the UI and the evaluation share; ``qa.wiring.open_answerer`` builds one from the settings.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from qa.answer.counting import count_sentence, is_count_question, merged, read_count_question
from qa.answer.llm.llama import Generator
from qa.answer.passages import Candidate, choose_sentences, group_by_source, rank_sentences, select
from qa.answer.run_state import QuestionRun, VectorCache, checked_question, is_abstention
from qa.answer.screening import DocumentScreen
from qa.answer.verified import learned_check
from qa.embed.loading import Embedder
from qa.grounding.checks import (
    CheckModel,
    Chooser,
    InstructionGuard,
    SentenceContext,
    answer_problem,
    check_window,
    evidence_span,
    quote_problem,
    sentence_verdict,
    source_line,
)
from qa.grounding.citations import parse_answer
from qa.grounding.cited_documents import CitedDocuments
from qa.grounding.instructions import visible_sentences
from qa.grounding.probe import Probe
from qa.prompts.templates import (
    ABSTAIN,
    CheckPrompts,
    PromptSet,
    Shown,
    build_messages,
    check_prefix,
    load_check_prompts,
    load_prompts,
    prefix_messages,
    turn_head,
)
from qa.retrieve.searcher import Retriever
from qa.settings import AnswerSettings
from qa.types import Answer, Citation, Filters, Hit, Sentence

log = logging.getLogger(__name__)


# An answer is one short paragraph: a blank line or the start of a new turn means the model rambles on.
STOP = ("\n\n", "Question:", "Passages (")


@dataclass
class Event:
    """One step of a streamed answer: ``sources`` (list[Hit]) first, then ``token`` pieces of the
    model's unchecked draft (str), then the checked ``answer`` (Answer)."""

    kind: Literal["sources", "token", "answer"]
    value: Any


class Answerer:
    """Answers questions from a retriever's passages with a generator, checked with an embedder."""

    def __init__(self, retriever: Retriever, generator: Generator, embedder: Embedder,
                 settings: AnswerSettings, prompts: PromptSet | None = None,
                 checker: Chooser | None = None, check_prompts: CheckPrompts | None = None,
                 guard: Chooser | None = None) -> None:
        self.retriever = retriever
        self.generator = generator
        self.embedder = embedder
        self.settings = settings
        folder = settings.prompts_dir
        self.prompts = prompts or (load_prompts(settings.prompt, folder) if folder else load_prompts(settings.prompt))
        self.checker = checker if settings.check else None
        if self.checker is not None and check_prompts is None:
            check_prompts = load_check_prompts(folder=folder) if folder else load_check_prompts()
        self.check_prompts = check_prompts
        probe = None if settings.check_probe.strip() == "off" else Probe.load(
            None if settings.check_probe.strip() == "packaged" else Path(settings.check_probe))
        self.check_model = CheckModel(self.checker, check_prompts, probe) if self.checker is not None else None
        probing = self.check_model is not None and self.check_model.probe is not None
        self.min_check = settings.min_check_probe if probing else settings.min_check_prob
        self.min_extract = settings.min_extract_probe if probing else settings.min_extract_prob
        self.guard = None
        if guard is not None and settings.guard:
            self.guard = InstructionGuard(guard, load_check_prompts("guard", folder) if folder
                                          else load_check_prompts("guard"))
        self.screen = DocumentScreen(retriever, self.guard, settings.min_guard_prob)
        self.learned = learned_check(settings, self.check_model)  # None: the hand-made rules

    def warm_up(self) -> None:
        """Load the model(s) and evaluate the fixed prompt prefixes (rules and examples) now, and run
        the embedder once: its first batch of several texts makes its worker sessions (about 0.3-0.5 s
        on a 2-core Xeon), which the first question's sentence scoring would otherwise wait for."""
        self.embedder.encode(["A sentence to warm the embedder, of about the length passages hold."] * 4)
        self.embedder.encode_query("a question to warm the query path")
        warm = getattr(self.generator, "warm_up", None)
        if warm is not None:
            warm(prefix_messages(self.prompts), turn_head(self.prompts))
        warm = getattr(self.checker, "warm_up", None)
        if warm is not None and self.check_prompts is not None:
            warm(check_prefix(self.check_prompts))
        warm = getattr(self.guard.model, "warm_up", None) if self.guard is not None else None
        if warm is not None:
            warm(self.guard.prefix())

    def ask(self, question: str, k: int | None = None, filters: Filters | None = None) -> Answer:
        """The checked answer to ``question`` (the same result ``stream`` ends with)."""
        for event in self.stream(question, k, filters):
            if event.kind == "answer":
                return event.value
        raise AssertionError("stream ended without an answer")

    def stream(self, question: str, k: int | None = None, filters: Filters | None = None) -> Iterator[Event]:
        """Sources first, then the model's draft piece by piece, then the checked Answer."""
        run = QuestionRun(checked_question(question, self.settings), time.perf_counter(),
                   documents=CitedDocuments(self.retriever, self.settings.common_term_share))
        counted = self._count(run, filters)
        if counted is not None:  # "how many cables ...": counts over the index, not a paragraph's words
            yield Event("sources", counted.sources)
            yield self._finish(run, counted)
            return
        k = k or self.settings.k
        run.hits = self._retrieve(run, k, filters)
        run.mark("retrieve_ms")
        yield Event("sources", run.hits)
        cache = VectorCache(self.embedder)
        problem = self._passages(run, k, cache)
        if problem:
            yield self._finish(run, self._abstain(run, problem))
            return
        raw = yield from self._generate(run)
        answer = self._check(run, raw, cache)
        # collecting signals: the quotes' too, whatever the model said, since a verifier may reject it
        collecting = self.learned is not None and self.learned.verifier is None
        if (answer.abstained or collecting) and self.check_model is not None and self.settings.extract:
            answer = self._extract(run, raw, cache) or answer
        run.diagnostics["track_prob"] = run.generation.track_prob
        yield self._finish(run, answer)

    def prefill(self, question: str, filters: Filters | None = None,
                wanted: Callable[[], bool] = lambda: True) -> int:
        """Choose the passages ``question`` would be shown and have the generator evaluate its prompt
        up to the question's own line, ahead of time (``qa.ui.type_ahead``: while a question is typed).
        Returns the tokens evaluated; 0 where there is nothing to evaluate (a count question, weak
        evidence, a generator that cannot prefill) or ``wanted()`` turned false meanwhile."""
        prefill = getattr(self.generator, "prefill", None)
        if prefill is None or (self.settings.count_questions and is_count_question(question)):
            return 0
        run = QuestionRun(checked_question(question, self.settings), time.perf_counter(),
                          documents=CitedDocuments(self.retriever, self.settings.common_term_share))
        run.hits = self._retrieve(run, self.settings.k, filters)
        # checked before each step, since a sent question's own retrieval would share the CPU with it
        if not wanted() or self._passages(run, self.settings.k, VectorCache(self.embedder)) or not wanted():
            return 0
        messages = self._messages(run)
        turn = messages[-1]["content"]
        return int(prefill(messages[:-1], turn[:turn.rfind("\n") + 1], wanted))

    @staticmethod
    def _finish(run: QuestionRun, answer: Answer) -> Event:
        """The final event; the diagnostics travel on the answer, since ``ask`` stops reading there."""
        answer.diagnostics = run.diagnostics
        # the prompt's own evaluation: what a CPU's speed alone decides of the time to the first token
        log.info("answered: %s; prompt: %d tokens evaluated in %.0f ms", run.timings_line(),
                 run.generation.prompt_evaluated, run.generation.prompt_ms)
        return Event("answer", answer)

    # ---- steps ----------------------------------------------------------------------------------
    def _count(self, run: QuestionRun, filters: Filters | None) -> Answer | None:
        """The answer to a count or trend question from counts over the whole index (``qa.corpus.timeline``);
        None for any other question, or when the retriever cannot count (``answer.count_questions``)."""
        counts = getattr(self.retriever, "timeline", None)
        if not self.settings.count_questions or counts is None or not is_count_question(run.question):
            return None  # most questions: no count, and no need to read the index's origins
        origins = self.retriever.facets().get("origin", [])  # type: ignore[attr-defined]
        asked = read_count_question(run.question, origins)
        if asked is None:
            return None
        result = counts(asked.topic, merged(filters, asked.filters), asked.by, list_limit=10)
        hits = self.retriever.paragraph_hits(  # type: ignore[attr-defined]
            [d["paragraph_id"] for d in result.documents if d.get("paragraph_id")])
        run.hits = hits
        run.mark("retrieve_ms")
        text = count_sentence(result.total, result.words, asked.named, result.buckets, result.by)
        sentences = [Sentence(text, [], True), Sentence(f"Counted: {result.how}.", [], True)]
        citations = [Citation(h.doc_id, h.paragraph) for h in hits]
        if citations:
            sentences.append(Sentence(
                f"The first {len(citations)} of them, oldest first, with the first paragraph that matches:",
                citations, True))
        run.diagnostics["count"] = result.to_json()
        run.mark("total_ms")
        return Answer(run.question, text, False, citations, sentences, hits, run.timings, "count over the index")

    def _candidates(self, run: QuestionRun, cache: VectorCache) -> list[Candidate]:
        """Each hit screened for injected instructions, split into sentences, and scored against the
        question by dense cosine: the retriever's own when it reports one, else computed here (the
        fused retrieval score is not a similarity)."""
        out, missing = [], []
        for i, hit in enumerate(run.hits):
            # the screening (``qa.answer.screening``) already read every hit: withheld ones show nothing
            withheld = bool((hit.metadata or {}).get("withheld"))
            sentences, removed = ([], 1) if withheld else (visible_sentences(hit.text), 0)
            cosine = (hit.metadata or {}).get("dense_cosine")
            if (cosine is None or removed) and sentences:
                missing.append(i)
            out.append(Candidate(i, sentences, float(cosine or 0.0), removed))
        if missing:
            texts = [" ".join(out[i].sentences) for i in missing]
            for i, score in zip(missing, cache.encode(texts) @ self._question_vector(run, cache), strict=True):
                out[i].relevance = float(score)
        return out

    def _retrieve(self, run: QuestionRun, k: int, filters: Filters | None) -> list[Hit]:
        """The ``k`` best paragraphs that may be used, then the withheld ones (``qa.answer.screening``)."""
        hits, withheld = self.screen.retrieve(lambda n: self.retriever.search(run.question, n, filters), k)
        if withheld:
            run.diagnostics["withheld"] = withheld
        return hits

    def _passages(self, run: QuestionRun, k: int, cache: VectorCache) -> str:
        """Choose what the model is shown (``run.shown``) from the hits; the reason to abstain instead,
        or "" when there are passages to show."""
        candidates = self._candidates(run, cache)
        run.mark("evidence_ms")
        evidence = max((c.relevance for c in candidates if c.sentences), default=0.0)
        if evidence < self.settings.min_evidence:
            log.info("abstaining: best passage cosine %.3f < answer.min_evidence %.2f", evidence,
                     self.settings.min_evidence)
            return "weak evidence"
        picked = select(candidates, k=k, min_relevance=self.settings.min_evidence,
                        relative_drop=self.settings.passage_drop)
        run.shown = self._shown(run, picked, cache)
        run.mark("prompt_ready_ms")
        return "" if run.shown else "no passage left to show"

    def _messages(self, run: QuestionRun) -> list[dict[str, str]]:
        shown = [Shown(n, source_line(hit), text) for n, (hit, text) in enumerate(run.shown, start=1)]
        return build_messages(self.prompts, shown, run.question)

    def _question_vector(self, run: QuestionRun, cache: VectorCache) -> np.ndarray:
        if run.question not in cache.queries:
            cache.queries[run.question] = np.asarray(self.embedder.encode_query(run.question), np.float32)
        return cache.queries[run.question]

    def _shown(self, run: QuestionRun, picked: Sequence[Candidate], cache: VectorCache) -> list[tuple[Hit, str]]:
        """The sentences of the picked passages most relevant to the question, within
        ``answer.context_words`` (see ``qa.answer.passages``)."""
        qvec = self._question_vector(run, cache)
        scores = iter(cache.encode([s for c in picked for s in c.sentences]) @ qvec)  # one batch
        cosines = [[float(next(scores)) for _ in c.sentences] for c in picked]
        chosen = choose_sentences(run.question, picked, cosines, self.settings.context_words)
        run.best = [(run.hits[picked[i].index], picked[i].sentences, j)
                    for _, i, j in rank_sentences(run.question, picked, cosines)[:2]]
        return group_by_source([(run.hits[c.index], text) for c, text in chosen], lambda p: source_line(p[0]))

    def _generate(self, run: QuestionRun) -> Iterator[Event]:
        messages = self._messages(run)
        pieces: list[str] = []
        for piece in self.generator.stream(messages, stop=STOP, track=ABSTAIN, stats=run.generation):
            if not pieces:
                run.mark("first_token_ms")
                log.info("first token: %s", run.timings_line())
            pieces.append(piece)
            yield Event("token", piece)
        run.mark("generate_ms")
        return "".join(pieces)

    def _check(self, run: QuestionRun, raw: str, cache: VectorCache) -> Answer:
        """The model's text through the checks of ``qa.grounding.checks``: sentences, then the answer
        as a whole, then the check model."""
        if is_abstention(raw):
            return self._abstain(run, "the model found no answer", raw=raw)
        if self.learned is not None:
            return self._check_learned(run, raw, cache)
        parsed = parse_answer(raw, len(run.shown))
        ctx = SentenceContext(run.question, self._question_vector(run, cache), run.shown, cache, run.documents,
                              self.settings)
        sentences = [sentence_verdict(ps, ctx) for ps in parsed.sentences]
        accepted = [s for s in sentences if s.supported]

        def abstain(reason: str) -> Answer:
            return self._abstain(run, reason, raw=raw, sentences=sentences, dropped=parsed.dropped)

        if not accepted:
            return abstain("no supported sentence")
        problem = answer_problem(run.question, sentences, run.shown, run.documents, self.settings)
        if problem:
            return abstain(problem)
        if self.check_model is not None:
            run.diagnostics["checked"] = {"text": " ".join(s.text for s in accepted),
                                          "citations": [c.label for s in accepted for c in s.citations]}
            started = time.perf_counter()
            hit, window = self.check_model.answer_window(accepted[0], run.shown, cache)
            yes, probe = self.check_model.scores(hit, window, run.question)
            p_yes = yes if probe is None else probe
            run.timings["check_ms"] = round(1000 * (time.perf_counter() - started), 1)
            run.diagnostics["check_yes"] = round(p_yes, 4)
            run.diagnostics["checked"].update(yes=round(yes, 4), probe=None if probe is None else round(probe, 4))
            if p_yes < self.min_check:
                return abstain(f"the check model doubts the passage answers this ({p_yes:.2f})")
        return self._given(run, sentences, parsed.dropped, raw)

    def _given(self, run: QuestionRun, sentences: list[Sentence], dropped: int, raw: str) -> Answer:
        """The answer made of the accepted ``sentences``, each citation listed once."""
        accepted = [s for s in sentences if s.supported]
        citations: dict[str, Citation] = {}
        for s in accepted:
            for c in s.citations:
                citations.setdefault(c.label, c)
        run.mark("total_ms")
        return Answer(run.question, " ".join(s.text for s in accepted), False, list(citations.values()),
                      sentences, run.hits, run.timings, self.generator.name, dropped, raw)

    def _check_learned(self, run: QuestionRun, raw: str, cache: VectorCache) -> Answer:
        """The model's text through the learned verifier (``qa.answer.verified``)."""
        assert self.learned is not None
        started = time.perf_counter()
        verdict = self.learned.check(run.question, self._question_vector(run, cache), raw, run.shown, cache,
                                     run.documents, run.generation.track_prob)
        run.timings["check_ms"] = round(1000 * (time.perf_counter() - started), 1)
        run.diagnostics["verifier"] = verdict.trace
        verdict.trace["token_probs"] = [run.generation.min_prob, run.generation.mean_prob]
        if verdict.problem:
            return self._abstain(run, verdict.problem, raw=raw, sentences=verdict.sentences,
                                 dropped=verdict.dropped)
        return self._given(run, verdict.sentences, verdict.dropped, raw)

    def _extract(self, run: QuestionRun, raw: str, cache: VectorCache) -> Answer | None:
        """When the model's answer is rejected (or it found none), quote the shown sentence most
        relevant to the question instead, if the check model is confident that its text answers the
        question and it passes the same question checks. The quote is the paragraph's own words."""
        assert self.check_model is not None
        for hit, sentences, j in run.best:
            sentence = sentences[j]
            if self.learned is not None:
                p_quote, trace = self.learned.quote(run.question, self._question_vector(run, cache), hit, sentence,
                                                    cache, run.documents)
                if self.learned.verifier is None:  # collecting: record the quote's signals, answer nothing
                    quotes = run.diagnostics.setdefault("verifier", {}).setdefault("quotes", [])
                    quotes.append({"doc_id": hit.doc_id, "paragraph": hit.paragraph, "sentence": sentence, **trace})
                    continue
                run.diagnostics["extract_score"] = round(p_quote, 4)
                if p_quote < self.learned.min_answer:
                    continue
                return self._quoted(run, hit, sentence, raw)
            # every candidate is recorded, so that thresholds can be chosen from one evaluation run
            tried = {"doc_id": hit.doc_id, "paragraph": hit.paragraph, "sentence": sentence}
            run.diagnostics.setdefault("extract_candidates", []).append(tried)
            if quote_problem(run.question, hit, sentence, run.documents):
                tried["problem"] = True
                continue
            window = check_window(sentences, j)
            yes, probe = self.check_model.scores(hit, window, run.question)
            p_yes = yes if probe is None else probe
            run.diagnostics["extract_yes"] = tried["score"] = round(p_yes, 4)
            tried.update(yes=round(yes, 4), probe=None if probe is None else round(probe, 4))
            if p_yes < self.min_extract:
                continue
            return self._quoted(run, hit, sentence, raw)
        return None

    def _quoted(self, run: QuestionRun, hit: Hit, sentence: str, raw: str) -> Answer:
        """The answer that quotes one sentence of a paragraph, cited with its span."""
        run.diagnostics["extracted"] = True
        run.mark("total_ms")
        citation = Citation(hit.doc_id, hit.paragraph, evidence_span(sentence, hit.text))
        quote = Sentence(sentence, [citation], True, quoted=True)
        return Answer(run.question, f"“{sentence}”", False, [citation], [quote], run.hits, run.timings,
                      self.generator.name, 0, raw)

    def _abstain(self, run: QuestionRun, reason: str, *, raw: str = "", sentences: list[Sentence] | None = None,
                 dropped: int = 0) -> Answer:
        run.mark("total_ms")
        log.info("abstaining on %r: %s", run.question, reason)
        run.diagnostics["abstain_reason"] = reason
        # nothing of an abstention is presented as cited fact, not even a sentence that passed alone
        withheld = [Sentence(s.text, s.citations, False) for s in sentences or []]
        return Answer(run.question, ABSTAIN, True, [], withheld, run.hits, run.timings, self.generator.name,
                      dropped, raw)
