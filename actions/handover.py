"""Talking to a person: open/closed wording and the call-back request form."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Callable, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import channel, now, send
from spinebot import answering, handoff
from spinebot.clinic import default_clinic_settings
from spinebot.knowledge import default_knowledge_base
from spinebot.notifications import notify_callback_request
from spinebot.replies import default_replies, fill, opening_hours_sentence
from spinebot.storage import CallbackDetails, default_store

logger = logging.getLogger(__name__)


class ActionHumanHandoff(Action):
    """Speak to someone or book: the booking answer with open, closed or unknown-hours wording,
    and the call-back offer (`booking` and `human_handoff` get this same reply)."""

    def __init__(self, clock: Callable[[], dt.datetime] = now) -> None:
        self.clock = clock

    def name(self) -> Text:
        return "action_human_handoff"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        knowledge, clinic = default_knowledge_base(), default_clinic_settings()
        send(
            dispatcher,
            answering.handoff_messages(knowledge["booking"], clinic, default_replies(), self.clock(), channel(tracker)),
        )
        return [SlotSet("subject", "clinic"), SlotSet("last_kb_id", "booking")]


class ActionOpeningHours(Action):
    """Opening hours only when the clinic has set them; otherwise say so honestly."""

    def __init__(self, clock: Callable[[], dt.datetime] = now) -> None:
        self.clock = clock

    def name(self) -> Text:
        return "action_opening_hours"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        clinic, replies = default_clinic_settings(), default_replies()
        hours = opening_hours_sentence(clinic, replies)
        text = f"{handoff.availability_sentence(clinic, self.clock(), replies)} {hours}"
        if not clinic.hours_known:
            text = f"{hours} {answering.fill_clinic(replies.handoff['numbers'], clinic, replies)}"
        dispatcher.utter_message(text=text, buttons=[answering.callback_button(replies)])
        send(dispatcher, [answering.custom_message({"kb_id": None, "type": "opening_hours"}, channel(tracker))])
        return []


class ValidateCallbackForm(FormValidationAction):
    """Checks each call-back field as it is given; a bad value is re-asked with a clear reason."""

    def name(self) -> Text:
        return "validate_callback_form"

    async def required_slots(
        self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Text]:
        # Without consent there is nothing to confirm: the form ends and nothing is stored.
        if tracker.get_slot("callback_consent") is False:
            return [slot for slot in domain_slots if slot != "callback_confirmed"]
        return domain_slots

    @staticmethod
    def _checked(slot: str, checked: handoff.Checked, dispatcher: CollectingDispatcher) -> Dict[Text, Any]:
        if checked.problem:
            dispatcher.utter_message(text=checked.problem)
        return {slot: checked.value}

    def validate_callback_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> Dict[Text, Any]:
        return self._checked("callback_name", handoff.check_name(str(value or ""), default_replies()), dispatcher)

    def validate_callback_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> Dict[Text, Any]:
        return self._checked(
            "callback_phone",
            handoff.check_uk_phone(str(value or ""), default_replies(), default_clinic_settings().phone_region),
            dispatcher,
        )

    def validate_callback_time(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> Dict[Text, Any]:
        return self._checked("callback_time", handoff.check_best_time(str(value or ""), default_replies()), dispatcher)

    def validate_callback_topic(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> Dict[Text, Any]:
        return self._checked("callback_topic", handoff.check_topic(str(value or ""), default_replies()), dispatcher)

    def validate_callback_consent(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> Dict[Text, Any]:
        return {"callback_consent": value if isinstance(value, bool) else None}

    def validate_callback_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> Dict[Text, Any]:
        if value is True:
            return {"callback_confirmed": True}
        entities = (tracker.latest_message or {}).get("entities") or []
        field = next((e.get("value") for e in entities if e.get("entity") == "field"), None)
        field = field if field in handoff.CALLBACK_FIELDS else handoff.field_to_change(str(value or ""))
        replies = default_replies()
        if field is None:
            dispatcher.utter_message(text=replies.callback["choose_or_change"])
            return {"callback_confirmed": None}
        label = handoff.field_label(field, replies)
        dispatcher.utter_message(text=fill(replies.callback["change_field"], {"field": label}))
        return {"callback_confirmed": None, field: None}


class ActionAskCallbackTopic(Action):
    def name(self) -> Text:
        return "action_ask_callback_topic"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        replies = default_replies()
        dispatcher.utter_message(
            text=replies.callback["ask_topic"], buttons=[{"title": replies.buttons["skip_topic"], "payload": "/deny"}]
        )
        return []


class ActionAskCallbackConsent(Action):
    def name(self) -> Text:
        return "action_ask_callback_consent"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        clinic, replies = default_clinic_settings(), default_replies()
        dispatcher.utter_message(
            text=handoff.consent_text(clinic, replies, clinic.privacy_notice_url),
            buttons=[
                {"title": replies.buttons["consent_yes"], "payload": "/affirm"},
                {"title": replies.buttons["consent_no"], "payload": "/deny"},
            ],
        )
        return []


class ActionAskCallbackConfirmed(Action):
    def name(self) -> Text:
        return "action_ask_callback_confirmed"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        replies = default_replies()
        text = handoff.summary_text(
            tracker.get_slot("callback_name") or "",
            tracker.get_slot("callback_phone") or "",
            tracker.get_slot("callback_time") or "",
            tracker.get_slot("callback_topic") or "",
            replies,
        )
        dispatcher.utter_message(text=text, buttons=handoff.change_buttons(replies))
        return []


def _clear_callback_slots() -> List[Dict[Text, Any]]:
    return [SlotSet(slot, None) for slot in (*handoff.CALLBACK_FIELDS, "callback_consent", "callback_confirmed")]


def _discard_callback() -> List[Dict[Text, Any]]:
    """Nothing saved: the slots are cleared and the tracker store removes what was typed into the form."""
    return [*_clear_callback_slots(), SlotSet(handoff.CALLBACK_DISCARDED_SLOT, True)]


class ActionSubmitCallback(Action):
    """Store the request (both kept if a patient submits twice); on a database error, apologise
    and give the numbers rather than lose the request silently."""

    def __init__(
        self, clock: Callable[[], dt.datetime] = now, store_factory: Optional[Callable[[], Any]] = None
    ) -> None:
        self.clock = clock
        self.store_factory = store_factory or default_store

    def name(self) -> Text:
        return "action_submit_callback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        clinic, replies = default_clinic_settings(), default_replies()
        if tracker.get_slot("callback_consent") is not True or tracker.get_slot("callback_confirmed") is not True:
            dispatcher.utter_message(text=answering.fill_clinic(replies.callback["not_stored"], clinic))
            return _discard_callback()
        topic = tracker.get_slot("callback_topic")
        details = CallbackDetails(
            name=tracker.get_slot("callback_name"),
            phone=tracker.get_slot("callback_phone"),
            best_time=tracker.get_slot("callback_time"),
            topic=None if topic in (None, handoff.NO_TOPIC) else topic,
        )
        try:
            self.store_factory().add_callback(tracker.sender_id, details)
        except Exception:  # any database failure: the patient must know, and have the numbers
            logger.exception("could not store a call-back request")
            dispatcher.utter_message(text=answering.fill_clinic(replies.callback["not_saved"], clinic))
            return _clear_callback_slots()
        dispatcher.utter_message(text=handoff.what_happens_next(clinic, self.clock(), details.best_time, replies))
        notify_callback_request(tracker.sender_id)
        return _clear_callback_slots()


def _details_given(tracker: Tracker) -> bool:
    return any(tracker.get_slot(slot) not in (None, "") for slot in handoff.CALLBACK_FIELDS)


class ActionCancelCallback(Action):
    """ "Stop" in the call-back form: with nothing given yet, stop at once; otherwise ask first,
    so that a mistaken "stop" does not throw away what the patient has typed."""

    def name(self) -> Text:
        return "action_cancel_callback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        if _details_given(tracker):
            dispatcher.utter_message(response="utter_confirm_stop_callback")
            return []
        dispatcher.utter_message(response="utter_callback_stopped")
        return _discard_callback()


class ActionDiscardCallback(Action):
    """Yes, stop: the details given are dropped and nothing is saved."""

    def name(self) -> Text:
        return "action_discard_callback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(
            response="utter_callback_stopped" if _details_given(tracker) else "utter_anything_else"
        )
        return _discard_callback()


class ActionResumeCallback(Action):
    """No, carry on: the form starts again where it stopped, with the details already given."""

    def name(self) -> Text:
        return "action_resume_callback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(response="utter_callback_resumed")
        return []
