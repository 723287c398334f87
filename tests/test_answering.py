"""Resolution of questions and follow-ups, and the reply contract, without Rasa running."""

from __future__ import annotations

import pytest

from spinebot import answering
from spinebot.answering import clarify_messages, knowledge_messages, out_of_scope_messages, resolve
from spinebot.replies import default_replies

REPLIES = default_replies()


def subject(value):
    return [{"entity": "subject", "value": value}]


def test_knowledge_intent_resolves_to_its_entry(knowledge):
    assert resolve(knowledge, "laser_surgery_overview").entry.id == "laser_surgery_overview"


def test_followup_uses_the_current_subject(knowledge):
    assert (
        resolve(knowledge, "followup_how_done", current_subject="laser_surgery").entry.id == "laser_surgery_procedure"
    )
    assert resolve(knowledge, "followup_downsides", current_subject="injections").entry.id == "injections_limitations"
    assert (
        resolve(knowledge, "followup_recovery", current_subject="revision_surgery").entry.id == "rehab_after_revision"
    )


def test_subject_named_in_the_message_beats_the_conversation_subject(knowledge):
    resolution = resolve(
        knowledge, "followup_how_done", entities=subject("laser_surgery"), current_subject="injections"
    )
    assert resolution.entry.id == "laser_surgery_procedure"


def test_followup_without_subject_asks_instead_of_guessing(knowledge):
    resolution = resolve(knowledge, "followup_how_done")
    assert resolution.entry is None
    assert 1 < len(resolution.candidates) <= 3


def test_tell_me_more_moves_to_the_first_related_entry(knowledge):
    resolution = resolve(knowledge, "followup_more", last_kb_id="laser_surgery_overview")
    assert resolution.entry.id == knowledge["laser_surgery_overview"].related[0]


def test_fallback_offers_the_likeliest_knowledge_entries(knowledge):
    ranking = [
        {"name": "nlu_fallback", "confidence": 1.0},
        {"name": "scar_tissue", "confidence": 0.28},
        {"name": "greet", "confidence": 0.2},
        {"name": "when_surgery_failed", "confidence": 0.21},
        {"name": "costs", "confidence": 0.01},
    ]
    resolution = resolve(knowledge, "nlu_fallback", intent_ranking=ranking)
    assert [entry.id for entry in resolution.candidates] == ["scar_tissue", "when_surgery_failed"]


def test_unknown_intent_is_out_of_scope(knowledge):
    assert resolve(knowledge, "out_of_scope").out_of_scope


def test_knowledge_reply_carries_text_source_buttons_and_contract(knowledge, clinic):
    entry = knowledge["laser_surgery_procedure"]
    messages = knowledge_messages(entry, knowledge, clinic, REPLIES, channel="rest")
    assert "microscope" in messages[0]["text"] and "Source: Revision Spine Surgery" in messages[0]["text"]
    assert [b["payload"] for b in messages[1]["buttons"]] == [f"/{r}" for r in entry.related]
    contract = messages[-1]["json_message"]
    assert contract["kb_id"] == "laser_surgery_procedure"
    assert contract["title"] == entry.title
    assert contract["related"] == list(entry.related)
    assert contract["sources"][0]["file"] == "000_04c1906839aefdb1.txt"


def test_socketio_contract_is_shaped_to_arrive_as_custom(knowledge, clinic):
    entry = knowledge["idd_therapy"]
    rest = knowledge_messages(entry, knowledge, clinic, REPLIES, channel="rest")[-1]["json_message"]
    socket = knowledge_messages(entry, knowledge, clinic, REPLIES, channel="socketio")[-1]["json_message"]
    assert socket == {"data": {"custom": rest}}


def test_clarify_and_out_of_scope_contracts(knowledge, clinic):
    clarify = clarify_messages([knowledge["scar_tissue"], knowledge["costs"]], REPLIES, channel="rest")
    assert clarify[-1]["json_message"]["kb_id"] is None and clarify[-1]["json_message"]["type"] == "clarify"
    assert len(clarify[0]["buttons"]) == 2
    oos = out_of_scope_messages(clinic, REPLIES, channel="rest")
    assert oos[-1]["json_message"] == {"kb_id": None, "type": "out_of_scope"}
    assert "020 3369 8747" in oos[0]["text"] and "999" in oos[0]["text"]


@pytest.mark.parametrize(
    "text, entry_id, subject",
    [
        ("what does IDD cost?", "costs", "idd"),
        ("is laser surgery expensive", "costs", "laser_surgery"),
        ("physio fee", "costs", "physiotherapy"),
        ("I've been off work for months. How much does IDD therapy cost?", "costs", "return_to_work"),
        ("how much does it hurt afterwards?", "idd_therapy", "idd"),
    ],
)
def test_price_words_lead_to_prices_whatever_the_treatment(knowledge, text, entry_id, subject):
    """The prices entry, not the treatment's overview, for a question about what it costs; "how
    much does it hurt" is not about money."""
    start = answering.Resolution(entry=knowledge.for_intent("idd_therapy"))
    entities = [{"entity": "subject", "value": subject}]
    resolved = answering.apply_facet_cue(knowledge, start, default_replies().cued_facet(text), entities)
    assert resolved.entry is not None and resolved.entry.id == entry_id


@pytest.mark.parametrize(
    "text, start_id, subject, expected",
    [
        ("What is the disadvantage of pain injections?", "injections_overview", "injections", "injections_limitations"),
        ("what are the risks of laser surgery?", "laser_surgery_overview", "laser_surgery", None),  # not covered
        ("any risks with IDD?", "idd_therapy", "idd", "idd_therapy"),  # the entry says it is low-risk
    ],
)
def test_risk_words_lead_to_the_entry_on_downsides_or_an_honest_reply(knowledge, text, start_id, subject, expected):
    start = answering.Resolution(entry=knowledge[start_id])
    entities = [{"entity": "subject", "value": subject}]
    resolved = answering.apply_facet_cue(knowledge, start, default_replies().cued_facet(text), entities)
    assert (resolved.entry.id if resolved.entry else None) == expected
    assert expected is not None or resolved.not_covered


@pytest.mark.parametrize(
    "text, start, subject, expected",
    [
        # read as "does it work?" (a success question the documents don't answer): it asks how
        (
            "how does it actually work?",
            answering.Resolution(not_covered=True, subject="idd", facet="success"),
            "idd",
            "idd_therapy",
        ),
        ("the one with the shockwaves, how does that work", "clinic_therapies", "shockwave", None),  # not covered
        ("how is it done, the laser op?", "laser_surgery_overview", "laser_surgery", "laser_surgery_procedure"),
    ],
)
def test_how_does_it_work_leads_to_the_entry_saying_how_or_an_honest_reply(knowledge, text, start, subject, expected):
    start = start if isinstance(start, answering.Resolution) else answering.Resolution(entry=knowledge[start])
    entities = [{"entity": "subject", "value": subject}]
    resolved = answering.apply_facet_cue(knowledge, start, default_replies().cued_facet(text), entities)
    assert (resolved.entry.id if resolved.entry else None) == expected
    assert expected is not None or resolved.not_covered


@pytest.mark.parametrize(
    "text, facet",
    [
        ("what actually is it though", "overview"),
        ("so what is it?", "overview"),
        ("Remind me what it is again", "overview"),
        ("what is it like afterwards?", None),  # a longer question is not "what is it?"
        ("what is IDD", None),  # names its subject: the classifier's job
    ],
)
def test_a_bare_what_is_it_asks_for_the_overview(text, facet):
    assert default_replies().cued_facet(text) == facet


@pytest.mark.parametrize(
    "text, expected",
    [
        ("do they fix it", "injections_limitations"),
        ("so do they fix it then?", "injections_limitations"),
        ("do they fix my back pain for good or just mask it", "injections_overview"),  # the model's job
    ],
)
def test_do_they_fix_it_after_injections_asks_whether_they_work(knowledge, text, expected):
    """A bare "do they fix it?" after the injections overview asks about their success: their limits."""
    start = answering.Resolution(entry=knowledge["injections_overview"])
    entities = [{"entity": "subject", "value": "injections"}]
    resolved = answering.apply_facet_cue(knowledge, start, default_replies().cued_facet(text), entities)
    assert resolved.entry is not None and resolved.entry.id == expected


def test_what_is_it_after_a_price_answer_gives_the_treatment_overview(knowledge):
    """ "how much is IDD per session?" then "what actually is it though": the model read it as a
    success question, which the documents don't answer; the question asks what IDD is."""
    not_covered = answering.Resolution(not_covered=True, subject="idd", facet="success")
    resolved = answering.apply_facet_cue(knowledge, not_covered, default_replies().cued_facet("what actually is it?"))
    assert resolved.entry is not None and resolved.entry.id == "idd_therapy"
    wrong_sibling = answering.Resolution(entry=knowledge["laser_surgery_procedure"])
    resolved = answering.apply_facet_cue(knowledge, wrong_sibling, "overview")
    assert resolved.entry is not None and resolved.entry.id == "laser_surgery_overview"


@pytest.mark.parametrize(
    "text, subject_value, therapies_confidence, expected",
    [
        # asked whether the clinic offers it, the overview listing it is also seen: it answers
        ("Do you run pilates classes?", "pilates", 0.39, "clinic_therapies"),
        ("do u do acupuncture", "acupuncture", 0.2, "clinic_therapies"),
        # the model barely saw the overview: the honest reply stays
        ("do you do acupuncture", "acupuncture", 0.05, None),
        # a detail of the classes, not whether there are any: the documents are silent
        ("what days are the pilates classes", "pilates", 0.39, None),
        # IDD has an entry of its own; "not covered" about it is not replaced by another entry
        ("do you do IDD on saturdays", "idd", 0.39, None),
    ],
)
def test_whether_the_clinic_offers_a_therapy_is_answered_by_the_list_of_therapies(
    knowledge, text, subject_value, therapies_confidence, expected
):
    ranking = [
        {"name": "not_covered", "confidence": 0.44},
        {"name": "clinic_therapies", "confidence": therapies_confidence},
    ]
    not_covered = answering.Resolution(not_covered=True, subject=subject_value)
    resolution = answering.offered_subject_overview(
        knowledge, not_covered, default_replies().asks_whether_offered(text), subject(subject_value), ranking
    )
    assert (resolution.entry.id if resolution.entry else None) == expected
    if expected is None:
        assert resolution.not_covered


@pytest.mark.parametrize(
    "text, subject_value, expected_subject",
    [
        ("What is a laminotomy?", "laminotomy", "laminotomy"),
        ("wat is a foraminotomy in plain english", "foraminotomy", "foraminotomy"),
        ("What's shockwave therapy?", "shockwave", "shockwave"),
        # not asking what it is
        ("is a laminotomy painful", "laminotomy", None),
        # a subject the documents do explain
        ("what is IDD", "idd", None),
    ],
)
def test_asked_what_a_merely_named_treatment_is_the_bot_says_the_documents_do_not_explain_it(
    knowledge, text, subject_value, expected_subject
):
    start = answering.Resolution(entry=knowledge["revision_procedures"])
    resolution = answering.unexplained_subject_asked_about(
        knowledge, start, default_replies().asks_what_it_is(text), subject(subject_value)
    )
    if expected_subject is None:
        assert resolution is start
    else:
        assert resolution.not_covered and resolution.subject == expected_subject
        assert resolution.facet == answering.DEFINITION_FACET


def test_the_not_covered_reply_for_a_named_procedure_offers_the_entry_that_names_it(knowledge, clinic):
    resolution = answering.Resolution(not_covered=True, subject="laminotomy", facet=answering.DEFINITION_FACET)
    messages = answering.not_covered_messages(resolution, knowledge, clinic, default_replies(), None)
    assert "don't say what a laminotomy is" in messages[0]["text"]
    assert any(b.get("payload", "").find("revision_procedures") >= 0 for b in messages[1]["buttons"])
