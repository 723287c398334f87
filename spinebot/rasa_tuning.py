"""Two Rasa 3.6 behaviours that have no setting, adjusted where the Rasa server starts (the channels).

- Rasa waits up to 5 minutes for the action server (`DEFAULT_REQUEST_TIMEOUT`, read at every call
  of a custom action): a patient must hear back within seconds, so it is shortened.
- Rasa checks every action server response with `jsonschema.validate`, which first validates
  Rasa's large events schema against the JSON Schema meta-schema, on every call. Profiled with
  py-spy under load, that was 62% of the Rasa server's CPU time per turn. The same schema is
  checked once and a compiled validator reused: the same responses pass and fail, with Rasa's own
  error message.

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


def validate_action_result(self: Any, result: Dict[Text, Any]) -> bool:
    """Rasa's `RemoteAction._validate_action_result` with the validator compiled once."""
    error = best_match(_response_validator().iter_errors(result))  # as jsonschema.validate chooses
    if error is not None:
        error.message += RASA_VALIDATION_HINT
        raise error
    return True


def apply(action_timeout_seconds: float) -> None:
    rasa_actions.DEFAULT_REQUEST_TIMEOUT = action_timeout_seconds  # type: ignore[attr-defined]
    rasa_actions.RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]


__all__ = ["ValidationError", "apply", "validate_action_result"]
