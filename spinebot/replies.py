"""Wording of every reply built in code rather than drawn from a knowledge entry or a domain.yml
response (knowledge/conversation/replies.yml).

Data, not code: correcting what the bot says when the documents are silent, when a patient asks
about their own case, asks for a call back or gives feedback, means editing the YAML file, never
Python (tests/test_wording.py holds the code to that). Loading is strict, like the knowledge
base's: a missing sentence stops the bot at start-up instead of leaving a patient with a blank.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, Mapping, Optional, Sequence

import yaml

from spinebot import paths
from spinebot.clinic import ClinicSettings
from spinebot.text import one_line

if TYPE_CHECKING:
    from spinebot.knowledge import Entry

REPLIES_FILE = Path("conversation") / "replies.yml"
NOT_COVERED_KEYS = ("facet", "general", "who_can_help", "offer")
NOT_WHAT_I_ASKED_KEYS = ("with_options", "without_options")
GATE_KEYS = ("unreadable", "too_long", "too_fast", "fault")
ANSWERS_KEYS = (
    "related",
    "also_asked",
    "clarify",
    "empty_message",
    "out_of_scope",
    "out_of_scope_named",
    "other_language",
    "what_i_cover",
    "who_else_can_help",
)
FEEDBACK_KEYS = ("which_answer", "not_saved", "helpful", "not_helpful")
HANDOFF_KEYS = (
    "hours_unknown",
    "open_now",
    "closed_now",
    "closed_until",
    "today_at",
    "tomorrow_at",
    "on_day_at",
    "offer_when_closed",
    "offer_otherwise",
    "no_medical_details",
    "numbers",
)
CALLBACK_KEYS = (
    "name_missing",
    "name_unclear",
    "phone_invalid",
    "time_missing",
    "topic_too_long",
    "ask_topic",
    "consent",
    "privacy_link",
    "check_details",
    "is_this_right",
    "choose_or_change",
    "change_field",
    "saved",
    "seen_while_open",
    "seen_when_next_open",
    "seen_once_open",
    "not_stored",
    "not_saved",
)
CALLBACK_FIELD_KEYS = ("label", "summary")
# Clinic facts from clinic.yml put into words ({email_sentence}, {opening_hours_sentence}, {phone_numbers}).
CLINIC_KEYS = ("hours_unknown", "opening_hours", "day_hours", "email", "email_unknown", "phone_labelled", "phone_list")
BUTTON_KEYS = ("callback", "no_thanks", "skip_topic", "consent_yes", "consent_no", "send_callback", "change_field")
PLACEHOLDER = re.compile(r"\{(\w+)\}")


class RepliesError(ValueError):
    """The replies file is missing a sentence; the message names the file and the field."""


@dataclass(frozen=True)
class Replies:
    facets: Mapping[str, str]
    not_covered: Mapping[str, str]
    personal_reminder: str
    not_what_i_asked: Mapping[str, str]
    answers: Mapping[str, str]
    feedback: Mapping[str, str]
    handoff: Mapping[str, str]
    callback: Mapping[str, str]
    # Per call-back form field (slot name): its `label` and its `summary` line.
    callback_fields: Mapping[str, Mapping[str, str]]
    buttons: Mapping[str, str]
    facet_cues: Mapping[str, tuple] = field(default_factory=dict)
    # Messages that are nothing but a short question for one facet ("what actually is it?"), matched
    # whole once the filler words are left out: as a substring, "what is it" is also in "what is it like".
    whole_message_cues: Mapping[str, tuple] = field(default_factory=dict)
    filler_words: frozenset = frozenset()
    # "the other one": a reference that names nothing, asked back rather than guessed.
    unnamed_references: tuple = ()
    bare_questions: frozenset = frozenset()
    # "Do you run Pilates classes?": asking whether the clinic offers something, not about a detail of it.
    offer_questions: tuple = ()
    # "What is a laminotomy?": asking what something is.
    definition_questions: tuple = ()
    # Said by the input channels' gate (spinebot/channels.py) instead of the bot: limits and faults.
    gate: Mapping[str, str] = field(default_factory=dict)
    # The clinic settings' facts as sentences, and the citation line under every answer.
    clinic: Mapping[str, str] = field(default_factory=dict)
    source_line: str = ""

    def facet_question(self, facet: str, subject_name: str) -> Optional[str]:
        """'whether laser spine surgery is painful', or None for an unknown facet."""
        template = self.facets.get(facet)
        return template.replace("{subject}", subject_name) if template else None

    def cued_facet(self, text: str) -> Optional[str]:
        """The facet a message's own words ask for ("success rate" → success), if any."""
        words = [word for word in re.sub(r"[^a-z0-9' ]+", " ", text.lower()).split() if word not in self.filler_words]
        for facet, questions in self.whole_message_cues.items():
            if " ".join(words) in questions:
                return facet
        lowered = " " + re.sub(r"[^a-z0-9%' -]+", " ", text.lower()) + " "
        for facet, cues in self.facet_cues.items():
            if any(f" {cue} " in lowered or (cue == "%" and "%" in lowered) for cue in cues):
                return facet
        return None

    def asks_whether_offered(self, text: str) -> bool:
        """Whether the message asks if the clinic offers something ("do you do acupuncture?")."""
        return _says_any(text, self.offer_questions)

    def asks_what_it_is(self, text: str) -> bool:
        """Whether the message asks what something is ("what's a foraminotomy in plain English?")."""
        return _says_any(text, self.definition_questions)

    def refers_without_naming(self, text: str) -> bool:
        """Whether the message points at something said before without naming it ("the other one", "why?")."""
        lowered = " " + re.sub(r"[^a-z0-9' ]+", " ", text.lower()) + " "
        if any(f" {phrase} " in lowered for phrase in self.unnamed_references):
            return True
        return " ".join(word for word in lowered.split() if word not in self.filler_words) in self.bare_questions


def _says_any(text: str, phrases: Sequence[str]) -> bool:
    """Whether one of `phrases` occurs in the text as whole words, ignoring case and punctuation."""
    lowered = " " + re.sub(r"[^a-z0-9' ]+", " ", text.lower()) + " "
    return any(f" {phrase} " in lowered for phrase in phrases)


def fill(template: str, values: Mapping[str, str]) -> str:
    """A sentence with its {placeholders} filled in.

    In one pass, so that a value containing braces (a name a patient typed) is never filled in
    again; a placeholder with no value is left as it is, for the next filler.
    """
    return PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), template)


def clinic_placeholders(clinic: ClinicSettings, replies: Replies) -> Dict[str, str]:
    """Values that knowledge answers and replies may use as {placeholders}: the clinic's facts
    from clinic.yml, worded by replies.yml (never a guessed email or hours)."""
    return {
        "clinic_name": clinic.name,
        "address": clinic.address,
        "phone_numbers": phone_numbers_text(clinic, replies),
        "opening_hours_sentence": opening_hours_sentence(clinic, replies),
        "email_sentence": fill(replies.clinic["email"], {"email": clinic.email})
        if clinic.email
        else replies.clinic["email_unknown"],
    }


def phone_numbers_text(clinic: ClinicSettings, replies: Replies) -> str:
    """The clinic's numbers as a patient reads them in a sentence, each with its label if any."""
    parts = [
        fill(replies.clinic["phone_labelled"], {"number": phone.display, "label": phone.label})
        if phone.label
        else phone.display
        for phone in clinic.phone_numbers
    ]
    if len(parts) == 1:
        return parts[0]
    return fill(replies.clinic["phone_list"], {"earlier": ", ".join(parts[:-1]), "last": parts[-1]})


def opening_hours_sentence(clinic: ClinicSettings, replies: Replies) -> str:
    """The hours, or an honest note that they are not listed here."""
    if not clinic.hours_known:
        return replies.clinic["hours_unknown"]
    days = [
        fill(
            replies.clinic["day_hours"], {"day": day.capitalize(), "opens": f"{start:%H:%M}", "closes": f"{end:%H:%M}"}
        )
        for day, start, end in clinic.hours_by_day()
    ]
    return fill(replies.clinic["opening_hours"], {"hours": ", ".join(days)})


def source_line(entry: Entry, replies: Replies) -> str:
    """The short citation shown under every answer, with its clinical review date."""
    titles = "; ".join(source.title for source in entry.sources)
    return fill(replies.source_line, {"titles": titles, "date": f"{entry.last_reviewed:%d %B %Y}"})


def _text(raw: Any, where: str) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise RepliesError(f"{REPLIES_FILE}: {where}: must be non-empty text")
    return one_line(raw)


def _mapping(raw: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(raw, dict):
        raise RepliesError(f"{REPLIES_FILE}: {where}: must be a mapping")
    return raw


def _sentences(raw: Any, where: str, keys: tuple) -> Dict[str, str]:
    """The sentences `keys` of a mapping; an error names the missing one by its path (`where`.key)."""
    section = _mapping(raw, where)
    return {key: _text(section.get(key), f"{where}.{key}") for key in keys}


def _section(data: Mapping[str, Any], name: str, keys: tuple) -> Dict[str, str]:
    return _sentences(data.get(name), name, keys)


def _callback_fields(raw: Any) -> Dict[str, Dict[str, str]]:
    """A label and a summary line for every field of the call-back form, none left out."""
    from spinebot.handoff import CALLBACK_FIELDS  # imported here: spinebot.handoff imports this module

    fields = _mapping(raw, "callback_fields")
    return {
        name: _sentences(fields.get(name), f"callback_fields.{name}", CALLBACK_FIELD_KEYS) for name in CALLBACK_FIELDS
    }


def load_replies(folder: Optional[Path] = None) -> Replies:
    path = Path(folder or paths.KNOWLEDGE_DIR) / REPLIES_FILE
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    facets = data.get("facets")
    if not isinstance(facets, dict) or not facets:
        raise RepliesError(f"{REPLIES_FILE}: facets: must map each follow-up facet to its `asks` wording")
    return Replies(
        facets={name: _text((raw or {}).get("asks"), f"facets.{name}.asks") for name, raw in facets.items()},
        not_covered=_section(data, "not_covered", NOT_COVERED_KEYS),
        personal_reminder=_text(data.get("personal_reminder"), "personal_reminder"),
        not_what_i_asked=_section(data, "not_what_i_asked", NOT_WHAT_I_ASKED_KEYS),
        answers=_section(data, "answers", ANSWERS_KEYS),
        feedback=_section(data, "feedback", FEEDBACK_KEYS),
        handoff=_section(data, "handoff", HANDOFF_KEYS),
        callback=_section(data, "callback", CALLBACK_KEYS),
        callback_fields=_callback_fields(data.get("callback_fields")),
        buttons=_section(data, "buttons", BUTTON_KEYS),
        facet_cues=_facet_cues(data.get("facet_cues") or {}, facets),
        whole_message_cues=_facet_cues(data.get("whole_message_cues") or {}, facets, "whole_message_cues"),
        filler_words=frozenset(str(word).lower() for word in data.get("filler_words") or ()),
        unnamed_references=tuple(str(phrase).lower() for phrase in data.get("unnamed_references") or ()),
        bare_questions=frozenset(str(phrase).lower() for phrase in data.get("bare_questions") or ()),
        offer_questions=tuple(str(phrase).lower() for phrase in data.get("offer_questions") or ()),
        definition_questions=tuple(str(phrase).lower() for phrase in data.get("definition_questions") or ()),
        gate=_section(data, "gate", GATE_KEYS),
        clinic=_section(data, "clinic", CLINIC_KEYS),
        source_line=_text(data.get("source_line"), "source_line"),
    )


def _facet_cues(raw: Mapping[str, Any], facets: Mapping[str, Any], section: str = "facet_cues") -> Dict[str, tuple]:
    cues = {}
    for facet, words in raw.items():
        if facet not in facets:
            raise RepliesError(f"{REPLIES_FILE}: {section}.{facet}: not a facet listed under `facets`")
        if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
            raise RepliesError(f"{REPLIES_FILE}: {section}.{facet}: must be a list of words or phrases")
        cues[facet] = tuple(one_line(w.lower()) for w in words)
    return cues


@lru_cache(maxsize=1)
def default_replies() -> Replies:
    return load_replies(paths.KNOWLEDGE_DIR)
