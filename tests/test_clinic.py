"""Clinic settings: numbers validated and formatted, hours never invented, British time handled."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from spinebot.clinic import ClinicSettingsError, load_clinic_settings
from spinebot.replies import default_replies, opening_hours_sentence, phone_numbers_text

LONDON = ZoneInfo("Europe/London")


def write_settings(tmp_path, extra: str = "") -> object:
    path = tmp_path / "clinic.yml"
    path.write_text("name: Test Clinic\naddress: 1 Test Street\nphone_numbers:\n  - number: '020 3369 8747'\n" + extra)
    return load_clinic_settings(path)


def test_shipped_settings_load_with_published_numbers(clinic):
    assert clinic.name == "The Harley Street Spine Clinic"
    assert "144 Harley Street" in clinic.address
    assert "+442033698747" in [phone.e164 for phone in clinic.phone_numbers]
    assert "020 3369 8747" in phone_numbers_text(clinic, default_replies())


def test_hours_unknown_means_no_open_or_closed_claim(clinic):
    assert not clinic.hours_known
    assert clinic.is_open(dt.datetime(2026, 11, 23, 10, tzinfo=LONDON)) is None
    assert clinic.next_opening(dt.datetime(2026, 11, 23, 10, tzinfo=LONDON)) is None
    assert "don't have the clinic's opening hours" in opening_hours_sentence(clinic, default_replies())


def test_open_and_closed_with_hours_set_across_summer_time(tmp_path):
    settings = write_settings(tmp_path, "opening_hours:\n  monday: '09:00-17:00'\nholidays: ['2026-12-28']\n")
    # 08:30 UTC in July is 09:30 British Summer Time: open.
    assert settings.is_open(dt.datetime(2026, 7, 6, 8, 30, tzinfo=dt.timezone.utc)) is True
    # 08:30 UTC in January is 08:30 GMT: not yet open.
    assert settings.is_open(dt.datetime(2026, 1, 5, 8, 30, tzinfo=dt.timezone.utc)) is False
    assert settings.is_open(dt.datetime(2026, 12, 28, 10, tzinfo=LONDON)) is False  # holiday
    nxt = settings.next_opening(dt.datetime(2026, 12, 28, 10, tzinfo=LONDON))
    assert nxt == dt.datetime(2027, 1, 4, 9, tzinfo=LONDON)


@pytest.mark.parametrize(
    "extra, problem",
    [
        ("opening_hours:\n  funday: '09:00-17:00'\n", "not a weekday"),
        ("opening_hours:\n  monday: '9 till 5'\n", "HH:MM-HH:MM"),
        ("opening_hours:\n  monday: '17:00-09:00'\n", "opens after it closes"),
        ("timezone: Mars/Olympus\n", "timezone"),
        ("phone_region: XX\n", "phone_region 'XX'"),
    ],
)
def test_bad_settings_are_rejected_clearly(tmp_path, extra, problem):
    with pytest.raises(ClinicSettingsError, match=problem):
        write_settings(tmp_path, extra)


def test_invalid_phone_number_is_rejected(tmp_path):
    path = tmp_path / "clinic.yml"
    path.write_text("name: X\naddress: Y\nphone_numbers: ['0845 12']\n")
    with pytest.raises(ClinicSettingsError, match="phone_numbers"):
        load_clinic_settings(path)


def test_retention_period_is_a_setting_and_is_checked(tmp_path):
    assert load_clinic_settings().retention_days == 365
    path = tmp_path / "clinic.yml"
    path.write_text("name: X\naddress: Y\nphone_numbers: [{number: '020 3369 8747'}]\nretention_days: 0\n")
    with pytest.raises(ClinicSettingsError, match="retention_days"):
        load_clinic_settings(path)


def test_set_hours_and_labelled_numbers_are_worded_from_the_replies_file(tmp_path):
    settings = write_settings(
        tmp_path,
        "  - number: '020 7000 0000'\n    label: main line\nopening_hours:\n  monday: '09:00-17:00'\n"
        "  friday: '09:30-13:00'\n",
    )
    replies = default_replies()
    assert opening_hours_sentence(settings, replies) == "Opening hours: Monday 09:00-17:00, Friday 09:30-13:00."
    assert phone_numbers_text(settings, replies) == "020 3369 8747 or 020 7000 0000 (main line)"
