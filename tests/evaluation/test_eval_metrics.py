"""Each evaluation metric on small hand-made cases whose right values are worked out by hand."""

from __future__ import annotations

import math

import pytest

from qa.evaluation.dataset import Gold
from qa.evaluation.metrics import (
    citation_scores,
    containment,
    exact_match,
    ndcg_at_k,
    normalize_answer,
    percentile,
    precision_recall_f1,
    recall_at_k,
    reciprocal_rank,
    relevance,
    summarize,
    token_f1,
)
from qa.evaluation.records import AnswerRecord, AnswerSentence, CitedParagraph, Record, RetrievedParagraph


def hit(doc: str, n: int, text: str = "") -> RetrievedParagraph:
    return RetrievedParagraph(doc_id=doc, paragraph=n, score=0.0, text=text)


def record(
    rid: str,
    *,
    answerable: bool = True,
    answers: list[str] | None = None,
    gold: list[Gold] | None = None,
    hits: list[RetrievedParagraph] | None = None,
    answer: AnswerRecord | None = None,
    timings: dict[str, float] | None = None,
    kind: str | None = None,
) -> Record:
    return Record(
        id=rid,
        question=f"question {rid}",
        type=kind,
        answerable=answerable,
        answers=answers or [],
        gold=gold or [],
        hits=hits or [],
        answer=answer,
        timings=timings or {},
    )


# --- retrieval -------------------------------------------------------------------------------


def test_relevance_matches_by_number_or_quote_and_counts_each_gold_once():
    gold = [Gold("06PHNOMPENH657", paragraph=5), Gold("07X1", quote="123  Cases")]
    ranked = [
        ("06PHNOMPENH657", 4, "other"),
        ("06phnompenh657", 5, "the one"),  # ids compare without case
        ("06PHNOMPENH657", 5, "the same paragraph again"),
        ("07X1", 9, "there were 123\ncases in 2005"),  # quote found despite line break and case
    ]
    assert relevance(ranked, gold) == [False, True, False, True]


def test_recall_at_k():
    rel = [False, True, False, True]
    assert recall_at_k(rel, 2, 1) == 0.0
    assert recall_at_k(rel, 2, 2) == 0.5
    assert recall_at_k(rel, 2, 4) == 1.0
    assert recall_at_k(rel, 4, 10) == 0.5  # two of four gold paragraphs never retrieved
    with pytest.raises(ValueError):
        recall_at_k(rel, 0, 5)


def test_reciprocal_rank():
    assert reciprocal_rank([False, False, True]) == pytest.approx(1 / 3)
    assert reciprocal_rank([True, True]) == 1.0
    assert reciprocal_rank([False] * 5) == 0.0
    assert reciprocal_rank([False] * 10 + [True], k=10) == 0.0  # rank 11 is outside MRR@10


def test_ndcg_at_k():
    assert ndcg_at_k([True], 1) == 1.0
    assert ndcg_at_k([False, True], 1) == pytest.approx(1 / math.log2(3))  # 0.6309
    # DCG = 1/log2(3) + 1/log2(4); ideal = 1 + 1/log2(3)
    assert ndcg_at_k([False, True, True], 2) == pytest.approx((0.63093 + 0.5) / 1.63093, abs=1e-4)
    assert ndcg_at_k([False] * 10 + [True], 1, k=10) == 0.0


# --- answers ---------------------------------------------------------------------------------


def test_normalize_answer_is_squad_normalisation():
    assert normalize_answer("The  Cat!") == "cat"
    assert normalize_answer("An apple, a pear.") == "apple pear"
    assert normalize_answer("¶5 “Un Sokunthea”") == "5 un sokunthea"


def test_old_record_files_read_labels_as_citations():
    """Records written before citations were data hold ``"DOC ¶n"`` labels; they read as citations."""
    old = {"text": "a.", "supported": True, "citations": ["06PHNOMPENH657 ¶5", "09STATE1 ¶12"]}
    sentence = AnswerSentence.from_json(old)
    assert [(c.doc_id, c.paragraph) for c in sentence.citations] == [("06PHNOMPENH657", 5), ("09STATE1", 12)]


def test_exact_match():
    assert exact_match("The 123.", ["123"]) == 1.0
    assert exact_match("123 cases", ["123"]) == 0.0
    assert exact_match("France", ["Spain", "france"]) == 1.0
    assert exact_match("", ["France"]) == 0.0


def test_token_f1():
    # prediction 3 tokens, gold 2, 2 shared: P = 2/3, R = 1, F1 = 0.8
    assert token_f1("123 cases reported", ["123 cases"]) == pytest.approx(0.8)
    assert token_f1("nothing shared", ["123"]) == 0.0
    assert token_f1("123", ["wrong", "123"]) == 1.0  # best over the accepted answers
    assert token_f1("", ["123"]) == 0.0


def test_containment_respects_token_boundaries():
    assert containment("There were 123 cases [06PHNOMPENH657 ¶5].", ["123"]) == 1.0
    assert containment("There were 1234 cases.", ["123"]) == 0.0
    assert containment("It was Un Sokunthea.", ["un sokunthea"]) == 1.0
    assert containment("anything", ["the"]) == 0.0  # an answer that normalises to nothing never matches


# --- citations and abstention ----------------------------------------------------------------


def test_citation_scores_judge_against_the_set_not_the_check():
    answer = AnswerRecord(
        text="a. b. c.",
        abstained=False,
        citations=[CitedParagraph("D", 1, "In 2005 there were 123 cases."), CitedParagraph("D", 2, "Other text."),
                   CitedParagraph("D", 3, "Also 123 cases.")],
        sentences=[
            AnswerSentence("a.", [CitedParagraph("D", 1)], supported=False),  # gold, though unsupported
            AnswerSentence("b.", [CitedParagraph("D", 2)], supported=True),  # accepted, but not gold: wrong
            AnswerSentence("c.", [CitedParagraph("D", 3)], supported=False),
        ],
    )
    scores = citation_scores(record("q", answers=["123"], gold=[Gold("D", 1)], answer=answer))
    assert scores == {"citations": 3, "gold_citations": 1, "answer_citations": 2, "cites_gold": True}
    scores = citation_scores(record("q", answers=["123"], gold=[Gold("D", 9)], answer=answer))
    assert (scores["gold_citations"], scores["cites_gold"]) == (0, False)
    unanswerable = citation_scores(record("q", answerable=False, answer=answer))
    assert (unanswerable["gold_citations"], unanswerable["answer_citations"]) == (0, 0)
    no_gold = citation_scores(record("q", answers=["123"], answer=answer))
    assert no_gold["gold_citations"] is None and no_gold["answer_citations"] == 2
    abstained = AnswerRecord(text="...", abstained=True, citations=[CitedParagraph("D", 1)])
    assert citation_scores(record("q", gold=[Gold("D", 1)], answer=abstained))["citations"] == 0


def test_precision_recall_f1():
    precision, recall, f1 = precision_recall_f1(2, 4, 3)
    assert (precision, recall) == (0.5, pytest.approx(2 / 3))
    assert f1 == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))  # 0.5714
    assert precision_recall_f1(0, 0, 3) == (None, 0.0, None)
    assert precision_recall_f1(0, 2, 3) == (0.0, 0.0, 0.0)


def test_percentile_interpolates_like_numpy():
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile(list(range(1, 101)), 95) == pytest.approx(95.05)
    assert percentile([7.0], 95) == 7.0
    assert percentile([], 50) is None


# --- summaries ------------------------------------------------------------------------------


def small_run() -> list[Record]:
    """Three questions whose every figure is worked out in the test below."""

    def said(text: str, *cites: tuple[str, int], supported: bool = True) -> AnswerRecord:
        return AnswerRecord(
            text=text,
            abstained=False,
            citations=[CitedParagraph(d, n) for d, n in cites],
            sentences=[AnswerSentence(text, [CitedParagraph(d, n) for d, n in cites], supported)],
        )

    refused = AnswerRecord(text="The indexed documents do not answer this.", abstained=True)
    return [
        # gold at rank 1, right answer citing the gold paragraph
        record(
            "a",
            answers=["123"],
            gold=[Gold("D", 5)],
            hits=[hit("D", 5), hit("D", 6)],
            answer=said("There were 123 cases.", ("D", 5)),
            kind="exact",
            timings={"retrieve_ms": 10, "first_token_ms": 100, "total_ms": 1000},
        ),
        # gold at rank 2, but the bot abstained
        record(
            "b",
            answers=["Un Sokunthea"],
            gold=[Gold("D", 6)],
            hits=[hit("D", 5), hit("D", 6)],
            answer=refused,
            kind="paraphrase",
            timings={"retrieve_ms": 20, "first_token_ms": 200, "total_ms": 2000},
        ),
        # unanswerable, answered anyway with an unsupported citation
        record(
            "c",
            answerable=False,
            hits=[hit("D", 1)],
            answer=said("About 15 million.", ("D", 1), supported=False),
            kind="unanswerable",
            timings={"retrieve_ms": 30, "first_token_ms": 300, "total_ms": 3000},
        ),
    ]


def test_summarize_on_a_hand_worked_run():
    summary = summarize(small_run(), depth=2)
    retrieval = summary["retrieval"]
    assert retrieval["questions"] == 2  # the unanswerable question has no gold
    assert retrieval["recall@1"] == 0.5 and retrieval["recall@5"] is None  # depth 2 cannot give @5
    assert retrieval["curve"] == [0.5, 1.0]
    assert retrieval["mrr@10"] == pytest.approx((1 + 0.5) / 2)
    assert retrieval["ndcg@10"] == pytest.approx((1 + 1 / math.log2(3)) / 2)

    answers = summary["answers"]
    assert answers["questions"] == 2
    assert answers["exact"] == 0.0 and answers["contains"] == 0.5
    assert answers["f1"] == pytest.approx(
        (2 * (1 / 4) * 1 / (1 / 4 + 1)) / 2
    )  # "there were 123 cases" vs "123"
    assert answers["answered"] == 0.5
    assert answers["right_and_cited_when_answered"] == 1.0

    citations = summary["citations"]
    assert citations["answers"] == 2 and citations["citations"] == 2
    assert citations["precision"] == 0.5  # D ¶5 is gold; D ¶1 cited for an unanswerable question
    # ¶5's text was not recorded, so only the unanswerable question's citation is judged: wrong
    assert citations["precision_answer_text"] == 0.0
    assert citations["recall"] == 1.0  # of answered questions with gold, all cited one
    assert citations["supported_sentences"] == 0.5

    abstention = summary["abstention"]
    assert abstention["unanswerable"] == 1 and abstention["abstained"] == 1
    assert abstention["precision"] == 0.0 and abstention["recall"] == 0.0 and abstention["f1"] == 0.0
    assert abstention["wrongly_abstained"] == 0.5

    latency = summary["latency"]
    assert latency["retrieve_ms"] == {"n": 3, "p50": 20, "p95": pytest.approx(29.0)}
    assert latency["total_ms"]["p50"] == 2000

    by_type = summary["by_type"]
    assert set(by_type) == {"exact", "paraphrase", "unanswerable"}
    assert by_type["exact"]["retrieval"]["recall@1"] == 1.0
    assert by_type["paraphrase"]["retrieval"]["recall@1"] == 0.0
    assert by_type["unanswerable"]["abstention"]["recall"] == 0.0


def test_retrieval_only_summary_has_no_answer_sections():
    records = [record("a", gold=[Gold("D", 1)], hits=[hit("D", 1)], timings={"retrieve_ms": 5})]
    summary = summarize(records, depth=10)
    assert "answers" not in summary and "abstention" not in summary
    assert summary["retrieval"]["recall@10"] == 1.0
    assert summary["by_type"]["untyped"]["questions"] == 1


P5 = "Human trafficking cases have increased from 28 in 2001 to 123 in 2005."
P6 = "Un Sokunthea, Director of the AHTJP Department, explained the sources."


def cited_run(*cites: tuple[str, int, str], supported: bool = True) -> list[Record]:
    """One answerable question (answer 123, gold D ¶5) answered with these citations, all accepted by
    the pipeline's own check."""
    cited = [CitedParagraph(d, n, text) for d, n, text in cites]
    answer = AnswerRecord(text="There were 123 cases.", abstained=False, citations=cited,
                          sentences=[AnswerSentence("There were 123 cases.", cited, supported)])
    return [record("q", answers=["123"], gold=[Gold("D", 5)], hits=[hit("D", 5, P5)], answer=answer)]


def test_a_wrong_citation_lowers_both_precisions_even_when_the_check_accepted_it():
    right = summarize(cited_run(("D", 5, P5)))["citations"]
    assert right["precision"] == 1.0 and right["precision_answer_text"] == 1.0
    wrong = summarize(cited_run(("D", 5, P5), ("D", 6, P6)))["citations"]
    assert wrong["precision"] == 0.5 and wrong["precision_answer_text"] == 0.5
    only_wrong = summarize(cited_run(("D", 6, P6)))["citations"]
    assert only_wrong["precision"] == 0.0 and only_wrong["precision_answer_text"] == 0.0


def test_a_paragraph_holding_the_answer_counts_apart_from_gold():
    """Another paragraph that states the answer is a good citation by the answer-text measure only."""
    elsewhere = summarize(cited_run(("E", 2, "In 2005 the police counted 123 trafficking cases.")))["citations"]
    assert elsewhere["precision"] == 0.0 and elsewhere["precision_answer_text"] == 1.0
