"""Four Rasa 3.6 behaviours that have no setting, adjusted where the Rasa server starts (the channels).

- Rasa waits up to 5 minutes for the action server (`DEFAULT_REQUEST_TIMEOUT`, read at every call
  of a custom action): a patient must hear back within seconds, so it is shortened.
- Rasa checks every action server response with `jsonschema.validate`, which first validates
  Rasa's large events schema against the JSON Schema meta-schema, on every call. Profiled with
  py-spy under load, that was 62% of the Rasa server's CPU time per turn. The same schema is
  checked once and a compiled validator reused: the same responses pass and fail, with Rasa's own
  error message. Each event is first checked against the one kind of event it names: the schema's
  `oneOf` over 23 kinds otherwise tries every kind for every event (8% of the server's time).

- Rasa runs its model graph (the NLU pipeline, then the policies) through dask, which builds and
  orders a task graph on every run: twice a turn, about 12% of the server's time, for a dozen
  nodes that depend on one another in a line. `InThreadGraphRunner` calls the same nodes in
  dependency order in the calling thread, as dask's synchronous scheduler did.

- Rasa opens a new HTTP client session, and so a new TCP connection, for every call to the action
  server (`EndpointConfig.request` closes its session on the way out): connecting, and aiohttp
  building a session and connector, on every turn. `kept_session` gives each event loop one
  session per endpoint settings, kept open, whose idle connections are dropped before the action
  server's own keep-alive (Sanic: 5 s) would drop them, so a request never meets a half-closed one.

- Rasa's RulePolicy, to find the rules that match a conversation, walks back over every state of
  the conversation and filters all its rules at each one, although a rule (at most a few turns
  long) can no longer be ruled out once the walk is past its length, and re-reads each rule's
  JSON states at every step: `rule_keys_matching` stops there, on rules read once
  (`compiled_rule`), with the same set of rules.

One more is not a Rasa setting but Python's: `freeze_loaded_objects`, a listener the channels
register, keeps the garbage collector from walking the loaded model on every full collection, and
hands the memory freed while loading back to the system.

The five above are applied by `apply()`; `tests/test_rasa_tuning.py` checks that each keeps Rasa's
results. Remove this module when moving to a Rasa version with settings for them.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import gc
import json
import weakref
from functools import lru_cache
from typing import Any, Dict, List, Optional, Set, Text, Tuple

import aiohttp
import rasa.core.actions.action as rasa_actions
import rasa.core.policies.rule_policy as rasa_rule_policy
import rasa.core.processor as rasa_processor
import rasa.utils.endpoints as rasa_endpoints
from jsonschema import ValidationError
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.constants import PREVIOUS_ACTION, SHOULD_NOT_BE_SET

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


class InThreadGraphRunner(DaskGraphRunner):
    """Rasa's graph runner without dask: the same graph nodes, called in dependency order.

    Each node gets its parents' outputs as `(node name, output)` pairs, and an input placeholder
    its `(name, value)` pair, exactly as in the dask graph Rasa builds; a name that is neither is
    passed as it is, as dask does with a plain value.
    """

    def run(self, inputs: Optional[Dict[Text, Any]] = None, targets: Optional[List[Text]] = None) -> Dict[Text, Any]:
        run_targets = targets if targets else self._graph_schema.target_names
        values: Dict[Text, Any] = {}
        for name, value in (inputs or {}).items():
            if isinstance(value, str) and value in self._graph_schema.nodes:
                raise GraphRunError(
                    f"Input value '{value}' clashes with a node name. Make sure that none of the input names "
                    f"passed to the `run` method are the same as node names in the graph schema."
                )
            values[name] = (name, value)
        try:
            for name in self._execution_order(tuple(run_targets)):
                needs = self._graph_schema.nodes[name].needs.values()
                values[name] = self._instantiated_nodes[name](*(values.get(parent, parent) for parent in needs))
        except RuntimeError as error:
            raise GraphRunError("Error running runner.") from error
        return dict(values[target] for target in run_targets)

    def _execution_order(self, targets: Tuple[Text, ...]) -> List[Text]:
        """The nodes the targets need, each after every node it needs (computed once per target list)."""
        cache: Dict[Tuple[Text, ...], List[Text]] = self.__dict__.setdefault("_orders", {})
        if targets not in cache:
            nodes = self._graph_schema.minimal_graph_schema(list(targets)).nodes
            order: List[Text] = []

            def visit(name: Text) -> None:
                if name in nodes and name not in order:
                    for parent in nodes[name].needs.values():
                        visit(parent)
                    order.append(name)

            for name in nodes:
                visit(name)
            cache[targets] = order
        return cache[targets]


# Below the action server's keep-alive (Sanic's default 5 s): the client lets an idle connection go first.
IDLE_CONNECTION_SECONDS = 2.0

_SessionKey = Tuple[Tuple[Tuple[str, Any], ...], Tuple[Tuple[str, Any], ...]]
_sessions_by_loop: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Dict[_SessionKey, aiohttp.ClientSession]]" = (
    weakref.WeakKeyDictionary()
)


class _OpenSession:
    """What `async with endpoint.session()` enters: the kept session, left open on the way out."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self._session

    async def __aexit__(self, *exc_info: Any) -> None:
        return None


def kept_session(self: rasa_endpoints.EndpointConfig) -> _OpenSession:
    """Rasa's `EndpointConfig.session`, but one session per event loop and settings, reused.

    A session belongs to the loop it was made in, so each loop (the server's, a test's) has its
    own; one closed by anyone is replaced.
    """
    sessions = _sessions_by_loop.setdefault(asyncio.get_running_loop(), {})
    key: _SessionKey = (tuple(sorted(self.headers.items())), tuple(sorted(self.basic_auth.items())))
    session = sessions.get(key)
    if session is None or session.closed:
        auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"]) if self.basic_auth else None
        session = aiohttp.ClientSession(
            headers=self.headers,
            auth=auth,
            timeout=aiohttp.ClientTimeout(total=rasa_endpoints.DEFAULT_REQUEST_TIMEOUT),
            connector=aiohttp.TCPConnector(keepalive_timeout=IDLE_CONNECTION_SECONDS),
        )
        sessions[key] = session
    return _OpenSession(session)


def release_freed_memory() -> bool:
    """Hand the memory freed while loading back to the system (glibc's `malloc_trim`); False
    where the C library has no such call (not glibc).

    Why: loading the model parses and copies far more than it keeps, and glibc holds on to the freed
    pages. Measured on the Rasa server right after start: 882 MB resident without, 851 MB with.
    """
    name = ctypes.util.find_library("c")
    trim = getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None
    if trim is None:
        return False
    trim(0)
    return True


async def freeze_loaded_objects(*_server: Any) -> None:
    """Move everything loaded at start-up (the model, spaCy, TensorFlow) out of the garbage
    collector's reach; a Sanic listener for after the server has started, so after the model.

    Why: Python's full collections walk every live object, and the Rasa server holds millions that
    live as long as it does. Measured with `gc.callbacks` under `make bench`'s load, each full
    collection stopped the event loop for 250-310 ms, which every conversation in flight waited for
    (20 at once: p50 100-130 ms, p95 400-435 ms). Frozen objects are never collected; the ones a
    conversation creates still are. Then what loading freed goes back to the system.
    """
    gc.collect()
    gc.freeze()
    release_freed_memory()


async def close_kept_sessions(*_server: Any) -> None:
    """Close the running loop's kept sessions; a Sanic listener (it is given the app and the loop)."""
    for session in _sessions_by_loop.pop(asyncio.get_running_loop(), {}).values():
        await session.close()


# One check of a compiled rule state: (state type, key, the value it must have, whether it must be unset).
RuleCheck = Tuple[Text, Text, Any, bool]
# A rule state compiled: (whether it has a previous action, its checks); a rule: its states, latest first.
CompiledRule = Tuple[Tuple[bool, Tuple[RuleCheck, ...]], ...]


@lru_cache(maxsize=4096)
def compiled_rule(rule_key: Text) -> CompiledRule:
    """A rule key (RulePolicy's JSON of its states) read once into the checks `_does_rule_match_state`
    makes: Rasa re-reads the states and re-tests each value's kind for every rule, turn and prediction
    (the rule search was 14% of the server's CPU, most of it in that reading)."""
    compiled = []
    for rule_state in reversed(json.loads(rule_key)):
        checks: List[RuleCheck] = []
        for state_type, rule_sub_state in rule_state.items():
            for key, value in rule_sub_state.items():
                value = tuple(value) if isinstance(value, list) else value  # JSON turned tuples into lists
                if value == SHOULD_NOT_BE_SET:
                    checks.append((state_type, key, None, True))
                elif value:  # a value that is not set (None, False, 0) constrains nothing, as in Rasa
                    checks.append((state_type, key, value, False))
        compiled.append((bool(rule_state.get(PREVIOUS_ACTION)), tuple(checks)))
    return tuple(compiled)


def _state_matches(checks: Tuple[RuleCheck, ...], conversation_state: Dict[str, Any]) -> bool:
    for state_type, key, value, must_be_unset in checks:
        current = conversation_state.get(state_type, {}).get(key)
        if must_be_unset:
            if current and current != SHOULD_NOT_BE_SET:
                return False
        elif current != value:
            return False
    return True


def _rule_applies(rule: CompiledRule, turn_index: int, conversation_state: Dict[str, Any]) -> bool:
    """RulePolicy's `_is_rule_applicable` on a compiled rule, case by case in Rasa's order."""
    if turn_index >= len(rule):
        return True  # the walk is past the rule's start: nothing left to rule it out
    rule_has_previous_action, checks = rule[turn_index]
    has_previous_action = bool(conversation_state.get(PREVIOUS_ACTION))
    if not rule_has_previous_action and not has_previous_action:
        return True  # both are conversation starts
    if not rule_has_previous_action or not has_previous_action:
        return False
    return _state_matches(checks, conversation_state)


def rule_keys_matching(
    self: rasa_rule_policy.RulePolicy, lookup: Dict[Text, Text], states: List[Dict[str, Any]]
) -> Set[Text]:
    """RulePolicy's `_get_possible_keys` on compiled rules, walking back only as far as the longest
    rule reaches: `_is_rule_applicable` is true for every turn beyond a rule's length, so the rest of
    the walk could never remove a key."""
    rules = [(key, compiled_rule(key)) for key in lookup]
    reach = max((len(rule) for _, rule in rules), default=0)
    for turn_index, state in enumerate(reversed(states[-reach:] if reach else [])):
        rules = [(key, rule) for key, rule in rules if _rule_applies(rule, turn_index, state)]
    return {key for key, _ in rules}


def apply(action_timeout_seconds: float) -> None:
    rasa_actions.DEFAULT_REQUEST_TIMEOUT = action_timeout_seconds  # type: ignore[attr-defined]
    rasa_actions.RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
    rasa_processor.DaskGraphRunner = InThreadGraphRunner  # type: ignore[misc]
    rasa_endpoints.EndpointConfig.session = kept_session  # type: ignore[method-assign,assignment]
    rasa_rule_policy.RulePolicy._get_possible_keys = rule_keys_matching  # type: ignore[method-assign]


__all__ = [
    "InThreadGraphRunner",
    "ValidationError",
    "apply",
    "close_kept_sessions",
    "kept_session",
    "release_freed_memory",
    "compiled_rule",
    "rule_keys_matching",
    "validate_action_result",
]
