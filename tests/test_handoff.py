"""Talking to a person and the call-back request: wording with an injected clock, field checks,
and the actions run on real rasa_sdk trackers against a real SQLite database."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.feedback import ActionStoreFeedback
from actions.handover import ActionHumanHandoff, ActionSubmitCallback
from spinebot import handoff
from spinebot.clinic import load_clinic_settings
from spinebot.replies import default_replies
from spinebot.storage import Store

LONDON = ZoneInfo("Europe/London")
MONDAY_MORNING = dt.datetime(2026, 11, 23, 10, 30, tzinfo=LONDON)
SATURDAY_NIGHT = dt.datetime(2026, 11, 28, 23, 0, tzinfo=LONDON)
REPLIES = default_replies()


@pytest.fixture
def clinic_with_hours(tmp_path):
    path = tmp_path / "clinic.yml"
    path.write_text(
        "name: Test Clinic\naddress: 1 Test St\nphone_numbers: ['020 3369 8747']\n"
        "opening_hours:\n  monday: '09:00-17:00'\n  tuesday: '09:00-17:00'\n"
    )
    return load_clinic_settings(path)


@pytest.mark.parametrize(
    "text, e164",
    [
        ("07912 345678", "+447912345678"),
        ("+44 7912 345678", "+447912345678"),
        ("0044 20 7946 0123", "+442079460123"),
        (" 07912-345-678 ", "+447912345678"),
    ],
)
def test_uk_numbers_are_normalised(text, e164):
    assert handoff.check_uk_phone(text, REPLIES).value == e164


@pytest.mark.parametrize("text", ["12345", "", "call me", "+33 1 42 68 53 00", "07912 34567"])
def test_bad_numbers_are_reprompted_clearly(text):
    checked = handoff.check_uk_phone(text, REPLIES)
    assert checked.value is None and "UK phone number" in checked.problem


def test_names_and_topics():
    assert handoff.check_name("  Jane   Smith ", REPLIES).value == "Jane Smith"
    assert handoff.check_name("what is IDD therapy?", REPLIES).problem
    assert handoff.check_topic("skip", REPLIES).value == handoff.NO_TOPIC
    assert handoff.check_topic("x" * 400, REPLIES).problem
    assert handoff.field_to_change("can I change my number") == "callback_phone"


def test_wording_in_hours_out_of_hours_and_unknown(clinic_with_hours):
    assert handoff.availability_sentence(clinic_with_hours, MONDAY_MORNING, REPLIES) == "The clinic is open now."
    closed = handoff.availability_sentence(clinic_with_hours, SATURDAY_NIGHT, REPLIES)
    assert closed == "The clinic is closed now. It opens again on Monday 30 November at 09:00."
    shipped = load_clinic_settings()  # hours not in the sources: never "open" or "closed"
    unknown = handoff.availability_sentence(shipped, MONDAY_MORNING, REPLIES)
    assert "open now" not in unknown and "closed" not in unknown and "don't have" in unknown


def test_handoff_out_of_hours_offers_a_call_back(clinic_with_hours):
    text = handoff.handoff_text(clinic_with_hours, SATURDAY_NIGHT, REPLIES)
    assert "closed now" in text and "call-back request" in text
    text = handoff.handoff_text(clinic_with_hours, MONDAY_MORNING, REPLIES)
    assert "open now" in text and "020 3369 8747" in text


def test_what_happens_next_says_roughly_when(clinic_with_hours):
    assert "once the clinic opens (on Monday 30 November at 09:00)" in handoff.what_happens_next(
        clinic_with_hours, SATURDAY_NIGHT, "morning", REPLIES
    )
    assert "while the clinic is open" in handoff.what_happens_next(
        clinic_with_hours, MONDAY_MORNING, "morning", REPLIES
    )


def tracker(intent: str, slots=None, entities=()) -> Tracker:
    message = {"text": "", "intent": {"name": intent, "confidence": 1.0}, "entities": list(entities)}
    return Tracker("patient-7", slots or {}, message, [], False, None, {}, "action_listen")


def run(action, tr):
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, tr, {})
    return dispatcher.messages, events


FILLED = {
    "callback_name": "Jane Smith",
    "callback_phone": "+447912345678",
    "callback_time": "afternoon",
    "callback_topic": "-",
    "callback_consent": True,
    "callback_confirmed": True,
}


def test_handoff_action_uses_the_injected_clock():
    messages, _ = run(ActionHumanHandoff(clock=lambda: MONDAY_MORNING), tracker("human_handoff"))
    assert messages[0]["buttons"][0]["payload"] == "/request_callback"


def test_submit_stores_the_request(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    messages, events = run(
        ActionSubmitCallback(clock=lambda: MONDAY_MORNING, store_factory=lambda: store), tracker("affirm", FILLED)
    )
    saved = store.callbacks(sender_id="patient-7")
    assert len(saved) == 1 and saved[0].topic is None and saved[0].best_time == "afternoon"
    assert "request is saved" in messages[0]["text"]
    assert all(event["value"] is None for event in events)  # the form's slots are cleared


def test_submit_without_consent_stores_nothing(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    messages, _ = run(
        ActionSubmitCallback(store_factory=lambda: store), tracker("deny", dict(FILLED, callback_consent=False))
    )
    assert store.callbacks() == [] and "haven't stored" in messages[0]["text"]


def test_database_failure_apologises_and_gives_the_numbers(tmp_path):
    broken = tmp_path / "no-such-folder" / "db.sqlite"  # SQLite cannot create it: a real failure
    messages, _ = run(
        ActionSubmitCallback(store_factory=lambda: Store(f"sqlite:///{broken}")), tracker("affirm", FILLED)
    )
    assert "sorry" in messages[0]["text"].lower() and "020 3369 8747" in messages[0]["text"]


def test_feedback_from_widget_payload_and_typed(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    action = ActionStoreFeedback(store_factory=lambda: store)
    run(action, tracker("feedback_positive", entities=[{"entity": "kb_id", "value": "idd_therapy"}]))
    run(action, tracker("feedback_negative", slots={"last_kb_id": "costs"}))
    assert [(f.kb_id, f.helpful) for f in store.feedback()] == [("idd_therapy", True), ("costs", False)]


def test_consent_asks_explicitly_and_links_to_the_privacy_notice():
    clinic = load_clinic_settings()
    text = handoff.consent_text(clinic, REPLIES, clinic.privacy_notice_url)
    assert text.startswith("Last step: may") and text.rstrip().endswith(clinic.privacy_notice_url)
    assert clinic.privacy_notice_url.startswith("http")
