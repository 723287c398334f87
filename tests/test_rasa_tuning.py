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
