from rag.cite import claims, support, verify
from rag.records import Paragraph


def _p(n: int, text: str) -> Paragraph:
    return Paragraph(id=f"a:{n}", article_id="a", article_title="Title", number=n, text=text)


SHOWN = [
    _p(8, "IRANIAN PRESIDENT Hassan Rouhani also met with the Iraqi foreign minister."),
    _p(2, "On Saturday, Iraqi Foreign Minister Fuad Hussein met with senior Iranian officials."),
    _p(3, "The talks began with a meeting between Hussein and Speaker Mohammad Baqer Qalibaf."),
]
QUESTION = "who met the Iraqi foreign minister?"


def test_correct_citations_are_kept() -> None:
    text, cites, unsupported = verify("Qalibaf [3] and Hassan Rouhani [1] met him.", SHOWN, QUESTION)
    assert text == "Qalibaf [1] and Hassan Rouhani [2] met him."
    assert [(c.marker, c.paragraph.id) for c in cites] == [(1, "a:3"), (2, "a:8")]
    assert all(c.support == 1.0 for c in cites) and unsupported == ()
    assert cites[1].evidence == SHOWN[0].text


def test_wrong_citation_is_replaced_by_the_supporting_paragraph() -> None:
    text, cites, _ = verify("Hassan Rouhani [2] met the minister.", SHOWN, QUESTION)
    assert [c.paragraph.id for c in cites] == ["a:8"]
    assert text == "Hassan Rouhani [1] met the minister."


def test_paragraph_stating_the_answer_beats_one_that_mentions_it() -> None:
    shown = [
        _p(1, "San Diego County borders the Southern Border Region. Tourism grew there."),
        _p(2, "The El Centro and San Diego metropolitan areas form the Southern Border Region."),
    ]
    question = "What do the El Centro and San Diego metropolitan areas form?"
    answer = "The Southern Border Region"
    for raw in (f"{answer} [1].", f"{answer} [2].", f"{answer}."):
        _, cites, _ = verify(raw, shown, question)
        assert [c.paragraph.id for c in cites] == ["a:2"], raw
    # Trusting the model's marker (the earlier rule) keeps its supported but weaker choice.
    assert [c.paragraph.id for c in verify(f"{answer} [1].", shown, question, trust_marker=True)[1]] == ["a:1"]
    # With nothing to choose between them, the model's marker decides.
    twins = [_p(1, "Rouhani met him."), _p(2, "Rouhani met him.")]
    assert [c.paragraph.id for c in verify("Rouhani [2].", twins, "who met him?")[1]] == ["a:2"]


def test_answer_worded_differently_from_the_paragraph_is_supported() -> None:
    shown = [_p(1, "Three species were found. About 82 percent of those who die are old. The walls were painted.")]
    for raw in ("3 [1].", "82% [1].", "Painting [1]."):
        _, cites, unsupported = verify(raw, shown, "what?")
        assert [c.paragraph.id for c in cites] == ["a:1"] and unsupported == (), raw
    assert verify("Four [1].", shown, "how many species?")[1] == ()  # a different number is still not supported


def test_picking_one_of_the_questions_options_is_an_answer() -> None:
    shown = [_p(1, "The Broncos beat the Steelers in the divisional round.")]
    _, cites, _ = verify("The Broncos [1].", shown, "Which team won the divisional round, the Broncos or the Steelers?")
    assert [c.paragraph.id for c in cites] == ["a:1"]
    # Without a choice offered, repeating the question's words is no answer.
    assert verify("The Broncos [1].", shown, "Who did the Broncos beat?")[1] == ()


def test_out_of_range_citation_is_reassigned() -> None:
    text, cites, _ = verify("Mohammad Baqer Qalibaf [7].", SHOWN, QUESTION)
    assert [c.paragraph.id for c in cites] == ["a:3"] and text == "Mohammad Baqer Qalibaf [1]."


def test_uncited_claim_gets_a_citation() -> None:
    text, cites, _ = verify("Hassan Rouhani met the Iraqi foreign minister.", SHOWN, QUESTION)
    assert [c.paragraph.id for c in cites] == ["a:8"]
    assert text.endswith("[1].")


def test_unsupported_sentence_is_dropped_and_reported() -> None:
    text, cites, unsupported = verify("Rouhani [1] met him. Paris is the capital of France [2].", SHOWN, QUESTION)
    assert text == "Rouhani [1] met him."
    assert unsupported == ("Paris is the capital of France.",)
    assert [c.paragraph.id for c in cites] == ["a:8"]


def test_answer_from_model_knowledge_has_no_citation() -> None:
    text, cites, unsupported = verify("Emmanuel Macron [1].", SHOWN, QUESTION)
    assert (text, cites) == ("", ())
    assert unsupported == ("Emmanuel Macron.",)


def test_support_counts_only_new_words() -> None:
    assert support("Fuad Hussein", SHOWN[0].text, QUESTION) == 0.0
    assert support("Rouhani met the Iraqi minister", SHOWN[0].text, QUESTION) == 1.0
    assert support("Rouhani and Kim Jong Un", SHOWN[0].text, QUESTION) == 0.25


def test_claims_split_at_markers() -> None:
    parts = claims("Qalibaf [3] and Rouhani [1] met him. It rained.")
    assert [(c.sentence, c.text, c.marker) for c in parts] == [
        (0, "Qalibaf", 3), (0, "and Rouhani", 1), (0, "met him.", None), (1, "It rained.", None),
    ]


def test_unsupported_claim_is_removed_from_a_supported_sentence() -> None:
    text, cites, unsupported = verify("Kim Jong Un [1] and Hassan Rouhani [1] met him.", SHOWN, QUESTION)
    assert text == "Hassan Rouhani [1] met him."
    assert unsupported == ("Kim Jong Un",)
    assert [c.paragraph.id for c in cites] == ["a:8"]


def test_the_questions_own_object_is_not_an_answer() -> None:
    answer = "Hassan Rouhani [1] and Fuad Hussein [2] met the Iraqi foreign minister."
    text, cites, unsupported = verify(answer, SHOWN, QUESTION)
    assert text == "Hassan Rouhani [1] met the Iraqi foreign minister."
    assert unsupported == ("and Fuad Hussein",)
    assert [c.paragraph.id for c in cites] == ["a:8"]
    # Asked who holds the title, the name beside it is the answer.
    _, cites, _ = verify("Fuad Hussein [2].", SHOWN, "who is the Iraqi foreign minister?")
    assert [c.paragraph.id for c in cites] == ["a:2"]
