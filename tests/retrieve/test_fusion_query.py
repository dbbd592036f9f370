from qa.retrieve.fusion import rrf
from qa.retrieve.query import fts_any, fts_phrase, parse_query, without_ids


def test_rrf_weights_and_order() -> None:
    fused = rrf([([1, 2, 3], 1.0), ([3, 4], 1.0)], k=60)
    ids = [i for i, _ in fused]
    assert ids[0] == 3  # in both lists
    assert set(ids) == {1, 2, 3, 4}
    dense_only = rrf([([1, 2], 1.0), ([2, 1], 0.0)], k=60)
    assert [i for i, _ in dense_only] == [1, 2]


def test_rrf_score_values() -> None:
    (top, score), *_ = rrf([([5], 2.0)], k=10)
    assert top == 5 and abs(score - 2.0 / 11) < 1e-12


def test_parse_query_finds_ids_phrases_terms() -> None:
    q = parse_query('What did 09CAIRO1265 say about "Leahy vetting" and the army?')
    assert q.id_candidates == ["09CAIRO1265"]
    assert q.phrases == ["Leahy vetting"]
    assert "army" in q.terms and "the" not in q.terms
    assert without_ids(q.text, ["09cairo1265"]).startswith("What did say")


def test_fts_queries_are_quoted_so_syntax_cannot_break_them() -> None:
    assert fts_any(["near", 'or"x']) == '"near" OR "orx"'
    assert fts_phrase('human "trafficking" cases!') == '"human trafficking cases"'
    assert fts_phrase("!!!") == ""
