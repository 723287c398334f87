"""The adjusted Rasa behaviours (spinebot/rasa_tuning.py) keep Rasa's results."""

from __future__ import annotations

import jsonschema
import pytest
import rasa.core.actions.action as rasa_actions

from spinebot import rasa_tuning

GOOD = {
    "events": [{"event": "slot", "name": "subject", "value": "idd"}, {"event": "action", "name": "action_listen"}],
    "responses": [{"text": "hello"}],
}
BAD = [
    {"events": [{"event": "no_such_event"}]},
    {"events": "not a list"},
    {"responses": [1, 2]},
    {"events": [{"event": "slot"}]},
]


@pytest.fixture()
def tuned(monkeypatch):
    monkeypatch.setattr(
        rasa_actions.RemoteAction, "_validate_action_result", rasa_actions.RemoteAction._validate_action_result
    )
    monkeypatch.setattr(rasa_actions, "DEFAULT_REQUEST_TIMEOUT", rasa_actions.DEFAULT_REQUEST_TIMEOUT)
    original = rasa_actions.RemoteAction("action_answer", None)
    expected = {}
    for index, response in enumerate(BAD):
        with pytest.raises(jsonschema.ValidationError) as error:
            original._validate_action_result(response)
        expected[index] = error.value.message
    rasa_tuning.apply(3.0)
    return rasa_actions.RemoteAction("action_answer", None), expected


def test_valid_responses_pass_and_invalid_ones_fail_with_rasas_own_message(tuned):
    action, expected = tuned
    assert rasa_actions.RemoteAction._validate_action_result is rasa_tuning.validate_action_result
    assert action._validate_action_result(GOOD)
    for index, response in enumerate(BAD):
        with pytest.raises(jsonschema.ValidationError) as error:
            action._validate_action_result(response)
        assert error.value.message == expected[index]


def test_the_action_timeout_is_shortened(tuned):
    assert rasa_actions.DEFAULT_REQUEST_TIMEOUT == 3.0


ANSWER = {
    "events": [
        {"event": "slot", "timestamp": None, "name": "subject", "value": "idd"},
        {"event": "followup", "timestamp": None, "name": "action_listen"},
        {"event": "bot", "text": "IDD therapy is ...", "data": {"buttons": [{"title": "Yes", "payload": "/affirm"}]}},
        {"event": "user", "text": "hi", "parse_data": {"intent": {"name": "greet", "confidence": 0.9}, "entities": []}},
    ],
    "responses": [{"text": "IDD therapy is ...", "custom": {"kb_id": "idd_therapy"}}],
}
MORE_BAD = [
    {"events": [{"event": "slot", "name": 3}]},
    {"events": [{"event": "followup"}, "not an event"]},
    {"events": [{"name": "subject"}]},
    {"events": [{"event": 7}]},
    {"events": [{"event": "bot", "text": 5}]},
    {"events": [{"event": "user", "parse_data": {"entities": [{"entity": "subject"}]}}]},
    {"events": [{"event": "slot", "name": "subject", "timestamp": "yesterday"}]},
    {"events": None},
    "not an object",
]


@pytest.mark.parametrize("response", [GOOD, ANSWER, {}, {"events": []}] + BAD + MORE_BAD)
def test_checking_each_event_against_its_own_kind_accepts_exactly_what_rasas_schema_accepts(response):
    schema = rasa_actions.RemoteAction.action_response_format_spec()
    assert rasa_tuning.EventKindValidator(schema).accepts(response) == jsonschema.Draft202012Validator(schema).is_valid(
        response
    )
