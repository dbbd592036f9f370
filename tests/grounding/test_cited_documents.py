"""A cited document as text for the checks: its header (subject, origin, tags, date written out) and
all its paragraphs; and looking a question's terms and an answer's names up in it."""

from __future__ import annotations

import numpy as np

from qa.grounding.cited_documents import cable_year, document_text, header_text, written_date
from qa.grounding.names import abbreviated_names, initials, name_phrases
from qa.grounding.support import check_sentence, missing_facts, question_terms_missing, restated_numbers
from qa.types import Paragraph

# Shortened from 09LONDON1069: the bank is named in full in the summary only, "RBS" later.
RBS_META = {"subject": "RBS EXECUTIVES SAY MEA CULPA", "origin": "Embassy London",
            "created": "2009-05-06T14:57:00Z", "tags": ["ECON", "EINV", "UK"]}
RBS = [
    Paragraph(1, "Summary. Senior Royal Bank of Scotland executives told visiting emboff in an April 28th "
                 "meeting that the plan would include cost savings of GBP 2.5 billion by 2011."),
    Paragraph(3, "RBS intends to narrow the activities of its U.S.-based Citizens Financial Group."),
    Paragraph(4, "This will be done primarily through downsizing, with an expected 9,000 job cuts just in "
                 "the UK alone, and thousands elsewhere in global operations."),
]


class BagOfWords:
    """A deterministic stand-in encoder: normalised word counts over the texts' own vocabulary."""

    def encode(self, texts):
        vocab = sorted({w for t in texts for w in t.lower().split()})
        rows = np.array([[t.lower().split().count(w) for w in vocab] for t in texts], dtype=np.float32)
        return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-9)


def test_dates_are_written_as_a_question_writes_them():
    assert written_date("2009-04-14T10:00:00Z") == "April 14, 2009"
    assert written_date("2006-06") == "June 2006"
    assert written_date("1990") == "1990"
    assert written_date(None) == "" and written_date("unknown") == "" and written_date("2009-13-01") == "2009"


def test_header_holds_subject_origin_tags_and_date():
    header = header_text(RBS_META)
    assert header.splitlines() == ["RBS EXECUTIVES SAY MEA CULPA", "Embassy London", "ECON, EINV, UK",
                                   "May 6, 2009"]
    assert header_text({"title": "Normans"}) == "Normans"  # a document without cable metadata
    # the posts a cable is addressed to, and the year of its ID when the header has no date
    state = {"subject": "A.Q. KHAN", "origin": "Secretary of State", "to": ["AMEMBASSY ISLAMABAD"],
             "kind": "cable"}
    assert header_text(state, "08STATE37957").splitlines() == ["A.Q. KHAN", "Secretary of State",
                                                              "Embassy Islamabad", "2008"]
    assert cable_year("90BAGHDAD4397") == "1990" and cable_year("Normans#3") == ""
    text = document_text(RBS_META, RBS)
    assert text.startswith(header) and all(p.text in text for p in RBS)


def test_question_terms_named_elsewhere_in_the_cable_are_found_there_only():
    question = ("How many UK job cuts did Royal Bank of Scotland expect, as RBS executives told the "
                "US embassy in April 2009?")
    cited = [RBS[2].text]
    assert question_terms_missing(question, cited) == ["2009", "April", "Bank", "RBS", "Royal", "Scotland",
                                                       "US"]
    assert question_terms_missing(question, cited, [document_text(RBS_META, RBS)]) == []
    # a term the cable never names is still missing
    other = question.replace("Royal Bank of Scotland", "Barclays")
    assert question_terms_missing(other, cited, [document_text(RBS_META, RBS)]) == ["Barclays"]


def test_a_name_the_cited_paragraph_abbreviates_may_be_spelled_out_from_the_document():
    documents = [document_text(RBS_META, RBS)]
    cited = [RBS[2].text.replace("the UK alone", "the UK alone at RBS")]
    named = "The Royal Bank of Scotland expected 9,000 job cuts in the UK."
    assert missing_facts(named, cited) == ["Bank", "Royal", "Scotland"]
    assert abbreviated_names(named, cited, documents) == {"Royal", "Bank", "Scotland"}
    assert check_sentence(named, cited, BagOfWords(), 0.0, documents=documents).supported
    # not when the cited paragraph does not use the short form, nor when the document never spells it out
    assert abbreviated_names(named, [RBS[2].text], documents) == set()
    assert abbreviated_names(named, cited, [RBS[2].text]) == set()
    # numbers never come from another paragraph
    counted = "RBS expected 9,000 job cuts in the UK and savings of GBP 2.5 billion."
    assert check_sentence(counted, cited, BagOfWords(), 0.0, documents=documents).missing == ["2.5", "GBP"]


def test_a_last_name_stands_for_the_full_name_the_document_writes():
    documents = ["President Carlos Lage and Foreign Minister Felipe Perez Roque met the minister.",
                 "Lage is trusted by Raul and a guy that you can talk to."]
    cited = documents[1:]
    assert abbreviated_names("Carlos Lage is trusted by Raul Castro.", cited, documents) == {"Carlos", "Lage"}
    assert abbreviated_names("Juan Lage is trusted by Raul.", cited, documents) == set()  # not written so
    # a title is no last name: "minister" is written in lower case, "Foreign" is not "Prime"
    assert abbreviated_names("The Foreign Minister met.", ["The Prime Minister met."], documents) == set()


def test_name_phrases_and_their_initials():
    text = "Un Sokunthea, Director of the AHTJP Department, met Sir Tom McKillop. The UN General Assembly"
    assert name_phrases(text) == [("Un", "Sokunthea"), ("Director", "of", "the", "AHTJP", "Department"),
                                  ("Sir", "Tom", "McKillop"), ("UN", "General", "Assembly")]
    assert initials(("Royal", "Bank", "of", "Scotland")) == "RBS"
    assert initials(("UN", "General", "Assembly")) == "UNGA"
    assert initials(("Anti-Human", "Trafficking", "and", "Juvenile", "Protection")) == "AHTJP"
    question = "Where did Qadhafi plan to stay during his September 2009 trip to the UN General Assembly?"
    assert question_terms_missing(question, ["Qadhafi will attend UNGA in September 2009."]) == []
    assert question_terms_missing(question, ["Qadhafi will attend in September 2009."]) == [
        "Assembly", "General", "UN"]


def test_dotted_acronyms_and_hyphenated_names_match_their_parts():
    said = "RBS intends to narrow the activities of its U.S.-based Citizens Financial Group."
    assert question_terms_missing("What did RBS plan for its US arm?", [said]) == []
    assert question_terms_missing("What did RBS plan for its U.S. arm?", [said]) == []
    talks = "The U.S. and Brazil held the first meeting of the Joint Standing Committee."
    assert question_terms_missing("Who led the U.S.-Brazil Joint Standing Committee?", [talks]) == []
    assert question_terms_missing("Who led the U.S.-Chile Joint Standing Committee?", [talks]) == ["U.S.-Chile"]


def test_a_year_the_sentence_only_repeats_from_the_question_may_be_in_the_documents_date():
    question = "How many UK job cuts did RBS expect, as its executives told the embassy in 2009?"
    titles = ["Embassy London, 2009-05-06: RBS EXECUTIVES SAY MEA CULPA"]  # the source line
    cited = [RBS[2].text]
    repeated = "RBS expected 9,000 job cuts in the UK in 2009."
    assert restated_numbers(repeated, question, cited, titles) == {"2009"}
    assert missing_facts(repeated, cited, titles, restated_numbers(repeated, question, cited, titles)) == []
    verdict = check_sentence(repeated, cited, BagOfWords(), 0.0, question=question, titles=titles)
    assert verdict.supported, verdict
    assert not check_sentence(repeated, cited, BagOfWords(), 0.0, question=question).supported
    # a number of the answer's own is never excused, nor one the date does not hold
    invented = "RBS expected 9,500 job cuts in the UK in 2009."
    assert missing_facts(invented, cited, titles, restated_numbers(invented, question, cited, titles)) == [
        "2009", "9500"]
    assert restated_numbers(repeated.replace("2009", "2010"), question.replace("2009", "2010"), cited,
                            titles) == set()
    # nor a year when the cited paragraph is about other years
    assert restated_numbers(repeated, question, ["RBS expected 9,000 job cuts in the UK by 2011."], titles) == set()


def test_a_sentence_that_only_repeats_the_question_gets_no_year_excused():
    question = "Why did Brazil say in April 2004 that it was not yet time for safeguards at Resende?"
    titles = ["Embassy Brasilia, 2004-04-15: BRAZIL NUCLEAR TALKS"]
    cited = ["Brazil said safeguards at Resende would come once the facility is operational."]
    echo = "Brazil said in April 2004 that it was not yet time for safeguards at Resende."
    assert restated_numbers(echo, question, cited, titles) == set()
    answer = "In April 2004 Brazil said Resende needed no safeguards until it is operational, per Guerreiro."
    assert restated_numbers(answer, question, [cited[0] + " Guerreiro said so."], titles) == {"2004"}
