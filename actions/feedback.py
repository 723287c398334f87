"""Whether an answer helped, stored per knowledge-base id."""

from __future__ import annotations

import logging
from typing import Any, Callable, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import channel, send
from spinebot import answering
from spinebot.clinic import default_clinic_settings
from spinebot.knowledge import default_knowledge_base
from spinebot.replies import default_replies
from spinebot.storage import default_store

logger = logging.getLogger(__name__)


class ActionStoreFeedback(Action):
    """Whether an answer helped, per knowledge-base id, from the widget's buttons or typed."""

    def __init__(self, store_factory: Optional[Callable[[], Any]] = None) -> None:
        self.store_factory = store_factory or default_store

    def name(self) -> Text:
        return "action_store_feedback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        latest = tracker.latest_message or {}
        helpful = (latest.get("intent") or {}).get("name") == "feedback_positive"
        from_button = next((e.get("value") for e in latest.get("entities") or [] if e.get("entity") == "kb_id"), None)
        kb_id = from_button or tracker.get_slot("last_kb_id")
        wording = default_replies().feedback
        if kb_id not in default_knowledge_base():
            dispatcher.utter_message(text=wording["which_answer"])
            return []
        try:
            self.store_factory().add_feedback(tracker.sender_id, kb_id, helpful)
        except Exception:
            logger.exception("could not store feedback")
            dispatcher.utter_message(text=wording["not_saved"])
            return []
        if helpful:
            dispatcher.utter_message(text=wording["helpful"])
            return []
        if from_button:
            dispatcher.utter_message(text=answering.fill_clinic(wording["not_helpful"], default_clinic_settings()))
            return []
        return self._offer_other_answers(dispatcher, tracker, kb_id)

    @staticmethod
    def _offer_other_answers(dispatcher: CollectingDispatcher, tracker: Tracker, missed: str) -> List[Dict[Text, Any]]:
        """Typed "that's not what I asked": offer the model's other guesses for that question."""
        knowledge = default_knowledge_base()
        previous = answering.previous_user_message(tracker.events)
        ranked = answering.clarify_candidates(
            knowledge, previous.get("intent_ranking") or [], limit=answering.MAX_CLARIFY_OPTIONS + 1
        )
        candidates = [entry for entry in ranked if entry.id != missed][: answering.MAX_CLARIFY_OPTIONS]
        send(
            dispatcher,
            answering.not_what_i_asked_messages(
                candidates, default_clinic_settings(), default_replies(), channel(tracker)
            ),
        )
        return [SlotSet("last_kb_id", None)]
