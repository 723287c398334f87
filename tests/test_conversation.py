"""Replies built around the knowledge base: the documents' silences, personal questions,
"that's not what I asked", and names in the call-back form that look like commands."""

from __future__ import annotations

from pathlib import Path
from typing import List

import pytest

from spinebot import answering, paths
from spinebot.handoff import default_stop_requests
from spinebot.replies import RepliesError, default_replies, load_replies, phone_numbers_text

NAMES_FILE = paths.PROJECT_ROOT / "tests" / "data" / "callback_names.txt"


def callback_names() -> List[str]:
    lines = NAMES_FILE.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_the_names_list_is_big_and_has_look_alikes():
    names = callback_names()
    look_alikes = [
        n for n in names if any(w in n.lower() for w in ("stop", "quit", "end", "cancel", "abort", "never", "mind"))
    ]
    assert len(names) >= 100 and len(look_alikes) >= 25


@pytest.mark.parametrize("name", callback_names())
def test_a_name_is_never_a_stop_request(name):
    assert not default_stop_requests().is_stop_request(name)


@pytest.mark.parametrize(
    "text",
    [
        "stop",
        "Cancel",
        "never mind",
        "no, stop please",
        "forget it thanks",
        "I don't want a call back anymore",
        "oh never mind then",
        "quit",
        "abort",
    ],
)
def test_clear_stop_requests_are_recognised(text):
    assert default_stop_requests().is_stop_request(text)


def test_no_name_is_understood_as_cancel(parse):
    """Through the trained pipeline: inside the form, only `cancel` ends it."""
    cancelled = [name for name in callback_names() if parse(name)["intent"]["name"] == "cancel"]
    assert cancelled == []
    assert parse("never mind")["intent"]["name"] == "cancel"


def test_silent_facet_of_a_known_subject_is_declined_by_name(knowledge, clinic):
    resolution = answering.resolve(knowledge, "followup_painful", current_subject="laser_surgery")
    assert resolution.not_covered and (resolution.subject, resolution.facet) == ("laser_surgery", "painful")
    messages = answering.not_covered_messages(resolution, knowledge, clinic, default_replies(), "rest")
    assert "don't say whether laser spine surgery is painful" in messages[0]["text"]
    assert phone_numbers_text(clinic, default_replies()) in messages[0]["text"] and "999" in messages[0]["text"]
    titles = [button["title"] for button in messages[1]["buttons"]]
    assert knowledge["laser_surgery_overview"].title in titles and "Request a call back" in titles
    assert messages[-1]["json_message"] == {
        "kb_id": None,
        "type": "not_covered",
        "subject": "laser_surgery",
        "facet": "painful",
    }


def test_laser_and_revision_risks_are_not_answered_with_disc_recurrence(knowledge):
    """The sources give no risks for laser or revision surgery: the honest reply, not the nearest entry."""
    for subject in ("laser_surgery", "revision_surgery"):
        resolution = answering.resolve(knowledge, "followup_downsides", current_subject=subject)
        assert resolution.entry is None and resolution.not_covered


def test_a_facet_the_knowledge_base_answers_is_answered(knowledge):
    assert answering.resolve(knowledge, "followup_suitability", current_subject="idd").entry.id == "idd_therapy"


def test_not_covered_without_subject_is_general(knowledge, clinic):
    resolution = answering.resolve(knowledge, "not_covered")
    messages = answering.not_covered_messages(resolution, knowledge, clinic, default_replies(), "rest")
    assert "isn't covered by the clinic's documents" in messages[0]["text"]
    assert [b["title"] for b in messages[1]["buttons"]] == ["Request a call back"]


def test_topic_switch_by_naming_another_subject(knowledge):
    resolution = answering.resolve(
        knowledge,
        "followup_more",
        entities=[{"entity": "subject", "value": "idd"}],
        current_subject="laser_surgery",
        last_kb_id="laser_surgery_overview",
    )
    assert resolution.entry.id == "idd_therapy"


def test_personal_question_gets_general_entry_with_reminder(knowledge, clinic):
    ranking = [{"name": "personal_advice", "confidence": 0.55}, {"name": "when_surgery_failed", "confidence": 0.3}]
    resolution = answering.resolve(knowledge, "personal_advice", intent_ranking=ranking)
    assert resolution.personal and resolution.entry.id == "when_surgery_failed"
    messages = answering.knowledge_messages(
        resolution.entry, knowledge, clinic, default_replies(), "rest", personal=True
    )
    assert "only your own doctor" in messages[0]["text"] and "3 months" in messages[1]["text"]
    assert messages[-1]["json_message"]["personal"] is True


def test_personal_question_with_nothing_general_gets_the_personal_reply(knowledge):
    ranking = [
        {"name": "personal_advice", "confidence": 0.8},
        {"name": "costs", "confidence": 0.1},
        {"name": "idd_therapy", "confidence": 0.05},
    ]
    assert answering.resolve(knowledge, "personal_advice", intent_ranking=ranking).entry.id == "personal_advice"


def test_not_what_i_asked_offers_the_other_guesses(knowledge, clinic):
    candidates = [knowledge["idd_therapy"], knowledge["physiotherapy"]]
    messages = answering.not_what_i_asked_messages(candidates, clinic, default_replies(), "rest")
    assert [b["payload"] for b in messages[0]["buttons"]] == ["/idd_therapy", "/physiotherapy"]
    assert messages[-1]["json_message"]["type"] == "clarify"


def test_previous_user_message_is_the_one_before_the_latest():
    events = [
        {"event": "user", "parse_data": {"text": "q1"}},
        {"event": "bot"},
        {"event": "user", "parse_data": {"text": "that's not what I asked"}},
    ]
    assert answering.previous_user_message(events) == {"text": "q1"}
    assert answering.previous_user_message(events[:1]) == {}


def test_replies_file_errors_name_the_field(tmp_path: Path):
    (tmp_path / "conversation").mkdir()
    (tmp_path / "conversation" / "replies.yml").write_text(
        "facets: {painful: {asks: 'whether {subject} hurts'}}\nnot_covered: {facet: x, general: y, who_can_help: z}\n"
    )
    with pytest.raises(RepliesError, match="not_covered.offer"):
        load_replies(tmp_path)


def test_unsure_follow_up_is_read_in_the_conversation_subject(knowledge):
    ranking = [{"name": "followup_recovery", "confidence": 0.2}, {"name": "idd_therapy", "confidence": 0.15}]
    resolution = answering.contextual_resolution(knowledge, ranking, "revision_surgery", "revision_surgery_overview")
    assert resolution.entry.id == "rehab_after_revision"
    same_subject = [{"name": "fbss_causes", "confidence": 0.2}, {"name": "injections_limitations", "confidence": 0.18}]
    assert answering.contextual_resolution(knowledge, same_subject, "injections").entry.id == "injections_limitations"


def test_context_never_replaces_a_not_covered_reading_with_the_nearest_entry(knowledge):
    ranking = [{"name": "not_covered", "confidence": 0.6}, {"name": "injections_overview", "confidence": 0.2}]
    assert (
        answering.contextual_resolution(
            knowledge, ranking, "injections", min_entry_confidence=answering.MIN_ENTRY_OVER_NOT_COVERED
        )
        is None
    )
    assert answering.contextual_resolution(knowledge, ranking, None) is None


def test_short_follow_up_is_reweighed_towards_the_conversation_subject(knowledge):
    ranking = [
        {"name": "injections_overview", "confidence": 0.4},
        {"name": "fbss_causes", "confidence": 0.35},
        {"name": "injections_limitations", "confidence": 0.25},
    ]
    reranked = answering.rerank_in_context(knowledge, ranking, "injections", "injections_overview", "do they fix it")
    assert [item["name"] for item in reranked][:2] == ["injections_overview", "injections_limitations"]
    assert abs(sum(item["confidence"] for item in reranked) - 1.0) < 1e-9


def test_reweighing_leaves_sure_long_or_subject_naming_messages_alone(knowledge):
    sure = [{"name": "fbss_causes", "confidence": 0.9}, {"name": "injections_limitations", "confidence": 0.1}]
    assert answering.rerank_in_context(knowledge, sure, "injections", None, "why")[0]["name"] == "fbss_causes"
    unsure = [{"name": "fbss_causes", "confidence": 0.5}, {"name": "injections_limitations", "confidence": 0.4}]
    long_text = "word " * 20
    assert answering.rerank_in_context(knowledge, unsure, "injections", None, long_text)[0]["name"] == "fbss_causes"
    named = [{"entity": "subject", "value": "fbss"}]
    assert answering.rerank_in_context(knowledge, unsure, "injections", None, "why", named)[0]["name"] == "fbss_causes"
    assert (
        answering.rerank_in_context(knowledge, unsure, "injections", None, "why")[0]["name"] == "injections_limitations"
    )


@pytest.mark.parametrize(
    "text, intent, expected",
    [
        ("What is the success rate of IDD therapy?", "idd_therapy", ("not_covered", "idd", "success")),
        (
            "what are the side effects of steroid injections",
            "injections_limitations",
            ("not_covered", "injections", "side_effects"),
        ),
        ("how successful is back surgery", "surgery_success_rates", ("entry", "surgery_success_rates", None)),
        (
            "i read the disc op works 90 per cent of the time",
            "recurrence_after_surgery",
            ("entry", "surgery_success_rates", None),
        ),
        (
            "is laser surgery done under general anaesthetic",
            "laser_surgery_procedure",
            ("not_covered", "laser_surgery", "anaesthesia"),
        ),
        ("how is laser surgery done", "laser_surgery_procedure", ("entry", "laser_surgery_procedure", None)),
    ],
)
def test_a_facet_named_in_the_question_holds_the_answer_to_it(knowledge, text, intent, expected):
    facet = default_replies().cued_facet(text)
    resolution = answering.apply_facet_cue(knowledge, answering.resolve(knowledge, intent), facet)
    if expected[0] == "entry":
        assert resolution.entry is not None and resolution.entry.id == expected[1]
    else:
        assert resolution.not_covered and (resolution.subject, resolution.facet) == expected[1:]


def test_a_not_covered_reading_still_gets_the_facet_the_knowledge_base_answers(knowledge):
    resolution = answering.Resolution(not_covered=True)
    subject = [{"entity": "subject", "value": "back_surgery"}]
    assert answering.apply_facet_cue(knowledge, resolution, "success", subject).entry.id == "surgery_success_rates"
    assert answering.apply_facet_cue(knowledge, resolution, "side_effects", subject) is resolution


def test_a_personal_question_about_a_silent_facet_is_declined_honestly(knowledge):
    personal = answering.Resolution(entry=knowledge["injections_overview"], personal=True)
    resolution = answering.apply_facet_cue(knowledge, personal, "side_effects")
    assert resolution.not_covered and resolution.facet == "side_effects"


def test_context_never_turns_a_not_covered_reading_into_an_answer(knowledge):
    """The issue's first example: "how long is the waiting list?" mid-conversation."""
    ranking = [{"name": "not_covered", "confidence": 0.45}, {"name": "fbss_symptoms", "confidence": 0.3}]
    reranked = answering.rerank_in_context(
        knowledge, ranking, "fbss", "when_surgery_failed", "how long is the waiting list?"
    )
    assert reranked[0]["name"] == "not_covered"


def test_the_entry_just_given_is_repeated_only_when_clearly_read(knowledge):
    """'can it cause nerve pain?' after the symptoms answer, which names nerve pain: the same
    answer again; a faint reading of it (a question the entry does not answer) is not enough."""
    clear = [{"name": "nlu_fallback", "confidence": 0.3}, {"name": "fbss_symptoms", "confidence": 0.26}]
    resolution = answering.contextual_resolution(knowledge, clear, "fbss", "fbss_symptoms")
    assert resolution is not None and resolution.entry.id == "fbss_symptoms"
    faint = [{"name": "nlu_fallback", "confidence": 0.3}, {"name": "fbss_symptoms", "confidence": 0.2}]
    assert answering.contextual_resolution(knowledge, faint, "fbss", "fbss_symptoms") is None
    assert answering.contextual_resolution(knowledge, faint, "fbss", "fbss_causes").entry.id == "fbss_symptoms"


@pytest.mark.parametrize(
    "entry_id, named, current, expected",
    [
        ("costs", "idd", "clinic", "idd"),  # "how much is IDD per session?"
        ("costs", None, "laser_surgery", "laser_surgery"),  # "how much is it?" about laser surgery
        ("booking", None, "clinic", "clinic"),  # nothing else under discussion
        ("clinic_contact", None, None, "clinic"),
        ("idd_therapy", None, "laser_surgery", "idd"),  # a treatment's own answer makes it current
    ],
)
def test_a_service_answer_keeps_the_treatment_under_discussion(knowledge, entry_id, named, current, expected):
    entities = [{"entity": "subject", "value": named}] if named else []
    assert answering.subject_after_answer(knowledge, knowledge[entry_id], entities, current) == expected


def test_an_unsure_out_of_scope_mid_conversation_is_not_covered_for_the_subject(knowledge):
    """ "how big is the cut?" while talking about laser surgery: the documents don't say, which is
    not the same as "I can't help with that"; a message the scope guard marked stays out of scope."""
    unsure = {
        "text": "how big is the cut",
        "intent_ranking": [
            {"name": "out_of_scope", "confidence": 0.35},
            {"name": "followup_how_done", "confidence": 0.1},
        ],
    }
    resolution = answering.out_of_scope_in_context(knowledge, unsure, "laser_surgery")
    assert resolution is not None and resolution.not_covered and resolution.subject == "laser_surgery"
    assert answering.out_of_scope_in_context(knowledge, unsure, None) is None
    sure = dict(unsure, intent_ranking=[{"name": "out_of_scope", "confidence": 0.9}])
    assert answering.out_of_scope_in_context(knowledge, sure, "laser_surgery") is None
    guarded = dict(unsure, scope={"foreign_words": ["asthma"], "replaced_intent": "idd_therapy"})
    assert answering.out_of_scope_in_context(knowledge, guarded, "laser_surgery") is None


def test_an_unsure_tell_me_more_asks_instead_of_moving_on(knowledge):
    """ "what can be done about it now?" read 0.33 as "tell me more": moving to the next entry would
    be a guess, so the likeliest entries are offered instead; a clear "tell me more" moves on."""
    unsure = [
        {"name": "followup_more", "confidence": 0.33},
        {"name": "fbss_treatment_options", "confidence": 0.25},
    ]
    resolution = answering.resolve(knowledge, "followup_more", [], "back_surgery", "recurrence_after_surgery", unsure)
    assert resolution.entry is None and [e.id for e in resolution.candidates] == ["fbss_treatment_options"]
    clear = [{"name": "followup_more", "confidence": 0.8}]
    resolution = answering.resolve(knowledge, "followup_more", [], "back_surgery", "recurrence_after_surgery", clear)
    assert resolution.entry is not None and resolution.entry.id == knowledge["recurrence_after_surgery"].related[0]


def test_an_unsure_message_read_as_not_covered_gets_the_honest_reply(knowledge):
    """ "how long does the relief from an injection last?": the likeliest reading is that the
    documents do not say, so the nearest entry on injections must not answer it instead."""
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.3},
        {"name": "not_covered", "confidence": 0.24},
        {"name": "injections_overview", "confidence": 0.19},
    ]
    entities = [{"entity": "subject", "value": "injections"}]
    resolution = answering.unsure_reading_in_context(knowledge, ranking, None, None, entities)
    assert resolution is not None and resolution.not_covered and resolution.subject == "injections"
    # an entry on the subject more likely than "not covered" still answers
    ranking[1], ranking[2] = dict(ranking[2], confidence=0.24), dict(ranking[1], confidence=0.19)
    resolution = answering.unsure_reading_in_context(knowledge, ranking, None, None, entities)
    assert resolution is not None and resolution.entry is not None and resolution.entry.id == "injections_overview"


def test_an_unsure_answer_still_holds_to_the_facet_asked(knowledge):
    """ "what side effects come from the injection?" read unsurely as the injections overview: the
    overview names no side effect, so the honest reply is that the documents do not say."""
    start = answering.Resolution(entry=knowledge["injections_overview"])
    entities = [{"entity": "subject", "value": "injections"}]
    facet = default_replies().cued_facet("What side effects come from the steroid injection in back?")
    resolved = answering.apply_facet_cue(knowledge, start, facet, entities)
    assert resolved.not_covered and resolved.subject == "injections"
