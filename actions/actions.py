"""SpineBot's custom actions: thin adapters from Rasa trackers to `spinebot`.

All decisions live in `spinebot.answering` (tested without Rasa); these classes only read the
tracker, call it, and hand the messages to the dispatcher.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Callable, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from spinebot import answering, handoff
from spinebot.clinic import default_clinic_settings
from spinebot.knowledge import default_knowledge_base
from spinebot.storage import CallbackDetails, default_store

logger = logging.getLogger(__name__)


def _send(dispatcher: CollectingDispatcher, messages: List[Dict[str, Any]]) -> None:
    for message in messages:
        dispatcher.utter_message(**message)


def _channel(tracker: Tracker) -> Optional[str]:
    return tracker.get_latest_input_channel()


class ActionAnswer(Action):
    """Answer a knowledge question or a follow-up from the knowledge base (one action for all)."""

    def name(self) -> Text:
        return "action_answer"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        knowledge, clinic = default_knowledge_base(), default_clinic_settings()
        latest = tracker.latest_message or {}
        resolution = answering.resolve(
            knowledge,
            intent=(latest.get("intent") or {}).get("name"),
            entities=latest.get("entities") or [],
            current_subject=tracker.get_slot("subject"),
            last_kb_id=tracker.get_slot("last_kb_id"),
            intent_ranking=latest.get("intent_ranking") or [],
        )
        if resolution.entry is not None:
            entry = resolution.entry
            _send(dispatcher, answering.knowledge_messages(entry, knowledge, clinic, _channel(tracker)))
            return [SlotSet("subject", entry.subject), SlotSet("last_kb_id", entry.id)]
        if resolution.candidates:
            _send(dispatcher, answering.clarify_messages(resolution.candidates, _channel(tracker)))
            return []
        _send(dispatcher, answering.out_of_scope_messages(clinic, _channel(tracker)))
        return []


class ActionClarify(Action):
    """Low confidence: offer the likeliest entries as buttons, or say it is out of scope."""

    def name(self) -> Text:
        return "action_clarify"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        knowledge = default_knowledge_base()
        latest = tracker.latest_message or {}
        candidates = answering.clarify_candidates(knowledge, latest.get("intent_ranking") or [])
        if not (latest.get("text") or "").strip():
            _send(dispatcher, answering.empty_message_messages(_channel(tracker)))
        elif candidates:
            _send(dispatcher, answering.clarify_messages(candidates, _channel(tracker)))
        else:
            _send(dispatcher, answering.out_of_scope_messages(default_clinic_settings(), _channel(tracker)))
        return []


class ActionOutOfScope(Action):
    """Say kindly that the question is outside what SpineBot covers, and who can help."""

    def name(self) -> Text:
        return "action_out_of_scope"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        uncovered = answering.uncovered_words(tracker.latest_message)
        _send(dispatcher, answering.out_of_scope_messages(default_clinic_settings(), _channel(tracker), uncovered))
        return []


class ActionSafetyReply(Action):
    """Urgent symptoms or crisis language: the safety reply first, then the patient's own question.

    Marks the conversation for staff (`safety_flagged`, `safety_level`); the rules that fired are
    in the user message's `safety` parse data, stored in the tracker.
    """

    def name(self) -> Text:
        return "action_safety_reply"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        knowledge, clinic = default_knowledge_base(), default_clinic_settings()
        latest = tracker.latest_message or {}
        safety = latest.get("safety") or {"levels": [(latest.get("intent") or {}).get("name")], "firings": []}
        safety["levels"] = [level for level in safety.get("levels") or [] if level in knowledge]
        if not safety["levels"]:  # reached without a verdict: never leave an urgent message unanswered
            safety["levels"] = ["urgent_emergency"]
        _send(dispatcher, answering.safety_messages(safety, knowledge, clinic, _channel(tracker)))
        events: List[Dict[Text, Any]] = [SlotSet("safety_flagged", True), SlotSet("safety_level", safety["levels"][0])]
        also_asked = answering.buried_question(safety, knowledge)
        if also_asked is not None:
            dispatcher.utter_message(text="You also asked a question. Here is the general information:")
            _send(dispatcher, answering.knowledge_messages(also_asked, knowledge, clinic, _channel(tracker)))
            events += [SlotSet("subject", also_asked.subject), SlotSet("last_kb_id", also_asked.id)]
        return events


def _now() -> dt.datetime:
    """The real clock; tests give the actions a fixed one instead."""
    return dt.datetime.now(dt.timezone.utc)


class ActionHumanHandoff(Action):
    """Speak to someone or book: the booking answer with open, closed or unknown-hours wording,
    and the call-back offer (`booking` and `human_handoff` get this same reply)."""

    def __init__(self, clock: Callable[[], dt.datetime] = _now) -> None:
        self.clock = clock

    def name(self) -> Text:
        return "action_human_handoff"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        knowledge, clinic = default_knowledge_base(), default_clinic_settings()
        _send(dispatcher, answering.handoff_messages(knowledge["booking"], clinic, self.clock(), _channel(tracker)))
        return [SlotSet("subject", "clinic"), SlotSet("last_kb_id", "booking")]


class ActionOpeningHours(Action):
    """Opening hours only when the clinic has set them; otherwise say so honestly."""

    def __init__(self, clock: Callable[[], dt.datetime] = _now) -> None:
        self.clock = clock

    def name(self) -> Text:
        return "action_opening_hours"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        clinic = default_clinic_settings()
        text = f"{handoff.availability_sentence(clinic, self.clock())} {clinic.opening_hours_sentence()}"
        if not clinic.hours_known:
            text = f"{clinic.opening_hours_sentence()} The numbers are {clinic.phone_text}."
        dispatcher.utter_message(text=text, buttons=[{"title": "Request a call back", "payload": "/request_callback"}])
        return []


class ValidateCallbackForm(FormValidationAction):
    """Checks each call-back field as it is given; a bad value is re-asked with a clear reason."""

    def name(self) -> Text:
        return "validate_callback_form"

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: Dict[Text, Any]) -> List[Text]:
        # Without consent there is nothing to confirm: the form ends and nothing is stored.
        if tracker.get_slot("callback_consent") is False:
            return [slot for slot in domain_slots if slot != "callback_confirmed"]
        return domain_slots

    @staticmethod
    def _checked(slot: str, checked: handoff.Checked, dispatcher: CollectingDispatcher) -> Dict[Text, Any]:
        if checked.problem:
            dispatcher.utter_message(text=checked.problem)
        return {slot: checked.value}

    def validate_callback_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: Dict[Text, Any]) -> Dict[Text, Any]:
        return self._checked("callback_name", handoff.check_name(str(value or "")), dispatcher)

    def validate_callback_phone(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: Dict[Text, Any]) -> Dict[Text, Any]:
        return self._checked("callback_phone", handoff.check_uk_phone(str(value or "")), dispatcher)

    def validate_callback_time(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: Dict[Text, Any]) -> Dict[Text, Any]:
        return self._checked("callback_time", handoff.check_best_time(str(value or "")), dispatcher)

    def validate_callback_topic(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: Dict[Text, Any]) -> Dict[Text, Any]:
        return self._checked("callback_topic", handoff.check_topic(str(value or "")), dispatcher)

    def validate_callback_consent(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: Dict[Text, Any]) -> Dict[Text, Any]:
        return {"callback_consent": value if isinstance(value, bool) else None}

    def validate_callback_confirmed(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: Dict[Text, Any]) -> Dict[Text, Any]:
        if value is True:
            return {"callback_confirmed": True}
        entities = (tracker.latest_message or {}).get("entities") or []
        field = next((e.get("value") for e in entities if e.get("entity") == "field"), None)
        field = field if field in handoff.CALLBACK_FIELDS else handoff.field_to_change(str(value or ""))
        if field is None:
            dispatcher.utter_message(text="Please choose \"Yes, send it\", or tell me which detail to change.")
            return {"callback_confirmed": None}
        dispatcher.utter_message(text=f"OK, let's change your {handoff.FIELD_LABELS[field]}.")
        return {"callback_confirmed": None, field: None}


class ActionAskCallbackTopic(Action):
    def name(self) -> Text:
        return "action_ask_callback_topic"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(
            text="In a few words, what is it about? This is optional. Please don't include personal "
                 "medical details here: the team will ask on the phone.",
            buttons=[{"title": "Skip this question", "payload": "/deny"}])
        return []


class ActionAskCallbackConsent(Action):
    def name(self) -> Text:
        return "action_ask_callback_consent"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        clinic = default_clinic_settings()
        dispatcher.utter_message(text=handoff.consent_text(clinic, clinic.privacy_notice_url),
                                 buttons=[{"title": "Yes, I agree", "payload": "/affirm"},
                                          {"title": "No", "payload": "/deny"}])
        return []


class ActionAskCallbackConfirmed(Action):
    def name(self) -> Text:
        return "action_ask_callback_confirmed"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        text = handoff.summary_text(tracker.get_slot("callback_name") or "", tracker.get_slot("callback_phone") or "",
                                    tracker.get_slot("callback_time") or "", tracker.get_slot("callback_topic") or "")
        dispatcher.utter_message(text=text, buttons=handoff.change_buttons())
        return []


def _clear_callback_slots() -> List[Dict[Text, Any]]:
    return [SlotSet(slot, None) for slot in (*handoff.CALLBACK_FIELDS, "callback_consent", "callback_confirmed")]


class ActionSubmitCallback(Action):
    """Store the request (both kept if a patient submits twice); on a database error, apologise
    and give the numbers rather than lose the request silently."""

    def __init__(self, clock: Callable[[], dt.datetime] = _now, store_factory: Callable[[], Any] = None) -> None:
        self.clock = clock
        self.store_factory = store_factory or default_store

    def name(self) -> Text:
        return "action_submit_callback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        clinic = default_clinic_settings()
        if tracker.get_slot("callback_consent") is not True or tracker.get_slot("callback_confirmed") is not True:
            dispatcher.utter_message(text="I haven't stored your details. You can phone the clinic on "
                                          f"{clinic.phone_text}. Is there anything else I can help with?")
            return _clear_callback_slots()
        topic = tracker.get_slot("callback_topic")
        details = CallbackDetails(name=tracker.get_slot("callback_name"), phone=tracker.get_slot("callback_phone"),
                                  best_time=tracker.get_slot("callback_time"),
                                  topic=None if topic in (None, handoff.NO_TOPIC) else topic)
        try:
            self.store_factory().add_callback(tracker.sender_id, details)
        except Exception:  # any database failure: the patient must know, and have the numbers
            logger.exception("could not store a call-back request")
            dispatcher.utter_message(text="I'm sorry, something went wrong and I couldn't save your request. "
                                          f"Please phone the clinic on {clinic.phone_text}. In an emergency, call 999.")
            return _clear_callback_slots()
        dispatcher.utter_message(text=handoff.what_happens_next(clinic, self.clock(), details.best_time))
        return _clear_callback_slots()


class ActionCancelCallback(Action):
    def name(self) -> Text:
        return "action_cancel_callback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(text="OK, I've stopped and haven't saved anything. Is there anything else I can help with?")
        return _clear_callback_slots()


class ActionStoreFeedback(Action):
    """Whether an answer helped, per knowledge-base id, from the widget's buttons or typed."""

    def __init__(self, store_factory: Callable[[], Any] = None) -> None:
        self.store_factory = store_factory or default_store

    def name(self) -> Text:
        return "action_store_feedback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        latest = tracker.latest_message or {}
        helpful = (latest.get("intent") or {}).get("name") == "feedback_positive"
        kb_id = next((e.get("value") for e in latest.get("entities") or [] if e.get("entity") == "kb_id"), None)
        kb_id = kb_id or tracker.get_slot("last_kb_id")
        if kb_id not in default_knowledge_base():
            dispatcher.utter_message(text="Thank you. Which answer was that about? You can use the buttons under each answer.")
            return []
        try:
            self.store_factory().add_feedback(tracker.sender_id, kb_id, helpful)
        except Exception:
            logger.exception("could not store feedback")
            dispatcher.utter_message(text="Thank you. I'm sorry, I couldn't save your feedback just now.")
            return []
        if helpful:
            dispatcher.utter_message(text="Thank you for letting us know.")
        else:
            clinic = default_clinic_settings()
            dispatcher.utter_message(text="Thank you, and sorry that didn't help. You could try asking in a "
                                          f"different way, or phone the clinic on {clinic.phone_text}.")
        return []
