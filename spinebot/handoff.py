"""Handing over to a person: opening-hours wording, the call-back request's fields, and what the
patient is told.

Kept apart from Rasa so that every wording (in hours, out of hours, hours unknown) is tested with
an injected clock, and every field's validation with plain strings.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import List, Optional, Tuple

import phonenumbers
import yaml

from spinebot import paths
from spinebot.clinic import ClinicSettings

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
FIELD_LABELS = {
    "callback_name": "name",
    "callback_phone": "phone number",
    "callback_time": "best time to call",
    "callback_topic": "what it is about",
}


@dataclass(frozen=True)
class Checked:
    """A field's normalised value, or the polite reason it was not accepted."""

    value: Optional[str] = None
    problem: Optional[str] = None


def check_name(text: str) -> Checked:
    name = re.sub(r"\s+", " ", (text or "").strip())
    if not name:
        return Checked(problem="I didn't catch your name. What name should the team ask for?")
    if len(name) > MAX_NAME_LENGTH or len(name.split()) > 6 or re.search(r"[\d?@<>{}\[\]/\\]", name):
        return Checked(problem="That doesn't look like a name. Please type just the name the team should "
                               "ask for, or say \"cancel\" to stop.")
    return Checked(value=name)


def check_uk_phone(text: str) -> Checked:
    """A UK number, stored in E.164 (+447700900123) so staff can dial it from anywhere."""
    problem = ("That doesn't look like a UK phone number. Please type a UK mobile or landline number, "
               "for example 07912 345678 or 020 7946 0123.")
    try:
        number = phonenumbers.parse((text or "").strip(), "GB")
    except phonenumbers.NumberParseException:
        return Checked(problem=problem)
    if not phonenumbers.is_valid_number(number) or phonenumbers.region_code_for_number(number) != "GB":
        return Checked(problem=problem)
    return Checked(value=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def display_phone(e164: str) -> str:
    return phonenumbers.format_number(phonenumbers.parse(e164, "GB"), phonenumbers.PhoneNumberFormat.NATIONAL)


def check_best_time(text: str) -> Checked:
    value = re.sub(r"\s+", " ", (text or "").strip())
    if not value or len(value) > MAX_TIME_LENGTH:
        return Checked(problem="When is the best time to call you? For example \"weekday mornings\" or \"after 2pm\".")
    return Checked(value=value)


def check_topic(text: str) -> Checked:
    value = re.sub(r"\s+", " ", (text or "").strip())
    if value.lower().strip(".! ") in SKIP_WORDS:
        return Checked(value=NO_TOPIC)
    if len(value) > MAX_TOPIC_LENGTH:
        return Checked(problem=f"Please keep it short (under {MAX_TOPIC_LENGTH} characters), "
                               "and leave out personal medical details.")
    return Checked(value=value or NO_TOPIC)


def field_to_change(text: str) -> Optional[str]:
    """Which field a patient wants to correct ("change my number"), if the text says."""
    words = set(re.findall(r"[a-z]+", (text or "").lower()))
    for field, keys in FIELD_WORDS.items():
        if words & set(keys):
            return field
    return None


def availability_sentence(clinic: ClinicSettings, now: dt.datetime) -> str:
    """Open now, closed now (and when it opens), or honestly unknown."""
    is_open = clinic.is_open(now)
    if is_open is None:
        return "I don't have the clinic's opening hours, so I can't say whether the team is available right now."
    if is_open:
        return "The clinic is open now."
    opening = clinic.next_opening(now)
    if opening is None:
        return "The clinic is closed now."
    return f"The clinic is closed now. It opens again {_when(opening, now)}."


def _when(opening: dt.datetime, now: dt.datetime) -> str:
    local_now = now.astimezone(opening.tzinfo)
    day = opening.date()
    if day == local_now.date():
        return f"today at {opening:%H:%M}"
    if day == local_now.date() + dt.timedelta(days=1):
        return f"tomorrow at {opening:%H:%M}"
    return f"on {opening:%A %d %B} at {opening:%H:%M}"


NO_MEDICAL_DETAILS = "Please don't type personal medical details into this chat."


def handoff_text(clinic: ClinicSettings, now: dt.datetime) -> str:
    """Talking to a person: the numbers when open, honest wording when closed, and the call-back offer."""
    availability = availability_sentence(clinic, now)
    is_open = clinic.is_open(now)
    if is_open is False:
        return (f"{availability} You can leave a call-back request here and the team will call you "
                f"when the clinic is open. Their numbers are {clinic.phone_text}. {NO_MEDICAL_DETAILS}")
    return (f"{availability} To speak to the team or book an appointment, phone {clinic.phone_text}, "
            f"or leave a call-back request here. {NO_MEDICAL_DETAILS}")


def what_happens_next(clinic: ClinicSettings, now: dt.datetime, best_time: str) -> str:
    """What the patient is told after a call-back request is stored, and roughly when."""
    is_open = clinic.is_open(now)
    if is_open is None:
        when = "when the clinic is next open"
    elif is_open:
        when = "while the clinic is open"
    else:
        opening = clinic.next_opening(now)
        when = f"once the clinic opens ({_when(opening, now)})" if opening else "when the clinic is next open"
    return (f"Thank you, your request is saved. The clinic's team will see it {when} and try to call "
            f"you at the time you asked for ({best_time}). If you need help sooner, call "
            f"{clinic.phone_text}. In an emergency, call 999.")


def consent_text(clinic: ClinicSettings, privacy_url: str = "") -> str:
    link = f" More about how the clinic uses personal details: {privacy_url}" if privacy_url else ""
    return (f"Last step: may {clinic.name} store your name, phone number, the time to call and the topic, "
            "only to call you back about this request? The clinic's staff can see them; you can ask "
            f"the clinic to delete them at any time by phoning.{link}")


def summary_text(name: str, phone: str, best_time: str, topic: str) -> str:
    lines = [f"Name: {name}", f"Phone: {display_phone(phone)}", f"Best time: {best_time}"]
    if topic and topic != NO_TOPIC:
        lines.append(f"About: {topic}")
    return "Please check your details:\n" + "\n".join(lines) + "\nIs this right?"


def change_buttons() -> List[dict]:
    buttons = [{"title": "Yes, send it", "payload": "/affirm"}]
    for field in CALLBACK_FIELDS:
        buttons.append({"title": f"Change {FIELD_LABELS[field]}",
                        "payload": '/change_field{"field": "%s"}' % field})
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
                if tuple(words[start:start + len(phrase)]) == phrase:
                    rest = words[:start] + words[start + len(phrase):]
                    return all(word in self.fillers for word in rest)
        return False


def load_stop_requests(folder: Optional[Path] = None) -> StopRequests:
    path = Path(folder or paths.KNOWLEDGE_DIR) / STOP_REQUESTS_FILE
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    phrases, fillers = data.get("phrases"), data.get("fillers")
    if not isinstance(phrases, list) or not phrases or not isinstance(fillers, list) \
            or not all(isinstance(word, str) for word in phrases + fillers):
        raise ValueError(f"{STOP_REQUESTS_FILE}: needs lists of quoted `phrases` and `fillers` (text only)")
    return StopRequests(phrases=tuple(tuple(str(p).lower().split()) for p in phrases),
                        fillers=frozenset(str(f).lower() for f in fillers))


@lru_cache(maxsize=1)
def default_stop_requests() -> StopRequests:
    return load_stop_requests(paths.KNOWLEDGE_DIR)
