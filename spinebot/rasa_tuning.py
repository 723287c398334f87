"""Two Rasa 3.6 behaviours that have no setting, adjusted where the Rasa server starts (the channels).

- Rasa waits up to 5 minutes for the action server (`DEFAULT_REQUEST_TIMEOUT`, read at every call
  of a custom action): a patient must hear back within seconds, so it is shortened.
- Rasa checks every action server response with `jsonschema.validate`, which first validates
  Rasa's large events schema against the JSON Schema meta-schema, on every call. Profiled with
  py-spy under load, that was 62% of the Rasa server's CPU time per turn. The same schema is
  checked once and a compiled validator reused: the same responses pass and fail, with Rasa's own
  error message. Each event is first checked against the one kind of event it names: the schema's
  `oneOf` over 23 kinds otherwise tries every kind for every event (8% of the server's time).

Both are applied by `apply()`; `tests/test_rasa_tuning.py` checks that the validation keeps Rasa's
behaviour. Remove this module when moving to a Rasa version with settings for either.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, Text

import rasa.core.actions.action as rasa_actions
from jsonschema import ValidationError
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for

RASA_VALIDATION_HINT = (
    ". Failed to validate Action server response from API, make sure your response from the "
    "Action endpoint is valid. For more information about the format visit "
    f"{rasa_actions.DOCS_BASE_URL}/custom-actions"
)


@lru_cache(maxsize=1)
def _response_validator() -> Any:
    schema = rasa_actions.RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)  # once, as jsonschema.validate would on every call
    return validator_class(schema)


class EventKindValidator:
    """Accepts a response only when Rasa's schema accepts it, checking each event against its own kind.

    Every alternative of the events' `oneOf` fixes the `event` name with `const`, so an event can
    match no alternative but its own: "valid against its own kind" is exactly "valid against the
    oneOf". What this cannot accept goes to the full validator, which gives Rasa's error.
    """

    def __init__(self, schema: Dict[str, Any]) -> None:
        events = schema["properties"]["events"]
        item = dict(events["items"])
        kinds = item.pop("oneOf")
        validator_class = validator_for(schema)
        self._by_kind = {
            kind["properties"]["event"]["const"]: validator_class({**item, "allOf": [kind]}) for kind in kinds
        }
        envelope = {**schema, "properties": {**schema["properties"], "events": {"type": events["type"]}}}
        self._envelope = validator_class(envelope)

    def accepts(self, result: Any) -> bool:
        if not self._envelope.is_valid(result):
            return False
        for event in result.get("events") or []:
            kind = self._by_kind.get(event.get("event")) if isinstance(event, dict) else None
            if kind is None or not kind.is_valid(event):
                return False
        return True


@lru_cache(maxsize=1)
def _event_kind_validator() -> EventKindValidator:
    return EventKindValidator(rasa_actions.RemoteAction.action_response_format_spec())


def validate_action_result(self: Any, result: Dict[Text, Any]) -> bool:
    """Rasa's `RemoteAction._validate_action_result`, with the validator compiled once."""
    if _event_kind_validator().accepts(result):
        return True
    error = best_match(_response_validator().iter_errors(result))  # as jsonschema.validate chooses
    if error is not None:
        error.message += RASA_VALIDATION_HINT
        raise error
    return True


def apply(action_timeout_seconds: float) -> None:
    rasa_actions.DEFAULT_REQUEST_TIMEOUT = action_timeout_seconds  # type: ignore[attr-defined]
    rasa_actions.RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]


__all__ = ["ValidationError", "apply", "validate_action_result"]
