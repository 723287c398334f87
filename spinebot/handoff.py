"""Handing over to a person: opening-hours wording, the call-back request's fields, and what the
patient is told.

Kept apart from Rasa so that every wording (in hours, out of hours, hours unknown) is tested with
an injected clock, and every field's validation with plain strings. Which sentence is said, and
what fills it, is decided here; the sentences themselves are data (replies.yml: `handoff`,
`callback`, `callback_fields`, `buttons`), so that correcting them never means editing code.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import phonenumbers
import yaml

from spinebot import paths
from spinebot.clinic import ClinicSettings
from spinebot.replies import Replies, clinic_placeholders, fill
from spinebot.text import one_line

MAX_NAME_LENGTH = 80
MAX_TIME_LENGTH = 120
MAX_TOPIC_LENGTH = 300
NO_TOPIC = "-"
SKIP_WORDS = {"skip", "no", "none", "nothing", "n/a", "na", "-", "no thanks", "rather not", "prefer not to say"}
CALLBACK_FIELDS = ("callback_name", "callback_phone", "callback_time", "callback_topic")
# Set when a call-back request is stopped or declined: the tracker store then blanks the form's
# answers in the stored conversation (spinebot/tracker_store.py).
CALLBACK_DISCARDED_SLOT = "callback_discarded"
FIELD_WORDS = {
    "callback_name": ("name",),
    "callback_phone": ("phone", "number", "mobile", "telephone", "tel"),
    "callback_time": ("time", "when", "morning", "afternoon", "evening"),
    "callback_topic": ("topic", "about", "reason", "subject"),
}


@dataclass(frozen=True)
class Checked:
    """A field's normalised value, or the polite reason it was not accepted."""

    value: Optional[str] = None
    problem: Optional[str] = None


def check_name(text: str, replies: Replies) -> Checked:
    name = one_line(text)
    if not name:
        return Checked(problem=replies.callback["name_missing"])
    if len(name) > MAX_NAME_LENGTH or len(name.split()) > 6 or re.search(r"[\d?@<>{}\[\]/\\]", name):
        return Checked(problem=replies.callback["name_unclear"])
    return Checked(value=name)


def check_uk_phone(text: str, replies: Replies, region: str = "GB") -> Checked:
    """A number in the clinic's region (clinic.yml `phone_region`: the UK), stored in E.164
    (+447700900123) so staff can dial it from anywhere."""
    problem = replies.callback["phone_invalid"]
    try:
        number = phonenumbers.parse((text or "").strip(), region)
    except phonenumbers.NumberParseException:
        return Checked(problem=problem)
    if not phonenumbers.is_valid_number(number) or phonenumbers.region_code_for_number(number) != region:
        return Checked(problem=problem)
    return Checked(value=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def display_phone(e164: str) -> str:
    """A stored E.164 number as the patient typed it: national format (an E.164 number needs no region)."""
    return phonenumbers.format_number(phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.NATIONAL)


def check_best_time(text: str, replies: Replies) -> Checked:
    value = one_line(text)
    if not value or len(value) > MAX_TIME_LENGTH:
        return Checked(problem=replies.callback["time_missing"])
    return Checked(value=value)


def check_topic(text: str, replies: Replies) -> Checked:
    value = one_line(text)
    if value.lower().strip(".! ") in SKIP_WORDS:
        return Checked(value=NO_TOPIC)
    if len(value) > MAX_TOPIC_LENGTH:
        return Checked(problem=fill(replies.callback["topic_too_long"], {"max_chars": str(MAX_TOPIC_LENGTH)}))
    return Checked(value=value or NO_TOPIC)


def field_to_change(text: str) -> Optional[str]:
    """Which field a patient wants to correct ("change my number"), if the text says."""
    words = set(re.findall(r"[a-z]+", (text or "").lower()))
    for field, keys in FIELD_WORDS.items():
        if words & set(keys):
            return field
    return None


def _say(template: str, clinic: ClinicSettings, replies: Replies, **values: str) -> str:
    """A sentence from replies.yml with the clinic's facts and these `values` filled in."""
    return fill(template, {**clinic_placeholders(clinic, replies), **values})


def field_label(field: str, replies: Replies) -> str:
    """How a call-back field is named to the patient: "phone number" for `callback_phone`."""
    return replies.callback_fields[field]["label"]


def availability_sentence(clinic: ClinicSettings, now: dt.datetime, replies: Replies) -> str:
    """Open now, closed now (and when it opens), or honestly unknown."""
    is_open = clinic.is_open(now)
    if is_open is None:
        return replies.handoff["hours_unknown"]
    if is_open:
        return replies.handoff["open_now"]
    opening = clinic.next_opening(now)
    if opening is None:
        return replies.handoff["closed_now"]
    return fill(replies.handoff["closed_until"], {"when": _when(opening, now, replies)})


def _when(opening: dt.datetime, now: dt.datetime, replies: Replies) -> str:
    """When the clinic next opens, as a patient would say it: today, tomorrow, or the day and date."""
    local_now = now.astimezone(opening.tzinfo)
    day = opening.date()
    values = {"time": f"{opening:%H:%M}", "day": f"{opening:%A %d %B}"}
    if day == local_now.date():
        return fill(replies.handoff["today_at"], values)
    if day == local_now.date() + dt.timedelta(days=1):
        return fill(replies.handoff["tomorrow_at"], values)
    return fill(replies.handoff["on_day_at"], values)


def handoff_text(clinic: ClinicSettings, now: dt.datetime, replies: Replies) -> str:
    """Talking to a person: the numbers when open, honest wording when closed, and the call-back offer."""
    offer = "offer_when_closed" if clinic.is_open(now) is False else "offer_otherwise"
    return " ".join(
        [
            availability_sentence(clinic, now, replies),
            _say(replies.handoff[offer], clinic, replies),
            replies.handoff["no_medical_details"],
        ]
    )


def what_happens_next(clinic: ClinicSettings, now: dt.datetime, best_time: str, replies: Replies) -> str:
    """What the patient is told after a call-back request is stored, and roughly when."""
    is_open = clinic.is_open(now)
    opening = clinic.next_opening(now) if is_open is False else None
    if is_open:
        when = replies.callback["seen_while_open"]
    elif opening is not None:
        when = fill(replies.callback["seen_once_open"], {"when": _when(opening, now, replies)})
    else:
        when = replies.callback["seen_when_next_open"]
    return _say(replies.callback["saved"], clinic, replies, when=when, best_time=best_time)


def consent_text(clinic: ClinicSettings, replies: Replies, privacy_url: str = "") -> str:
    """Explicit consent to store the details, with the clinic's privacy notice when it has one."""
    consent = _say(replies.callback["consent"], clinic, replies)
    if not privacy_url:
        return consent
    return f"{consent} {fill(replies.callback['privacy_link'], {'privacy_url': privacy_url})}"


def summary_text(name: str, phone: str, best_time: str, topic: str, replies: Replies) -> str:
    """The details read back before sending, one per line; a skipped topic is left out."""
    given: Dict[str, str] = {"callback_name": name, "callback_phone": display_phone(phone), "callback_time": best_time}
    if topic and topic != NO_TOPIC:
        given["callback_topic"] = topic
    lines = [fill(replies.callback_fields[field]["summary"], {"value": value}) for field, value in given.items()]
    return "\n".join([replies.callback["check_details"], *lines, replies.callback["is_this_right"]])


def change_buttons(replies: Replies) -> List[dict]:
    buttons = [{"title": replies.buttons["send_callback"], "payload": "/affirm"}]
    for field in CALLBACK_FIELDS:
        buttons.append(
            {
                "title": fill(replies.buttons["change_field"], {"field": field_label(field, replies)}),
                "payload": '/change_field{"field": "%s"}' % field,
            }
        )
    return buttons


STOP_REQUESTS_FILE = Path("conversation") / "stop_requests.yml"


@dataclass(frozen=True)
class StopRequests:
    """Decides whether a message in a form means "stop": a stop phrase and nothing but filler
    words. A name that merely contains "stop", "quit" or "never" is a name, not a command."""

    phrases: Tuple[Tuple[str, ...], ...]
    fillers: frozenset

    def is_stop_request(self, text: str) -> bool:
        words = re.sub(r"[^a-z ]+", " ", text.lower().replace("'", "").replace("\u2019", "")).split()
        if not words or len(words) > 12:
            return False
        for phrase in sorted(self.phrases, key=len, reverse=True):
            for start in range(len(words) - len(phrase) + 1):
                if tuple(words[start : start + len(phrase)]) == phrase:
                    rest = words[:start] + words[start + len(phrase) :]
                    return all(word in self.fillers for word in rest)
        return False


def load_stop_requests(folder: Optional[Path] = None) -> StopRequests:
    path = Path(folder or paths.KNOWLEDGE_DIR) / STOP_REQUESTS_FILE
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    phrases, fillers = data.get("phrases"), data.get("fillers")
    if (
        not isinstance(phrases, list)
        or not phrases
        or not isinstance(fillers, list)
        or not all(isinstance(word, str) for word in phrases + fillers)
    ):
        raise ValueError(f"{STOP_REQUESTS_FILE}: needs lists of quoted `phrases` and `fillers` (text only)")
    return StopRequests(
        phrases=tuple(tuple(str(p).lower().split()) for p in phrases),
        fillers=frozenset(str(f).lower() for f in fillers),
    )


@lru_cache(maxsize=1)
def default_stop_requests() -> StopRequests:
    return load_stop_requests(paths.KNOWLEDGE_DIR)
