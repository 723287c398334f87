"""Clinic settings: name, address, telephone numbers and (when the clinic sets them) opening hours.

These facts live in one file (`clinic.yml`) so that staff correct a phone number once and every
answer follows. Opening hours are not in the source documents, so the assistant only speaks of
"open now" or "closed now" when they have been filled in; it never guesses.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Tuple
from zoneinfo import ZoneInfo

import phonenumbers
import yaml

from spinebot import paths

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class ClinicSettingsError(ValueError):
    """The clinic settings file is malformed; the message names the field."""


@dataclass(frozen=True)
class PhoneNumber:
    """A published number, kept in E.164 for links and shown in the UK national format."""

    e164: str
    display: str
    label: str = ""


@dataclass(frozen=True)
class ClinicSettings:
    name: str
    address: str
    phone_numbers: Tuple[PhoneNumber, ...]
    email: str = ""
    privacy_notice_url: str = ""
    timezone: str = "Europe/London"
    # Where the clinic's and the patients' numbers are read as national numbers (phonenumbers region).
    phone_region: str = "GB"
    # How long conversations, call-back requests and feedback are kept (`spinebot purge`).
    retention_days: int = 365
    opening_hours: Dict[str, Tuple[dt.time, dt.time]] = field(default_factory=dict)
    holidays: Tuple[dt.date, ...] = ()

    @property
    def hours_known(self) -> bool:
        return bool(self.opening_hours)

    def is_open(self, moment: dt.datetime) -> Optional[bool]:
        """Whether the clinic is open at `moment`, or None when the hours have not been set."""
        if not self.hours_known:
            return None
        local = moment.astimezone(ZoneInfo(self.timezone))
        if local.date() in self.holidays:
            return False
        hours = self.opening_hours.get(WEEKDAYS[local.weekday()])
        return hours is not None and hours[0] <= local.time() < hours[1]

    def next_opening(self, moment: dt.datetime) -> Optional[dt.datetime]:
        """When the clinic next opens after `moment` (local time), or None if unknown."""
        if not self.hours_known:
            return None
        zone = ZoneInfo(self.timezone)
        local = moment.astimezone(zone)
        for days_ahead in range(0, 15):
            day = local.date() + dt.timedelta(days=days_ahead)
            hours = self.opening_hours.get(WEEKDAYS[day.weekday()])
            if not hours or day in self.holidays:
                continue
            opening = dt.datetime.combine(day, hours[0], tzinfo=zone)
            if opening > local:
                return opening
        return None

    def hours_by_day(self) -> List[Tuple[str, dt.time, dt.time]]:
        """The opening hours in weekday order, for wording to present (replies.yml)."""
        return [(day, hours[0], hours[1]) for day in WEEKDAYS if (hours := self.opening_hours.get(day))]


def _parse_phone(raw: object, index: int, region: str) -> PhoneNumber:
    if isinstance(raw, str):
        raw = {"number": raw}
    if not isinstance(raw, dict) or not isinstance(raw.get("number"), str):
        raise ClinicSettingsError(f"phone_numbers[{index}]: needs a `number`")
    try:
        parsed = phonenumbers.parse(raw["number"], region)
    except phonenumbers.NumberParseException as error:
        raise ClinicSettingsError(f"phone_numbers[{index}]: {error}") from error
    if not phonenumbers.is_valid_number(parsed):
        raise ClinicSettingsError(f"phone_numbers[{index}]: '{raw['number']}' is not a valid number")
    return PhoneNumber(
        e164=phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164),
        display=phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL),
        label=str(raw.get("label", "")),
    )


def _parse_hours(raw: object) -> Dict[str, Tuple[dt.time, dt.time]]:
    if not raw:
        return {}
    if not isinstance(raw, dict):
        raise ClinicSettingsError("opening_hours: must map weekdays to 'HH:MM-HH:MM'")
    hours = {}
    for day, span in raw.items():
        if str(day).lower() not in WEEKDAYS:
            raise ClinicSettingsError(f"opening_hours.{day}: not a weekday")
        try:
            start_text, end_text = str(span).split("-")
            start, end = dt.time.fromisoformat(start_text.strip()), dt.time.fromisoformat(end_text.strip())
        except ValueError as error:
            raise ClinicSettingsError(f"opening_hours.{day}: '{span}' is not 'HH:MM-HH:MM'") from error
        if start >= end:
            raise ClinicSettingsError(f"opening_hours.{day}: opens after it closes")
        hours[str(day).lower()] = (start, end)
    return hours


def load_clinic_settings(path: Optional[Path] = None) -> ClinicSettings:
    """Read and validate the clinic settings file."""
    path = Path(path or paths.CLINIC_FILE)
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    for name in ("name", "address", "phone_numbers"):
        if not data.get(name):
            raise ClinicSettingsError(f"{path.name}: `{name}` is required")
    timezone = str(data.get("timezone") or "Europe/London")
    try:
        ZoneInfo(timezone)
    except Exception as error:  # zoneinfo raises several types for bad keys
        raise ClinicSettingsError(f"{path.name}: timezone '{timezone}' is unknown") from error
    region = str(data.get("phone_region") or "GB").upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ClinicSettingsError(f"{path.name}: phone_region '{region}' is not a region phonenumbers knows")
    holidays = tuple(
        day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day)) for day in data.get("holidays") or []
    )
    return ClinicSettings(
        name=str(data["name"]),
        address=str(data["address"]),
        phone_numbers=tuple(_parse_phone(raw, index, region) for index, raw in enumerate(data["phone_numbers"])),
        phone_region=region,
        email=str(data.get("email") or ""),
        privacy_notice_url=str(data.get("privacy_notice_url") or ""),
        timezone=timezone,
        opening_hours=_parse_hours(data.get("opening_hours")),
        holidays=holidays,
        retention_days=_retention_days(path, data.get("retention_days", 365)),
    )


def _retention_days(path: Path, raw: object) -> int:
    if not isinstance(raw, int) or isinstance(raw, bool) or raw < 1:
        raise ClinicSettingsError(f"{path.name}: retention_days must be a whole number of days, 1 or more")
    return raw


@lru_cache(maxsize=1)
def default_clinic_settings() -> ClinicSettings:
    """The project's clinic settings, read once per process."""
    return load_clinic_settings(paths.CLINIC_FILE)
