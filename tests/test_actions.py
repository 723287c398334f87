"""The custom actions, run as the action server runs them: on real rasa_sdk trackers."""

from __future__ import annotations

from typing import Any, Dict, Optional, Sequence

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import ActionAnswer, ActionClarify, ActionOutOfScope


def tracker(
    intent: str,
    text: str = "",
    slots: Optional[Dict[str, Any]] = None,
    entities: Sequence[Any] = (),
    ranking: Sequence[Any] = (),
    channel: str = "rest",
) -> Tracker:
    message = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9},
        "entities": list(entities),
        "intent_ranking": list(ranking) or [{"name": intent, "confidence": 0.9}],
    }
    events = [{"event": "user", "text": text, "parse_data": message, "input_channel": channel}]
    return Tracker("patient-1", slots or {}, message, events, False, None, {}, "action_listen")


def run(action, tr: Tracker):
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, tr, {})
    return dispatcher.messages, events


def contract(messages) -> Dict[str, Any]:
    customs = [m["custom"] for m in messages if m.get("custom")]
    assert len(customs) == 1, messages
    return customs[0]


def test_answer_sends_entry_and_sets_subject():
    messages, events = run(ActionAnswer(), tracker("laser_surgery_overview", "what is laser spine surgery"))
    assert contract(messages)["kb_id"] == "laser_surgery_overview"
    assert "small cut" in messages[0]["text"]
    assert {"event": "slot", "name": "subject", "value": "laser_surgery", "timestamp": None} in events


LISTEN_NEXT = {"event": "followup", "name": "action_listen", "timestamp": None}


def test_answers_say_that_the_patient_speaks_next_except_inside_a_form():
    """Spares the Rasa server a run of its policies per turn; a form must still choose its next step."""
    cases = [
        (ActionAnswer(), tracker("idd_therapy", "what is idd therapy")),
        (ActionClarify(), tracker("nlu_fallback", "hmm", ranking=[{"name": "idd_therapy", "confidence": 0.2}])),
        (ActionOutOfScope(), tracker("out_of_scope", "what's the weather like")),
    ]
    for action, tr in cases:
        _, events = run(action, tr)
        assert events[-1] == LISTEN_NEXT, (action.name(), events)
    in_form = tracker("idd_therapy", "what is idd therapy")
    in_form.active_loop = {"name": "callback_form"}
    _, events = run(ActionAnswer(), in_form)
    assert LISTEN_NEXT not in events


def test_followup_answers_against_the_subject_slot():
    tr = tracker(
        "followup_how_done",
        "how is it done?",
        slots={"subject": "laser_surgery", "last_kb_id": "laser_surgery_overview"},
    )
    messages, _ = run(ActionAnswer(), tr)
    assert contract(messages)["kb_id"] == "laser_surgery_procedure"


def test_downsides_of_injections():
    tr = tracker("followup_downsides", "what are the downsides?", slots={"subject": "injections"})
    messages, _ = run(ActionAnswer(), tr)
    assert contract(messages)["kb_id"] == "injections_limitations"


def test_socketio_channel_gets_the_data_shape():
    messages, _ = run(ActionAnswer(), tracker("idd_therapy", "idd?", channel="socketio"))
    customs = [m["custom"] for m in messages if m.get("custom")]
    assert customs[0] == {"data": {"custom": customs[0]["data"]["custom"]}}
    assert customs[0]["data"]["custom"]["kb_id"] == "idd_therapy"


def test_clarify_offers_buttons_from_the_ranking():
    ranking = [
        {"name": "nlu_fallback", "confidence": 1},
        {"name": "scar_tissue", "confidence": 0.25},
        {"name": "fbss_causes", "confidence": 0.2},
    ]
    messages, _ = run(ActionClarify(), tracker("nlu_fallback", "scar thing?", ranking=ranking))
    assert contract(messages) == {"kb_id": None, "type": "clarify", "options": ["scar_tissue", "fbss_causes"]}
    assert [b["payload"] for b in messages[0]["buttons"]] == ["/scar_tissue", "/fbss_causes"]


def test_clarify_with_nothing_likely_is_out_of_scope():
    ranking = [{"name": "nlu_fallback", "confidence": 1}, {"name": "greet", "confidence": 0.3}]
    messages, _ = run(ActionClarify(), tracker("nlu_fallback", "zzz", ranking=ranking))
    assert contract(messages)["type"] == "out_of_scope"


def test_out_of_scope_is_kind_and_offers_the_clinic():
    messages, _ = run(ActionOutOfScope(), tracker("out_of_scope", "best pizza in town?"))
    assert contract(messages) == {"kb_id": None, "type": "out_of_scope"}
    assert "Sorry" in messages[0]["text"] and "020 3369 8747" in messages[0]["text"]


def test_a_message_in_another_language_is_told_the_bot_reads_english():
    tr = tracker("out_of_scope", "Bonjour, je voudrais prendre rendez-vous pour mon dos")
    tr.latest_message["scope"] = {"other_language": True, "replaced_intent": "booking"}
    messages, _ = run(ActionOutOfScope(), tr)
    assert contract(messages) == {"kb_id": None, "type": "out_of_scope"}
    text = messages[0]["text"]
    assert "English" in text and "020 3369 8747" in text and "999" in text
    assert "I can only answer general questions" not in text


def test_safety_reply_comes_first_then_the_buried_question():
    from actions.answers import ActionSafetyReply

    safety = {
        "levels": ["urgent_emergency"],
        "firings": [{"rule": "cauda_equina_bladder", "level": "urgent_emergency"}],
        "replaced_intent": "idd_therapy",
        "replaced_confidence": 0.8,
    }
    tr = tracker("urgent_emergency", "how much is IDD, also I've wet myself")
    tr.latest_message["safety"] = safety
    messages, events = run(ActionSafetyReply(), tr)
    assert "999" in messages[0]["text"]
    customs = [m["custom"] for m in messages if m.get("custom")]
    assert customs[0]["kb_id"] == "urgent_emergency" and customs[0]["safety"]["rules"] == ["cauda_equina_bladder"]
    assert customs[1]["kb_id"] == "idd_therapy"
    assert {"event": "slot", "name": "safety_flagged", "value": True, "timestamp": None} in events


def test_crisis_reply_gives_samaritans_and_111():
    from actions.answers import ActionSafetyReply

    tr = tracker("crisis_support", "i want to die")
    tr.latest_message["safety"] = {"levels": ["crisis_support"], "firings": []}
    messages, _ = run(ActionSafetyReply(), tr)
    assert "116 123" in messages[0]["text"] and "111" in messages[0]["text"] and "999" in messages[0]["text"]


def test_out_of_scope_names_the_uncovered_condition():
    tr = tracker("out_of_scope", "what is scoliosis")
    tr.latest_message["scope"] = {"uncovered_words": ["scoliosis"]}
    messages, _ = run(ActionOutOfScope(), tr)
    assert messages[0]["text"].startswith("Sorry, I don't have information about scoliosis.")


def test_the_other_one_is_asked_back_with_what_the_last_answer_links_to():
    """'Tell me about the other one' names nothing: whatever the model read, the bot asks which."""
    from spinebot.knowledge import default_knowledge_base

    related = default_knowledge_base().entries["physiotherapy"].related
    for action, intent in ((ActionAnswer(), "rehab_importance"), (ActionClarify(), "nlu_fallback")):
        tr = tracker(
            intent, "tell me abut the other one", slots={"subject": "physiotherapy", "last_kb_id": "physiotherapy"}
        )
        messages, events = run(action, tr)
        offered = [button["payload"] for message in messages for button in message.get("buttons") or []]
        assert offered and all(any(entry_id in payload for entry_id in related) for payload in offered), messages
        assert not any(event.get("name") == "last_kb_id" for event in events)
    # naming it, or with nothing said before, the message is answered as usual
    named = tracker(
        "idd_therapy",
        "the other one, the IDD",
        slots={"last_kb_id": "physiotherapy"},
        entities=[{"entity": "subject", "value": "idd_therapy"}],
    )
    assert contract(run(ActionAnswer(), named)[0])["kb_id"] == "idd_therapy"
    first = tracker("idd_therapy", "what about the other one")
    assert contract(run(ActionAnswer(), first)[0])["kb_id"] == "idd_therapy"


def test_a_bare_why_after_an_answer_is_asked_back_but_a_why_question_is_answered():
    slots = {"subject": "laser_surgery", "last_kb_id": "laser_surgery_overview"}
    messages, _ = run(ActionAnswer(), tracker("fbss_causes", "why?", slots=slots))
    assert any(message.get("buttons") for message in messages), messages
    messages, _ = run(ActionAnswer(), tracker("fbss_causes", "why would that happen?", slots=slots))
    assert contract(messages)["kb_id"] == "fbss_causes"


def test_unsure_but_settled_by_its_own_wording_is_answered_instead_of_asked_back():
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.3},
        {"name": "not_covered", "confidence": 0.44},
        {"name": "clinic_therapies", "confidence": 0.39},
    ]
    pilates = [{"entity": "subject", "value": "pilates"}]
    messages, _ = run(
        ActionClarify(), tracker("nlu_fallback", "Do you run pilates classes?", entities=pilates, ranking=ranking)
    )
    assert contract(messages)["kb_id"] == "clinic_therapies"
    laminotomy = [{"entity": "subject", "value": "laminotomy"}]
    messages, _ = run(
        ActionClarify(), tracker("nlu_fallback", "what is a laminotomy", entities=laminotomy, ranking=ranking)
    )
    assert contract(messages)["type"] == "not_covered" and contract(messages)["subject"] == "laminotomy"
    # nothing in the wording asks whether it is offered: the list of therapies is not given for it
    messages, _ = run(ActionClarify(), tracker("nlu_fallback", "pilates thing?", entities=pilates, ranking=ranking))
    assert contract(messages)["kb_id"] is None
    # a facet of it ("outcome data" is evidence) is not a question whether it is offered
    shockwave = [{"entity": "subject", "value": "shockwave"}]
    text = "Do you have any outcome data for shockwave?"
    messages, _ = run(ActionClarify(), tracker("nlu_fallback", text, entities=shockwave, ranking=ranking))
    assert contract(messages)["kb_id"] is None
