"""The gate in front of Rasa's channels (spinebot/channels.py), piece by piece; tests/test_hardening.py
drives the same code through the real servers."""

from __future__ import annotations

import pytest

from spinebot.channels import GateSettings, Rate, RateLimiter, neutralise_payload, offered_payloads


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_rate_limit_allows_a_burst_then_refills_at_its_rate():
    clock = Clock()
    limiter = RateLimiter(Rate(burst=3, per_minute=30), clock=clock)
    assert [limiter.allow("a") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("b")  # another sender has a bucket of its own
    clock.now += 2.0  # 30 a minute: one message every 2 seconds
    assert limiter.allow("a") and not limiter.allow("a")


def test_rate_limiter_forgets_the_oldest_senders_first():
    limiter = RateLimiter(Rate(1, 1), max_keys=2, clock=Clock())
    assert limiter.allow("a") and limiter.allow("b") and limiter.allow("c")
    assert limiter.allow("a")  # "a" was forgotten, so it starts with a full bucket
    assert not limiter.allow("c")


@pytest.mark.parametrize("text, expected", [("8/30", Rate(8, 30.0)), ("5", Rate(5, 5.0)), ("off", None)])
def test_rate_settings_are_parsed(text, expected):
    assert Rate.parse(text) == expected


def test_bad_rate_settings_are_refused_with_the_setting_named():
    with pytest.raises(ValueError, match="'0/10'"):
        Rate.parse("0/10")


def test_settings_come_from_the_environment():
    settings = GateSettings.from_env(
        {
            "SPINEBOT_MAX_MESSAGE_CHARS": "500",
            "SPINEBOT_RATE_PER_ADDRESS": "off",
            "SPINEBOT_CORS_ORIGINS": "https://clinic.example https://www.clinic.example",
        }
    )
    assert settings.max_message_chars == 500 and settings.address_rate is None
    assert settings.sender_rate == GateSettings().sender_rate
    assert settings.origin_allowed("https://www.clinic.example") and not settings.origin_allowed("https://evil.example")
    assert settings.origin_allowed(None)  # not a browser: CORS does not apply


def test_only_payloads_the_bot_offers_are_obeyed(knowledge):
    offered = offered_payloads(knowledge)
    assert (
        "/idd_therapy" in offered
        and "/request_callback" in offered
        and '/change_field{"field": "callback_phone"}' in offered
    )
    assert '/feedback_negative{"kb_id":"idd_therapy"}' in offered and "/greet" in offered  # the widget's own
    assert '/feedback_negative{"kb_id":"no_such_entry"}' not in offered
    assert '/change_field{"field": "callback_phone", "callback_phone": "+447700900999"}' not in offered
    assert '/change_field{"field": ["callback_phone"]}' not in offered and "/change_field{" not in offered
    assert neutralise_payload("/idd_therapy", offered) == "/idd_therapy"
    assert neutralise_payload("/restart", offered) == "restart"
    assert (
        neutralise_payload('/request_callback{"callback_phone": "+447700900999"}', offered)
        == 'request_callback{"callback_phone": "+447700900999"}'
    )
    assert neutralise_payload("//urgent_emergency", offered) == "urgent_emergency"
    assert neutralise_payload("/", offered) == "?"
    assert neutralise_payload("what is IDD?", offered) == "what is IDD?"
