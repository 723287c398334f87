"""Answering from the knowledge base: answers, clarifications, out of scope, and the safety reply."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text, cast

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import channel, send, then_wait_for_the_patient
from spinebot import answering
from spinebot.clinic import default_clinic_settings
from spinebot.knowledge import default_knowledge_base
from spinebot.notifications import notify_safety_reply
from spinebot.parse_data import SAFETY_KEY, SafetyData
from spinebot.replies import default_replies


def _answerable(knowledge: Any, intent: Optional[str]) -> bool:
    """Intents action_answer itself answers (a re-ranking must not switch to, say, a greeting)."""
    return bool(intent) and (
        knowledge.for_intent(intent) is not None
        or str(intent).startswith(answering.FOLLOWUP_PREFIX)
        or intent == answering.NOT_COVERED_INTENT
    )


def _held_to_facet(
    knowledge: Any, resolution: answering.Resolution, text: str, entities: Optional[List[Dict[str, Any]]] = None
) -> answering.Resolution:
    """The resolution held to the facet the message's own words ask for ("side effects")."""
    return answering.apply_facet_cue(knowledge, resolution, default_replies().cued_facet(text), entities or [])


def _settled(
    knowledge: Any, resolution: answering.Resolution, latest: Dict[str, Any], ranking: List[Dict[str, Any]]
) -> answering.Resolution:
    """The last word of the message's own wording on a resolution, whichever action reached it:
    the facet it asks for, whether the clinic offers a therapy, what a merely named treatment is."""
    text, entities = latest.get("text") or "", latest.get("entities") or []
    replies = default_replies()
    facet = replies.cued_facet(text)
    resolution = answering.apply_facet_cue(knowledge, resolution, facet, entities)
    # "do you have outcome data for shockwave?" asks for a facet, not whether shockwave is offered
    asks_whether_offered = facet is None and replies.asks_whether_offered(text)
    resolution = answering.offered_subject_overview(knowledge, resolution, asks_whether_offered, entities, ranking)
    return answering.unexplained_subject_asked_about(knowledge, resolution, replies.asks_what_it_is(text), entities)


def ask_which_one(dispatcher: CollectingDispatcher, tracker: Tracker) -> Optional[List[Dict[Text, Any]]]:
    """ "Tell me about the other one" names nothing: ask which, whatever the model read into it."""
    latest = tracker.latest_message or {}
    resolution = answering.unnamed_reference(
        default_knowledge_base(),
        default_replies(),
        latest.get("text") or "",
        latest.get("entities") or [],
        tracker.get_slot("last_kb_id"),
    )
    return None if resolution is None else ActionAnswer.reply(resolution, dispatcher, tracker)


class ActionAnswer(Action):
    """Answer a knowledge question or a follow-up from the knowledge base (one action for all)."""

    def name(self) -> Text:
        return "action_answer"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        asked_back = ask_which_one(dispatcher, tracker)
        return then_wait_for_the_patient(
            tracker, self.answer(dispatcher, tracker) if asked_back is None else asked_back
        )

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict[Text, Any]]:
        knowledge = default_knowledge_base()
        latest = tracker.latest_message or {}
        intent = (latest.get("intent") or {}).get("name")
        ranking = latest.get("intent_ranking") or []
        if intent and intent != answering.PERSONAL_INTENT:
            ranking = answering.rerank_in_context(
                knowledge,
                ranking,
                tracker.get_slot("subject"),
                tracker.get_slot("last_kb_id"),
                latest.get("text") or "",
                latest.get("entities") or [],
            )
            intent = ranking[0]["name"] if ranking and _answerable(knowledge, ranking[0]["name"]) else intent
        resolution = answering.resolve(
            knowledge,
            intent=intent,
            entities=latest.get("entities") or [],
            current_subject=tracker.get_slot("subject"),
            last_kb_id=tracker.get_slot("last_kb_id"),
            intent_ranking=ranking,
        )
        resolution = _settled(knowledge, resolution, latest, ranking)
        if resolution.not_covered and not resolution.subject:
            # "not covered" mid-conversation: a reading about the subject under discussion may
            # replace it only if the model found it at least as likely ("how long is the waiting
            # list?" must not become "how long does failed back surgery pain last").
            rival = answering.confidence_of(answering.NOT_COVERED_INTENT, ranking)
            resolution = (
                answering.contextual_resolution(
                    knowledge,
                    ranking,
                    tracker.get_slot("subject"),
                    tracker.get_slot("last_kb_id"),
                    latest.get("entities") or [],
                    min_entry_confidence=max(answering.MIN_ENTRY_OVER_NOT_COVERED, rival),
                    min_facet_confidence=rival,
                )
                or resolution
            )
        return self.reply(resolution, dispatcher, tracker)

    @staticmethod
    def reply(
        resolution: answering.Resolution, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> List[Dict[Text, Any]]:
        """Send what a resolution calls for: an answer, a "not covered", a question, or out of scope."""
        knowledge, clinic = default_knowledge_base(), default_clinic_settings()
        if resolution.entry is not None:
            entry = resolution.entry
            send(
                dispatcher,
                answering.knowledge_messages(
                    entry, knowledge, clinic, default_replies(), channel(tracker), personal=resolution.personal
                ),
            )
            subject = answering.subject_after_answer(
                knowledge, entry, (tracker.latest_message or {}).get("entities") or [], tracker.get_slot("subject")
            )
            return [SlotSet("subject", subject), SlotSet("last_kb_id", entry.id)]
        if resolution.not_covered:
            send(
                dispatcher,
                answering.not_covered_messages(
                    resolution, knowledge, clinic, default_replies(), channel(tracker), tracker.get_slot("last_kb_id")
                ),
            )
            return [SlotSet("subject", resolution.subject)] if resolution.subject else []
        if resolution.candidates:
            send(dispatcher, answering.clarify_messages(resolution.candidates, default_replies(), channel(tracker)))
            return []
        send(dispatcher, answering.out_of_scope_messages(clinic, default_replies(), channel(tracker)))
        return []


class ActionClarify(Action):
    """Low confidence: offer the likeliest entries as buttons, or say it is out of scope."""

    def name(self) -> Text:
        return "action_clarify"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        asked_back = ask_which_one(dispatcher, tracker)
        return then_wait_for_the_patient(
            tracker, self.clarify(dispatcher, tracker) if asked_back is None else asked_back
        )

    def clarify(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict[Text, Any]]:
        knowledge = default_knowledge_base()
        latest = tracker.latest_message or {}
        ranking = latest.get("intent_ranking") or []
        text = (latest.get("text") or "").strip()
        in_context = answering.unsure_reading_in_context(
            knowledge,
            ranking,
            tracker.get_slot("subject"),
            tracker.get_slot("last_kb_id"),
            latest.get("entities") or [],
        )
        if in_context is not None and text:
            return ActionAnswer.reply(_settled(knowledge, in_context, latest, ranking), dispatcher, tracker)
        # Unsure, but the message's own wording settles it: "what is a laminotomy?" (the documents
        # only name it), "do you run Pilates classes?" (the list of therapies names them).
        named = answering.Resolution(not_covered=True, subject=answering.first_subject(latest.get("entities") or []))
        settled = _settled(knowledge, named, latest, ranking) if named.subject and text else named
        if settled != named:
            return ActionAnswer.reply(settled, dispatcher, tracker)
        candidates = answering.clarify_candidates(knowledge, ranking)
        if not text:
            send(dispatcher, answering.empty_message_messages(default_replies(), channel(tracker)))
        elif candidates:
            send(dispatcher, answering.clarify_messages(candidates, default_replies(), channel(tracker)))
        else:
            send(
                dispatcher,
                answering.out_of_scope_messages(default_clinic_settings(), default_replies(), channel(tracker)),
            )
        return []


class ActionOutOfScope(Action):
    """Say kindly that the question is outside what SpineBot covers, and who can help."""

    def name(self) -> Text:
        return "action_out_of_scope"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        asked_back = ask_which_one(dispatcher, tracker)
        return then_wait_for_the_patient(
            tracker, self.decline(dispatcher, tracker) if asked_back is None else asked_back
        )

    def decline(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict[Text, Any]]:
        knowledge, latest = default_knowledge_base(), tracker.latest_message or {}
        in_context = answering.out_of_scope_in_context(knowledge, latest, tracker.get_slot("subject"))
        if in_context is not None:
            # held to the facet in the subject under discussion, whatever the message names
            in_context = _held_to_facet(knowledge, in_context, latest.get("text") or "")
            return ActionAnswer.reply(in_context, dispatcher, tracker)
        uncovered = answering.uncovered_words(tracker.latest_message)
        send(
            dispatcher,
            answering.out_of_scope_messages(
                default_clinic_settings(),
                default_replies(),
                channel(tracker),
                uncovered,
                other_language=answering.written_in_another_language(tracker.latest_message),
            ),
        )
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
        safety = cast(SafetyData, latest.get(SAFETY_KEY)) or SafetyData(
            levels=[str((latest.get("intent") or {}).get("name"))], firings=[]
        )
        safety["levels"] = [level for level in safety.get("levels") or [] if level in knowledge]
        if not safety["levels"]:  # reached without a verdict: never leave an urgent message unanswered
            safety["levels"] = ["urgent_emergency"]
        send(dispatcher, answering.safety_messages(safety, knowledge, clinic, channel(tracker)))
        events: List[Dict[Text, Any]] = [SlotSet("safety_flagged", True), SlotSet("safety_level", safety["levels"][0])]
        notify_safety_reply(tracker.sender_id, crisis=safety["levels"][0].startswith("crisis"))
        also_asked = answering.buried_question(safety, knowledge)
        if also_asked is not None:
            dispatcher.utter_message(text=default_replies().answers["also_asked"])
            send(
                dispatcher,
                answering.knowledge_messages(also_asked, knowledge, clinic, default_replies(), channel(tracker)),
            )
            # a service answer (prices, booking) keeps the treatment named or under discussion as the
            # subject, as after any other answer: "how is it done?" next is about that treatment
            subject = answering.subject_after_answer(
                knowledge, also_asked, latest.get("entities") or [], tracker.get_slot("subject")
            )
            events += [SlotSet("subject", subject), SlotSet("last_kb_id", also_asked.id)]
        return events
