from rag import verify as verification
from rag.claims import claims, support
from rag.question import read
from rag.records import Paragraph
from rag.wording import answer_from


def checked(answer: str, shown: list[Paragraph], question: str, *args: object, **kwargs: object):
    """``rag.verify.verify`` of ``answer`` to ``question`` read into its record."""
    return verification.verify(answer, shown, read(question), *args, **kwargs)  # type: ignore[arg-type]


def verify(*args: object, **kwargs: object) -> tuple:
    """``rag.verify.verify`` as (text, citations, unsupported)."""
    v = checked(*args, **kwargs)  # type: ignore[arg-type]
    return v.text, v.citations, v.unsupported


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


def test_a_name_written_with_or_without_its_accents_is_the_same_name() -> None:
    # Outlets (and a model copying one of them) write "Nestlé" where a paragraph has "Nestle", "Leixoes" for "Leixões".
    shown = [_p(1, "Nestle fired chief executive Laurent Freixe on Monday."), _p(2, "Two ships went to Leixões.")]
    text, cites, unsupported = verify("Nestlé [1].", shown, "Which company fired its chief executive?")
    assert text == "Nestlé [1]." and cites[0].paragraph.id == "a:1" and unsupported == ()
    text, cites, _ = verify("Leixoes [1].", shown, "Where did the ships go?")
    assert text == "Leixoes [1]." and cites[0].paragraph.id == "a:2"


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


def _relevance_needs(phrase: str):
    """A cross-encoder stand-in: evidence answers only if it contains ``phrase``."""

    def score(question: str, passages: list[str]) -> list[float]:
        return [1.0 if phrase in p else 0.1 for p in passages]

    return score


def test_a_claim_is_verified_with_the_earlier_paragraph_that_says_who_hussein_is() -> None:
    minister, meeting = SHOWN[1], SHOWN[2]
    relevance = _relevance_needs("Foreign Minister")
    options = dict(relevance=relevance, min_relevance=0.9)
    alone = checked("Mohammad Baqer Qalibaf [1].", [meeting], QUESTION, **options)
    assert alone.citations == ()  # "a meeting between Hussein and ...": the minister is never named
    both = checked("Mohammad Baqer Qalibaf [1].", [meeting], QUESTION, **options, story=lambda p: [minister, meeting])
    (c,) = both.citations
    assert both.text == "Mohammad Baqer Qalibaf [1]." and c.paragraph == meeting and c.antecedent == minister
    assert c.paragraphs == (minister, meeting) and c.evidence.startswith("On Saturday, Iraqi Foreign Minister")
    # The minister himself is still not an answer to who met him, antecedent or not.
    hussein = checked("Fuad Hussein [1].", [meeting], QUESTION, **options, story=lambda p: [minister, meeting])
    assert hussein.citations == ()


def test_a_description_of_the_claim_is_read_with_the_name_it_describes_and_nothing_else_is() -> None:
    """ "Tereza Holubova, the carmaker's chief executive" answers "who runs Vranov Motors?" when the story called
    the carmaker by name earlier; a sentence that only mentions "the carmaker" elsewhere does not, however
    relevant the earlier sentence is."""
    lede = _p(0, "The lab was paid for by carmaker Vranov Motors, which makes electric vans.")
    chief = _p(4, '"We need engineers," said Tereza Holubova, the carmaker\'s chief executive.')
    other = _p(5, "Jitka Maresova, a lecturer, asked whether the carmaker would have a say over research.")
    question = "Who runs Vranov Motors?"
    options = dict(relevance=lambda q, texts: [float("Vranov Motors" in s) for s in texts], min_relevance=0.9)
    alone = checked("Tereza Holubova [1].", [chief], question, **options)
    assert alone.citations == ()  # "the carmaker" alone does not say which
    story = {"story": lambda p: [lede, chief, other]}
    (c,) = checked("Tereza Holubova [1].", [chief], question, **options, **story).citations
    assert c.paragraph == chief and c.antecedent == lede and c.evidence.startswith("The lab was paid for")
    assert checked("Jitka Maresova [1].", [other], question, **options, **story).citations == ()


QUOTES = [
    _p(6, '"Under pressure from the United States, some countries normalized relations," Qalibaf said.'),
    _p(9, '"We are with Iraq," Rouhani said. "Getting the United States out of the region is not our job."'),
]


def test_asked_what_rouhani_said_only_his_own_words_verify() -> None:
    question = "what did Rouhani say about the United States?"
    mine = checked("Getting the United States out of the region is not our job [2].", QUOTES, question,
                       asked="Rouhani")
    assert [c.paragraph.number for c in mine.citations] == [9]
    theirs = checked("some countries normalized relations [1].", QUOTES, question, asked="Rouhani")
    assert theirs.citations == () and [(c.paragraph.number, who) for c, who in theirs.elsewhere] == [(6, "Qalibaf")]


def test_another_speakers_words_are_answered_as_theirs() -> None:
    from rag.records import Completion, Hit, Timings

    hits = [Hit(paragraph=p, score=0.8) for p in QUOTES]
    said = Completion(text="some countries normalized relations [1].")
    answer = answer_from(read("what did Rouhani say about normalizing relations?"), said, hits, Timings(), 0.5, "m",
                              asked="Hassan Rouhani")
    assert answer.text.startswith("The articles quote Qalibaf on this, not Hassan Rouhani: “Under pressure from")
    assert [c.paragraph.number for c in answer.citations] == [6] and not answer.abstained


def test_the_asked_persons_words_on_another_subject_are_no_answer() -> None:
    question = "what did Rouhani say about water supplies?"
    off = checked("We are with Iraq [2].", QUOTES, question, asked="Rouhani")
    assert off.citations == () and off.elsewhere == ()  # his words, but not about water
    on = checked("Getting the United States out of the region is not our job [2].", QUOTES,
                     "what did Rouhani say about the United States?", asked="Rouhani")
    assert [c.paragraph.number for c in on.citations] == [9]


def test_an_answer_in_the_speakers_words_cites_those_words() -> None:
    from rag.records import Completion, Hit, Timings

    hits = [Hit(paragraph=p, score=0.8) for p in QUOTES]
    said = Completion(text="Rouhani said it was not Iran's job [2].")  # the model's paraphrase
    answer = answer_from(read("what did Rouhani say about the United States?"), said, hits, Timings(), 0.5, "m",
                              asked="Rouhani")
    quote = '"We are with Iraq," Rouhani said. "Getting the United States out of the region is not our job."'
    assert answer.text == f"{quote} [1]" and answer.short == "Rouhani said it was not Iran's job."
    assert [c.sentence for c in answer.citations] == [quote]  # what an API client shows beside the claim


def test_the_asked_persons_words_need_no_cross_encoder_score_but_anothers_do() -> None:
    question = "what did Rouhani say about the United States?"
    never = lambda q, passages: [0.0] * len(passages)  # noqa: E731 - a judge that rates nothing as answering
    mine = checked("Getting the United States out of the region is not our job [2].", QUOTES, question,
                       relevance=never, min_relevance=0.9, asked="Rouhani")
    assert [c.paragraph.number for c in mine.citations] == [9]  # his words on the topic: the attribution rule
    theirs = checked("some countries normalized relations [1].", QUOTES, question, relevance=never,
                         min_relevance=0.9, asked="Rouhani")
    assert theirs.citations == () and theirs.elsewhere == ()  # Qalibaf's words must answer the question too


def test_narration_about_the_asked_person_is_theirs() -> None:
    shown = [_p(3, "In 1521 Martin Luther wrote a tract. He called the mass a gift to the congregation."),
             _p(4, "Critics called the mass a gift of the priests.")]
    said = checked("a gift [1].", shown, "What did Luther call the mass?", asked="Luther")
    assert [c.paragraph.number for c in said.citations] == [3]
    other = checked("a gift [2].", shown[1:], "What did Luther call the mass?", asked="Luther")
    assert other.citations == ()


def test_a_described_speaker_is_resolved_by_an_apposition_and_is_nobody_else() -> None:
    """ "She" after "..., the economy minister said" is the minister, named by an earlier apposition; a speaker
    described and never named is not said to be someone other than the person asked about."""
    named = _p(5, "The minister, Friederike Stallbaum, has been under pressure since January.")
    said = _p(7, '"Nobody will lose a euro," the economy minister said. She also warned that installers who raised '
                 "their prices would be removed from the list.")
    question = "What did Friederike Stallbaum warn would happen to installers?"
    mine = checked("removed from the list [1].", [said], question, asked="Friederike Stallbaum",
                   story=lambda p: [named, said])
    assert mine.citations and not mine.elsewhere
    unnamed = checked("removed from the list [1].", [said], question, asked="Friederike Stallbaum",
                      relevance=lambda q, texts: [1.0] * len(texts), min_relevance=0.5, story=lambda p: [said])
    assert not unnamed.citations and not unnamed.elsewhere  # the minister unnamed: neither hers nor another's


def test_a_described_speaker_is_named_by_a_later_paragraph() -> None:
    """News describes a speaker first and names them paragraphs later: "He also proposed" after "..., the Dutch
    housing minister said" is Thijmen Brakkee's, named by "The minister, Thijmen Brakkee," two paragraphs on."""
    said = _p(1, '"A student on a waiting list is a student we have failed," the Dutch housing minister said.')
    proposed = _p(2, "He also proposed a temporary cap on rents for converted rooms of 550 euros a month.")
    union = _p(3, '"It is too high," said Sanne Vleugels, the union\'s chair. She called for a cap of 450 euros.')
    named = _p(4, "The minister, Thijmen Brakkee, said the first conversions could be ready in 2027.")
    article = [said, proposed, union, named]
    question = "What rent limit did Thijmen Brakkee propose for converted rooms?"
    options = dict(relevance=lambda q, texts: [1.0] * len(texts), min_relevance=0.5, asked="Thijmen Brakkee")
    his = checked("550 euros a month [1].", [proposed], question, **options, story=lambda p: article)
    assert [c.paragraph for c in his.citations] == [proposed]
    hers = checked("450 euros [1].", [union], question, **options, story=lambda p: article)
    assert not hers.citations  # Vleugels's words, not his
    unnamed = checked("550 euros a month [1].", [proposed], question, **options, story=lambda p: article[:3])
    assert not unnamed.citations  # never named: the minister is nobody, so not Brakkee


DANUBE = [
    _p(4, "Austria and Hungary signed the flood-gauge agreement in Vienna on Tuesday."),
    _p(5, "Slovakia signed it a day later."),
    _p(6, "Germany was not at the talks."),
]


def test_each_member_of_a_list_is_verified_and_cited_on_its_own() -> None:
    text, cites, unsupported = verify("Austria, Slovakia, Croatia and Hungary [1].", DANUBE,
                                      "Which countries signed the flood-gauge agreement?")
    assert [(c.sentence.strip(" ,."), c.paragraph.id) for c in cites] == [
        ("Austria", "a:4"), ("Slovakia", "a:5"), ("and Hungary", "a:4")]
    assert "Croatia" not in text and unsupported == (", Croatia",)


def test_a_claim_made_twice_is_made_once_and_a_name_the_question_gives_is_no_answer() -> None:
    text, cites, _ = verify("Slovakia [2], Slovakia [2], Vienna [1].", DANUBE,
                            "Which countries signed the flood-gauge agreement in Vienna?")
    assert text.count("Slovakia") == 1 and "Vienna" not in text and len(cites) == 1


def test_an_article_from_long_before_the_time_asked_about_verifies_nothing() -> None:
    from dataclasses import replace
    from datetime import date

    week = read("Which band won the festival this week?", date(2025, 8, 14), dates=True)
    old = replace(_p(1, "The festival was won by the Blue Band."), date="2025-06-30")
    recent = replace(old, id="b:1", article_id="b", date="2025-08-04")  # a follow-up days before the week
    assert verification.verify("The Blue Band [1].", [old], week).citations == ()
    assert [c.paragraph.id for c in verification.verify("The Blue Band [1].", [old, recent], week).citations] == ["b:1"]
    undated = read("Which band won the festival?", date(2025, 8, 14), dates=True)  # no time named: any age
    assert verification.verify("The Blue Band [1].", [old], undated).citations[0].paragraph.id == "a:1"

