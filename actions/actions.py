"""SpineBot's custom actions: thin adapters from Rasa trackers to `spinebot`.

All decisions live in `spinebot.answering` (tested without Rasa); these classes only read the
tracker, call it, and hand the messages to the dispatcher.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from spinebot import answering
from spinebot.clinic import default_clinic_settings
from spinebot.knowledge import default_knowledge_base


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
        _send(dispatcher, answering.out_of_scope_messages(default_clinic_settings(), _channel(tracker)))
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
