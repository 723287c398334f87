"""From an understood message to the reply the patient sees.

Two jobs, kept apart so each can be tested without Rasa running:
- `resolve` decides which knowledge entry answers the message, using the predicted intent, the
  subject named in the message and the subject of the conversation so far (follow-ups);
- the `*_messages` functions build the reply, always carrying the reply contract: a `custom`
  object with `kb_id` that the widget, feedback, analytics and tests rely on. Their wording is
  data (knowledge entries, and replies.yml for the sentences around them): only the choice of
  sentence and what fills it are made here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Sequence, cast

from spinebot.clinic import ClinicSettings
from spinebot.handoff import handoff_text
from spinebot.intents import OUT_OF_SCOPE_INTENT, PERSONAL_INTENT, SERVICE_ENTRIES
from spinebot.knowledge import ANSWER_KIND, Entry, KnowledgeBase
from spinebot.parse_data import SCOPE_KEY, SafetyData, ScopeData
from spinebot.replies import Replies, clinic_placeholders, default_replies, fill, source_line

FOLLOWUP_PREFIX = "followup_"
FALLBACK_INTENT = "nlu_fallback"
NOT_COVERED_INTENT = "not_covered"
# Entries about the clinic's services: never offered as "general information" for a personal case.
# A personal question is answered with a general entry only when the model saw it this clearly.
MIN_PERSONAL_GENERAL_CONFIDENCE = 0.12
MAX_CLARIFY_OPTIONS = 3
MIN_CLARIFY_CONFIDENCE = 0.05
SOCKETIO_CHANNEL = "socketio"

Message = Dict[str, Any]
# What the call-back button asks for; its title is data (replies.yml `buttons.callback`). The input
# channels read this payload to accept the button when it is clicked.
CALLBACK_BUTTON = {"payload": "/request_callback"}


@dataclass
class Resolution:
    """The outcome of resolving one message: an entry, or candidates to ask about, or neither."""

    entry: Optional[Entry] = None
    candidates: List[Entry] = field(default_factory=list)
    # The documents are silent: say so, about this subject and facet where they are known.
    not_covered: bool = False
    subject: Optional[str] = None
    facet: Optional[str] = None
    # A question about the patient's own case, answered with general information and a reminder.
    personal: bool = False

    @property
    def out_of_scope(self) -> bool:
        return self.entry is None and not self.candidates and not self.not_covered


def named_subjects(entities: Iterable[Dict[str, Any]]) -> List[str]:
    """The subjects the message names, in order."""
    return [str(e["value"]) for e in entities or [] if e.get("entity") == "subject" and e.get("value")]


def first_subject(entities: Iterable[Dict[str, Any]]) -> Optional[str]:
    """The first subject the message names, if any."""
    return next(iter(named_subjects(entities)), None)


def _unique(entries: Iterable[Optional[Entry]]) -> List[Entry]:
    seen: Dict[str, Entry] = {}
    for entry in entries:
        if entry is not None:
            seen.setdefault(entry.id, entry)
    return list(seen.values())


def confidence_of(intent: str, intent_ranking: Sequence[Dict[str, Any]]) -> float:
    """The confidence the ranking gives `intent` (0 when it is not ranked)."""
    return max([(item.get("confidence") or 0.0) for item in intent_ranking if item.get("name") == intent] or [0.0])


def _subject_overview(knowledge: KnowledgeBase, subject: Optional[str]) -> Optional[Entry]:
    registered = knowledge.subjects.get(subject or "")
    return knowledge.get(registered.overview) if registered else None


def _resolve_followup(
    knowledge: KnowledgeBase,
    facet: str,
    subject: Optional[str],
    last_entry: Optional[Entry],
    named_subject: Optional[str] = None,
) -> Resolution:
    if facet == "more":
        switched = named_subject is not None and (last_entry is None or named_subject != last_entry.subject)
        if last_entry is not None and not switched:
            return Resolution(entry=knowledge[last_entry.related[0]]) if last_entry.related else Resolution()
        overview = knowledge.for_followup(subject, "overview") or _subject_overview(knowledge, subject)
        return Resolution(entry=overview) if overview else Resolution()
    entry = knowledge.for_followup(subject, facet)
    if entry is not None:
        return Resolution(entry=entry)
    if subject in knowledge.subjects:
        # A known subject, but no entry answers this about it: the documents are silent.
        return Resolution(not_covered=True, subject=subject, facet=facet)
    # The subject is unknown or has no answer for this facet: ask, offering what we can answer.
    same_subject = [e for e in knowledge if subject and e.subject == subject]
    candidates = _unique(same_subject + knowledge.entries_with_facet(facet))
    return Resolution(candidates=candidates[:MAX_CLARIFY_OPTIONS])


def unsure_reading_in_context(
    knowledge: KnowledgeBase,
    intent_ranking: Sequence[Dict[str, Any]],
    current_subject: Optional[str],
    last_kb_id: Optional[str] = None,
    entities: Sequence[Dict[str, Any]] = (),
) -> Optional[Resolution]:
    """What to do with a message the model was unsure of, in the conversation's context.

    When the likeliest reading is that the documents do not cover the question, that is the
    honest reply, for the subject it names or the one under discussion ("how long does the
    relief from an injection last?"); an entry on the subject must be more likely than that
    reading to answer instead. Otherwise `contextual_resolution`, or None to ask.
    """
    readings = [item for item in intent_ranking if item.get("name") != FALLBACK_INTENT]
    not_covered = confidence_of(NOT_COVERED_INTENT, readings)
    if readings and readings[0].get("name") == NOT_COVERED_INTENT and not_covered >= MIN_CONTEXT_CONFIDENCE:
        return Resolution(not_covered=True, subject=first_subject(entities) or current_subject)
    return contextual_resolution(
        knowledge,
        intent_ranking,
        current_subject,
        last_kb_id,
        entities,
        min_entry_confidence=max(MIN_CONTEXT_ANSWER, not_covered),
    )


# "Tell me more" moves on to another entry, so an unsure reading of it ("what can be done about it
# now?" read 0.33 as "more") is a guess at a topic the patient did not name: below this, ask.
MORE_INTENT = f"{FOLLOWUP_PREFIX}more"
MIN_MORE_CONFIDENCE = 0.5


def resolve(
    knowledge: KnowledgeBase,
    intent: Optional[str],
    entities: Sequence[Dict[str, Any]] = (),
    current_subject: Optional[str] = None,
    last_kb_id: Optional[str] = None,
    intent_ranking: Sequence[Dict[str, Any]] = (),
) -> Resolution:
    """Which entry answers this message, given the conversation so far."""
    if intent == PERSONAL_INTENT:
        general = general_entry_for_personal(knowledge, intent_ranking)
        if general is not None:
            return Resolution(entry=general, personal=True)
    direct = knowledge.for_intent(intent)
    if direct is not None:
        return Resolution(entry=direct)
    last_entry = knowledge.get(last_kb_id) if last_kb_id else None
    named = first_subject(entities)
    if intent == NOT_COVERED_INTENT:
        return Resolution(not_covered=True, subject=named)
    if intent == MORE_INTENT and intent_ranking and confidence_of(intent, intent_ranking) < MIN_MORE_CONFIDENCE:
        return Resolution(candidates=clarify_candidates(knowledge, intent_ranking))
    if intent and intent.startswith(FOLLOWUP_PREFIX):
        facet = intent[len(FOLLOWUP_PREFIX) :]
        resolution = _resolve_followup(knowledge, facet, named or current_subject, last_entry, named)
        if named and current_subject and named != current_subject and resolution.entry is None:
            # A word like "recovery" names a subject of its own, but "and the recovery?" is still
            # about the treatment under discussion: use it when it has the answer.
            in_context = _resolve_followup(knowledge, facet, current_subject, last_entry)
            if in_context.entry is not None:
                return in_context
        return resolution
    if intent == FALLBACK_INTENT:
        return Resolution(candidates=clarify_candidates(knowledge, intent_ranking))
    return Resolution()


# In a conversation about a subject, a message the model is unsure of is read as a follow-up on
# that subject when one of its two likeliest readings is, with at least this confidence.
MIN_CONTEXT_CONFIDENCE = 0.12
# ...but only a reading this likely may answer with an entry; below it, the honest "not covered"
# for the subject or a clarifying question (0.12 gave 20 more wrong answers on the regression sets
# for 7 more right ones).
MIN_CONTEXT_ANSWER = 0.18
# Against a "not covered" reading, an entry on the conversation's subject needs this confidence.
MIN_ENTRY_OVER_NOT_COVERED = 0.25
# Giving the entry just given again ("can it cause nerve pain?" after the symptoms answer, which
# names nerve pain) needs this much: a repeat is only right when the model clearly saw it.
MIN_REPEAT_CONFIDENCE = 0.25


def contextual_resolution(
    knowledge: KnowledgeBase,
    intent_ranking: Sequence[Dict[str, Any]],
    current_subject: Optional[str],
    last_kb_id: Optional[str] = None,
    entities: Sequence[Dict[str, Any]] = (),
    min_entry_confidence: float = MIN_CONTEXT_ANSWER,
    min_facet_confidence: float = MIN_CONTEXT_CONFIDENCE,
) -> Optional[Resolution]:
    """For an unsure or "not covered" reading: the likeliest reading that is about the subject the
    message names, or else the one under discussion ("is it just injections?" after pain management).

    Patients rarely repeat the subject in a follow-up, so its few words are ambiguous on their
    own; the conversation disambiguates them, as a person would. A reading that is an entry
    (rather than a follow-up facet) needs `min_entry_confidence`: against a "not covered"
    reading, only a clearly plausible entry may replace the honest reply.
    """
    subject = first_subject(entities) or current_subject
    if not subject:
        return None
    for item in [i for i in intent_ranking if i.get("name") not in (FALLBACK_INTENT, NOT_COVERED_INTENT)][:2]:
        if (item.get("confidence") or 0.0) < MIN_CONTEXT_CONFIDENCE:
            break
        name = str(item.get("name"))
        if name.startswith(FOLLOWUP_PREFIX):
            if (item.get("confidence") or 0.0) < min_facet_confidence:
                continue
            resolution = resolve(knowledge, name, entities, current_subject, last_kb_id, intent_ranking)
            if resolution.not_covered or (
                resolution.entry is not None and (item.get("confidence") or 0.0) >= MIN_CONTEXT_ANSWER
            ):
                return resolution
            continue
        entry = knowledge.for_intent(name)
        needed = min_entry_confidence
        if entry and entry.id == last_kb_id:
            needed = max(needed, MIN_REPEAT_CONFIDENCE)
        plausible = (item.get("confidence") or 0.0) >= needed
        if plausible and entry is not None and entry.kind == ANSWER_KIND and entry.subject == subject:
            return Resolution(entry=entry)
    return None


# The model alone (not the scope guard) read a short message as out of scope, but this unsure:
# in a conversation about a subject, "how big is the cut?" or "saturday?" is about that subject.
MAX_UNSURE_OUT_OF_SCOPE = 0.5


def out_of_scope_in_context(
    knowledge: KnowledgeBase, latest: Dict[str, Any], current_subject: Optional[str]
) -> Optional[Resolution]:
    """The honest reply for an unsure "out of scope" in a conversation, or None to keep it.

    In the middle of a conversation about a treatment, "I can't help with that" misleads: the
    question is most likely about the treatment, and the documents just do not say. So the reply
    is "not covered" for that subject, which offers its overview. Answering with the likeliest
    entry about the subject instead was tried and added a wrong answer on the regression sets
    ("how common" after the symptoms of failed back surgery). A message the scope guard marked
    (another area of medicine) always stays out of scope.
    """
    ranking = latest.get("intent_ranking") or []
    text = latest.get("text") or ""
    if (
        not current_subject
        or current_subject not in knowledge.subjects
        or latest.get(SCOPE_KEY)
        or not ranking
        or ranking[0].get("name") != OUT_OF_SCOPE_INTENT
        or (ranking[0].get("confidence") or 0.0) >= MAX_UNSURE_OUT_OF_SCOPE
        or not 0 < len(text.split()) <= CONTEXT_MAX_WORDS
    ):
        return None
    return Resolution(not_covered=True, subject=current_subject)


# A short follow-up with no subject of its own is read in the conversation's context: readings
# about the current subject (or a follow-up facet) weigh this much more, related entries half as
# much, unless the model was already this sure of its first reading.
CONTEXT_BOOST = 1.0
CONTEXT_MAX_WORDS = 12
CONTEXT_SURE = 0.7


def rerank_in_context(
    knowledge: KnowledgeBase,
    intent_ranking: Sequence[Dict[str, Any]],
    current_subject: Optional[str],
    last_kb_id: Optional[str],
    text: str,
    entities: Sequence[Dict[str, Any]] = (),
) -> List[Dict[str, Any]]:
    """The intent ranking with the conversation taken into account, best first.

    "do they fix it?" after the injections answer is about injections; on its own words the
    model cannot know that. Only short messages that name no subject are re-weighed, and only
    when the model was unsure; the weights are the module constants above.
    """
    ranking = [dict(item) for item in intent_ranking if item.get("name")]
    if (
        not current_subject
        or first_subject(entities)
        or len(text.split()) > CONTEXT_MAX_WORDS
        or not ranking
        or (ranking[0].get("confidence") or 0.0) >= CONTEXT_SURE
        or ranking[0].get("name") in (NOT_COVERED_INTENT, OUT_OF_SCOPE_INTENT)
    ):
        # "how long is the waiting list?" read as not covered must stay so: context may pick
        # between readings of a question, never turn an honest "not covered" into an answer.
        return ranking
    last = knowledge.get(last_kb_id) if last_kb_id else None
    related = set(last.related) if last else set()
    for item in ranking:
        name = str(item["name"])
        entry = knowledge.for_intent(name)
        if name.startswith(FOLLOWUP_PREFIX) or (entry is not None and entry.subject == current_subject):
            item["confidence"] = (item.get("confidence") or 0.0) * (1 + CONTEXT_BOOST)
        elif entry is not None and entry.id in related:
            item["confidence"] = (item.get("confidence") or 0.0) * (1 + CONTEXT_BOOST / 2)
    total = sum(item.get("confidence") or 0.0 for item in ranking) or 1.0
    for item in ranking:
        item["confidence"] = (item.get("confidence") or 0.0) / total
    return sorted(ranking, key=lambda item: -item["confidence"])


OVERVIEW_FACET = "overview"

# Subjects whose entries are not about a treatment: facet words do not redirect them.
NO_FACET_SUBJECTS = frozenset({"clinic", "personal_advice", "emergencies", "urgent", "crisis"})


def apply_facet_cue(
    knowledge: KnowledgeBase, resolution: Resolution, facet: Optional[str], entities: Sequence[Dict[str, Any]] = ()
) -> Resolution:
    """Hold an answer to the facet its question names ("success rate", "side effects").

    The classifier picks the likeliest entry for the topic; when the message asks for one
    facet of it that the entry does not give, the right reply is the entry that does, or an
    honest "the documents don't say", never the overview dressed up as an answer.
    """
    entry = resolution.entry
    if facet is None:
        return resolution
    if entry is None:
        # "what % of back surgeries fail?" read as not covered: the facet may still have an answer.
        subject = first_subject(entities) or resolution.subject
        answering_entry = _facet_entry(knowledge, subject, facet) if resolution.not_covered else None
        return Resolution(entry=answering_entry) if answering_entry is not None else resolution
    if entry.kind != ANSWER_KIND:
        return resolution
    subject = first_subject(entities) or entry.subject
    if subject in NO_FACET_SUBJECTS or f"{subject}.{facet}" in entry.followups:
        return resolution
    answering_entry = _facet_entry(knowledge, subject, facet)
    if answering_entry is not None:
        return Resolution(entry=answering_entry)
    return Resolution(not_covered=True, subject=subject, facet=facet)


# "Do you run Pilates classes?" read as not covered: the overview naming the therapy answers it
# when the model gives it at least this much (0.44 not covered against 0.39 for the overview, say).
MIN_OFFERED_OVERVIEW_CONFIDENCE = 0.15


def offered_subject_overview(
    knowledge: KnowledgeBase,
    resolution: Resolution,
    asks_whether_offered: bool,
    entities: Sequence[Dict[str, Any]] = (),
    intent_ranking: Sequence[Dict[str, Any]] = (),
) -> Resolution:
    """Whether the clinic offers a therapy is answered by the entry that lists it, not "not covered".

    Only for a question with no facet of its own ("what days are the classes?" stays honest),
    about a subject whose overview is another entry (acupuncture, Pilates and shockwave are named
    in the list of therapies), when the model also saw that overview.
    """
    if not (resolution.not_covered and resolution.facet is None and asks_whether_offered):
        return resolution
    subject = first_subject(entities) or resolution.subject
    overview = _subject_overview(knowledge, subject)
    if overview is None or overview.subject == subject:
        return resolution
    if max((confidence_of(intent, intent_ranking) for intent in overview.intents), default=0.0) < (
        MIN_OFFERED_OVERVIEW_CONFIDENCE
    ):
        return resolution
    return Resolution(entry=overview)


DEFINITION_FACET = "definition"


def unexplained_subject_asked_about(
    knowledge: KnowledgeBase, resolution: Resolution, asks_what_it_is: bool, entities: Sequence[Dict[str, Any]] = ()
) -> Resolution:
    """ "What is a laminotomy?" gets "the documents don't say", not the list that merely names it.

    For a subject the documents only name (`explained: false` in subjects.yml) and the only subject
    the message names; the entry that names it is offered with the honest reply. Whatever the model
    read: the classifier picks the entry mentioning the word, which is the nearest entry dressed up
    as an answer.
    """
    named = set(named_subjects(entities))
    if not asks_what_it_is or len(named) != 1 or resolution.personal:
        return resolution
    subject = knowledge.subjects.get(next(iter(named)))
    if subject is None or subject.explained:
        return resolution
    return Resolution(not_covered=True, subject=subject.id, facet=DEFINITION_FACET)


def _facet_entry(knowledge: KnowledgeBase, subject: Optional[str], facet: str) -> Optional[Entry]:
    """The entry answering a facet of a subject; "what is it?" falls back to the subject's overview."""
    entry = knowledge.for_followup(subject, facet)
    if entry is None and facet == OVERVIEW_FACET:
        entry = _subject_overview(knowledge, subject)
    return entry


def subject_after_answer(
    knowledge: KnowledgeBase,
    entry: Entry,
    entities: Sequence[Dict[str, Any]] = (),
    current_subject: Optional[str] = None,
) -> str:
    """The subject the conversation is about once `entry` has been given.

    A service answer (prices, booking, contact, a personal question) is about the clinic, but
    the patient is still talking about their treatment: after "how much is IDD per session?",
    "what actually is it?" means IDD. So the treatment the message names, or else the one under
    discussion, stays the subject; any other answer makes its own subject current.
    """
    if entry.id not in SERVICE_ENTRIES and entry.subject not in NO_FACET_SUBJECTS:
        return entry.subject
    for candidate in (first_subject(entities), current_subject):
        if candidate and candidate in knowledge.subjects and candidate not in NO_FACET_SUBJECTS:
            return candidate
    return entry.subject


def general_entry_for_personal(knowledge: KnowledgeBase, intent_ranking: Sequence[Dict[str, Any]]) -> Optional[Entry]:
    """The general entry that best fits a question about the patient's own case, if the model
    also saw one clearly ("I had a discectomy 4 months ago and still have leg pain, is that
    normal?" → when an operation is said to have failed)."""
    for item in intent_ranking:
        entry = knowledge.for_intent(item.get("name"))
        if entry is None or entry.id in SERVICE_ENTRIES or entry.kind != ANSWER_KIND:
            continue
        if (item.get("confidence") or 0.0) >= MIN_PERSONAL_GENERAL_CONFIDENCE:
            return entry
        return None
    return None


def unnamed_reference(
    knowledge: KnowledgeBase,
    replies: Replies,
    text: str,
    entities: Sequence[Dict[str, Any]],
    last_kb_id: Optional[str],
) -> Optional[Resolution]:
    """ "Tell me about the other one" or a bare "why?" after an answer: ask which, offering what
    that answer links to.

    The message names nothing the model could read, so any entry it picked would be a guess; the
    entries linked to the last answer are what it most likely points at.
    """
    last = knowledge.entries.get(last_kb_id or "")
    if last is None or first_subject(entities) or not replies.refers_without_naming(text):
        return None
    candidates = _unique(knowledge.entries.get(entry_id) for entry_id in last.related)[:MAX_CLARIFY_OPTIONS]
    return Resolution(candidates=candidates) if candidates else None


def clarify_candidates(
    knowledge: KnowledgeBase, intent_ranking: Sequence[Dict[str, Any]], limit: int = MAX_CLARIFY_OPTIONS
) -> List[Entry]:
    """The two or three likeliest knowledge entries, best first, for a 'did you mean' question."""
    ranked = [
        knowledge.for_intent(item.get("name"))
        for item in intent_ranking
        if (item.get("confidence") or 0.0) >= MIN_CLARIFY_CONFIDENCE
    ]
    return _unique(ranked)[:limit]


def previous_user_message(events: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
    """The parse data of the user message before the latest one ({} if there is none)."""
    user_messages = [event.get("parse_data") or {} for event in events if event.get("event") == "user"]
    return user_messages[-2] if len(user_messages) >= 2 else {}


def render_answer(entry: Entry, clinic: ClinicSettings, replies: Optional[Replies] = None) -> str:
    """The answer's text with clinic facts filled in from the settings file."""
    return fill_clinic(entry.answer, clinic, replies).strip()


def answer_bubble(entry: Entry, clinic: ClinicSettings, replies: Optional[Replies] = None) -> str:
    """An entry's answer and, under it, the line citing its sources: one chat message."""
    replies = replies or default_replies()
    return one_bubble(f"{render_answer(entry, clinic, replies)}\n\n_{source_line(entry, replies)}_")


def one_bubble(text: str) -> str:
    """Keep a reply in one chat message: Rasa's REST and socket.io channels split text at blank lines."""
    while "\n\n" in text:
        text = text.replace("\n\n", "\n")
    return text


def callback_button(replies: Replies) -> Dict[str, str]:
    """The button that starts a call-back request, titled from replies.yml."""
    return {"title": replies.buttons["callback"], **CALLBACK_BUTTON}


def entry_button(entry: Entry) -> Dict[str, str]:
    """A button that asks for an entry directly (its intent, at full confidence)."""
    return {"title": entry.title, "payload": f"/{entry.intents[0]}"}


def knowledge_contract(entry: Entry) -> Dict[str, Any]:
    return {
        "kb_id": entry.id,
        "title": entry.title,
        "sources": [source.as_contract() for source in entry.sources],
        "related": list(entry.related),
        "last_reviewed": entry.last_reviewed.isoformat(),
    }


def custom_message(contract: Dict[str, Any], channel: Optional[str]) -> Message:
    """The reply contract shaped so that every channel's client receives `{"custom": contract}`.

    REST wraps a custom payload P as `{"custom": P}` by itself. Rasa 3.6's socket.io channel instead
    emits the payload's keys as keyword arguments of `emit`, so only `{"data": X}` gets through,
    arriving as X: we send `{"data": {"custom": contract}}` there.
    """
    if channel == SOCKETIO_CHANNEL:
        return {"json_message": {"data": {"custom": contract}}}
    return {"json_message": contract}


def fill_clinic(text: str, clinic: ClinicSettings, replies: Optional[Replies] = None) -> str:
    """Text with the clinic's facts ({clinic_name}, {phone_numbers}...) filled in from clinic.yml."""
    return fill(text, clinic_placeholders(clinic, replies or default_replies()))


def knowledge_messages(
    entry: Entry,
    knowledge: KnowledgeBase,
    clinic: ClinicSettings,
    replies: Replies,
    channel: Optional[str],
    personal: bool = False,
) -> List[Message]:
    """An answer, its source line, related questions as buttons, and the reply contract.

    For a question about the patient's own case (`personal`), the reminder that only their doctor
    can judge comes first, and the contract says `"personal": true`.
    """
    messages: List[Message] = [{"text": answer_bubble(entry, clinic, replies)}]
    if personal:
        messages.insert(0, {"text": one_bubble(fill_clinic(replies.personal_reminder, clinic))})
    related = [knowledge[entry_id] for entry_id in entry.related]
    buttons = [entry_button(e) for e in related]
    if entry.offer_callback:
        buttons.insert(0, callback_button(replies))
    if buttons:
        messages.append({"text": replies.answers["related"], "buttons": buttons})
    contract = knowledge_contract(entry)
    if personal:
        contract["personal"] = True
    messages.append(custom_message(contract, channel))
    return messages


def not_covered_messages(
    resolution: Resolution,
    knowledge: KnowledgeBase,
    clinic: ClinicSettings,
    replies: Replies,
    channel: Optional[str],
    last_kb_id: Optional[str] = None,
) -> List[Message]:
    """The documents are silent: say so plainly, say who can answer, and offer what is known.

    Never the nearest entry dressed up as an answer: a patient who asks about the risks of laser
    surgery must not read the overview and think it names them all.
    """
    subject = knowledge.subjects.get(resolution.subject or "")
    asks = replies.facet_question(resolution.facet, subject.name) if subject and resolution.facet else None
    opening = replies.not_covered["facet"].replace("{asks}", asks) if asks else replies.not_covered["general"]
    text = fill_clinic(f"{opening}\n{replies.not_covered['who_can_help']}", clinic)
    buttons = [callback_button(replies)]
    overview = knowledge.get(subject.overview) if subject else None
    if overview is not None and overview.id != last_kb_id and overview.kind == ANSWER_KIND:
        buttons.insert(0, entry_button(overview))
    contract = {"kb_id": None, "type": "not_covered", "subject": resolution.subject, "facet": resolution.facet}
    return [
        {"text": one_bubble(text)},
        {"text": replies.not_covered["offer"], "buttons": buttons},
        custom_message(contract, channel),
    ]


def not_what_i_asked_messages(
    candidates: Sequence[Entry], clinic: ClinicSettings, replies: Replies, channel: Optional[str]
) -> List[Message]:
    """The last answer missed: apologise and offer the model's other guesses for that question."""
    contract = {"kb_id": None, "type": "clarify", "options": [entry.id for entry in candidates]}
    if candidates:
        first = {"text": replies.not_what_i_asked["with_options"], "buttons": [entry_button(e) for e in candidates]}
    else:
        first = {
            "text": fill_clinic(replies.not_what_i_asked["without_options"], clinic),
            "buttons": [callback_button(replies)],
        }
    return [first, custom_message(contract, channel)]


def clarify_messages(candidates: Sequence[Entry], replies: Replies, channel: Optional[str]) -> List[Message]:
    """Ask which of the likeliest entries the patient meant."""
    contract = {"kb_id": None, "type": "clarify", "options": [entry.id for entry in candidates]}
    return [
        {"text": replies.answers["clarify"], "buttons": [entry_button(entry) for entry in candidates]},
        custom_message(contract, channel),
    ]


def out_of_scope_messages(
    clinic: ClinicSettings,
    replies: Replies,
    channel: Optional[str],
    uncovered: Sequence[str] = (),
    other_language: bool = False,
) -> List[Message]:
    """Say kindly what the bot cannot help with (naming the conditions it was asked about, if
    any), what it can, and who can; a message in another language is told the bot reads English."""
    opening = replies.answers["out_of_scope_named" if uncovered else "out_of_scope"]
    template = f"{opening} {replies.answers['what_i_cover']}\n{replies.answers['who_else_can_help']}"
    if other_language:
        template = replies.answers["other_language"]
    text = fill(template, {**clinic_placeholders(clinic, replies), "conditions": " or ".join(uncovered[:2])})
    contract = {"kb_id": None, "type": "out_of_scope"}
    return [{"text": one_bubble(text)}, custom_message(contract, channel)]


def written_in_another_language(latest_message: Dict[str, Any]) -> bool:
    return bool(cast(ScopeData, (latest_message or {}).get(SCOPE_KEY) or {}).get("other_language"))


def uncovered_words(latest_message: Dict[str, Any]) -> List[str]:
    """The spine conditions a message named that the knowledge base does not cover."""
    scope = cast(ScopeData, (latest_message or {}).get(SCOPE_KEY) or {})
    return list(scope.get("uncovered_words") or [])


def empty_message_messages(replies: Replies, channel: Optional[str]) -> List[Message]:
    """A blank message: say so, without guessing at a question."""
    contract: Dict[str, Any] = {"kb_id": None, "type": "clarify", "options": []}
    return [{"text": replies.answers["empty_message"]}, custom_message(contract, channel)]


def safety_messages(
    safety: SafetyData, knowledge: KnowledgeBase, clinic: ClinicSettings, channel: Optional[str]
) -> List[Message]:
    """The urgent or crisis replies for every level that fired, most urgent first.

    No related-question buttons: nothing should pull attention away from getting help. The
    contract names the rules that fired, so the widget and staff can see why.
    """
    messages: List[Message] = []
    firings = safety.get("firings") or []
    for level in safety.get("levels") or []:
        entry = knowledge[level]
        messages.append({"text": answer_bubble(entry, clinic)})
        contract = knowledge_contract(entry)
        contract["type"] = "crisis" if entry.subject == "crisis" else "urgent"
        contract["safety"] = {"level": level, "rules": [f["rule"] for f in firings if f.get("level") == level]}
        messages.append(custom_message(contract, channel))
    return messages


def buried_question(safety: SafetyData, knowledge: KnowledgeBase, min_confidence: float = 0.5) -> Optional[Entry]:
    """The knowledge question a patient also asked in an urgent message, if the model was sure of it."""
    entry = knowledge.for_intent(safety.get("replaced_intent"))
    confident = (safety.get("replaced_confidence") or 0.0) >= min_confidence
    return entry if entry is not None and confident and entry.kind == "answer" else None


def handoff_messages(
    booking: Entry, clinic: ClinicSettings, replies: Replies, now: Any, channel: Optional[str]
) -> List[Message]:
    """Wanting a person or an appointment: whether the clinic is open, the numbers, the booking
    entry's source, and the offer of a call back."""
    text = one_bubble(f"{handoff_text(clinic, now, replies)}\n\n_{source_line(booking, replies)}_")
    buttons = [callback_button(replies), {"title": replies.buttons["no_thanks"], "payload": "/deny"}]
    return [{"text": text, "buttons": buttons}, custom_message(knowledge_contract(booking), channel)]
