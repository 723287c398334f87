"""The adjusted Rasa behaviours (spinebot/rasa_tuning.py) keep Rasa's results."""

from __future__ import annotations

import json
import random

import jsonschema
import pytest
import rasa.core.actions.action as rasa_actions
import rasa.core.processor as rasa_processor
from rasa.core.policies.rule_policy import RulePolicy

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
    monkeypatch.setattr(rasa_processor, "DaskGraphRunner", rasa_processor.DaskGraphRunner)
    monkeypatch.setattr(RulePolicy, "_get_possible_keys", RulePolicy._get_possible_keys)
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


def test_the_server_loads_its_model_with_the_in_thread_runner(tuned):
    assert rasa_processor.DaskGraphRunner is rasa_tuning.InThreadGraphRunner


def test_the_in_thread_runner_gives_the_results_dask_gives(tmp_path):
    """The trained model's NLU graph and policy graph, run by both runners on the held-out questions
    and a conversation: the same parse (intent ranking, entities, safety, scope) and predictions."""
    import yaml
    from rasa.core.channels.channel import UserMessage
    from rasa.engine.constants import PLACEHOLDER_MESSAGE, PLACEHOLDER_TRACKER
    from rasa.engine.loader import load_predict_graph_runner
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from spinebot import paths

    (tmp_path / "dask").mkdir()
    (tmp_path / "thread").mkdir()
    metadata, dask_runner = load_predict_graph_runner(
        tmp_path / "dask", paths.MODEL_FILE, LocalModelStorage, DaskGraphRunner
    )
    _, thread_runner = load_predict_graph_runner(
        tmp_path / "thread", paths.MODEL_FILE, LocalModelStorage, rasa_tuning.InThreadGraphRunner
    )
    heldout = yaml.safe_load((paths.PROJECT_ROOT / "tests" / "nlu_heldout.yml").read_text())["nlu"]
    texts = [line[2:] for block in heldout for line in block["examples"].splitlines() if line.startswith("- ")]
    texts = texts[::5] + ["", "I can't feel my legs and I've wet myself", "what's the weather"]
    events = [ActionExecuted("action_listen")]
    for text in texts:
        parsed = []
        for runner in (dask_runner, thread_runner):
            tracker = DialogueStateTracker.from_events("patient", events, slots=metadata.domain.slots)
            message = UserMessage(text, sender_id="patient")
            output = runner.run(
                inputs={PLACEHOLDER_MESSAGE: [message], PLACEHOLDER_TRACKER: tracker}, targets=[metadata.nlu_target]
            )
            parsed.append(output[metadata.nlu_target][0].as_dict(only_output_properties=True))
        assert parsed[0] == parsed[1], text
        turn = events + [UserUttered(text, parsed[0].get("intent"), parsed[0].get("entities"), parsed[0])]
        predictions = []
        for runner in (dask_runner, thread_runner):
            tracker = DialogueStateTracker.from_events("patient", turn, slots=metadata.domain.slots)
            prediction = runner.run(inputs={PLACEHOLDER_TRACKER: tracker}, targets=[metadata.core_target])
            predictions.append(prediction[metadata.core_target])
        assert predictions[0].probabilities == predictions[1].probabilities, text
        assert predictions[0].policy_name == predictions[1].policy_name, text
        events = turn + [ActionExecuted(metadata.domain.action_names_or_texts[predictions[0].max_confidence_index])]
        events.append(ActionExecuted("action_listen"))


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


def _echo_server_app(peers: list):
    from aiohttp import web

    async def echo(request):
        peers.append(request.transport.get_extra_info("peername")[1])
        if request.query.get("fail"):
            return web.json_response({"error": "no"}, status=500)
        return web.json_response({"got": await request.json()})

    app = web.Application()
    app.router.add_post("/webhook", echo)
    return app


def test_calls_to_an_endpoint_reuse_one_connection_and_survive_a_restarted_server(monkeypatch):
    """Rasa's answers and errors are unchanged; the connection is reused; a restart costs nothing."""
    import asyncio

    from aiohttp import web
    from rasa.utils.endpoints import ClientResponseError, EndpointConfig

    from spinebot.local_servers import free_port

    monkeypatch.setattr(EndpointConfig, "session", rasa_tuning.kept_session)
    port, peers = free_port(), []

    async def serve():
        runner = web.AppRunner(_echo_server_app(peers))
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        return runner

    async def scenario():
        endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook")
        runner = await serve()
        answers = [await endpoint.request(json={"n": n}, method="post") for n in range(3)]
        with pytest.raises(ClientResponseError):
            await endpoint.request(json={}, method="post", params={"fail": "1"})
        await runner.cleanup()  # the action server restarts
        runner = await serve()
        after_restart = await endpoint.request(json={"n": 9}, method="post")
        await runner.cleanup()
        return answers, after_restart

    answers, after_restart = asyncio.run(scenario())
    assert answers == [{"got": {"n": n}} for n in range(3)]
    assert after_restart == {"got": {"n": 9}}
    assert len(set(peers[:4])) == 1, "the first four calls should share one connection"
    assert peers[4] != peers[0]


def random_state(rng: random.Random) -> dict:
    """A conversation state as RulePolicy sees one: previous action, user intent, slots, loop."""
    state: dict = {"prev_action": {"action_name": rng.choice(["action_listen", "action_answer", "utter_greet"])}}
    if rng.random() < 0.7:
        state["user"] = {"intent": rng.choice(["greet", "ask", "thanks", "cancel"])}
    if rng.random() < 0.3:
        state["slots"] = {"subject": (rng.choice([0.0, 1.0]),)}
    if rng.random() < 0.2:
        state["active_loop"] = {"name": rng.choice(["callback_form", "should_not_be_set"])}
    if rng.random() < 0.3:  # values that must be unset, and unset values, which constrain nothing
        state.setdefault("slots", {})["name"] = rng.choice(["should_not_be_set", (1.0,), (0.0,), None, 0.0])
    if rng.random() < 0.1:
        state = {}  # a conversation start
    return state


def test_the_rule_walk_stops_at_the_longest_rule_and_finds_the_same_rules():
    rng = random.Random(24)
    policy = object.__new__(RulePolicy)  # both walks use only RulePolicy's static rule matching
    rules = {json.dumps([random_state(rng) for _ in range(rng.randint(1, 4))], sort_keys=True): "x" for _ in range(150)}
    found_some = 0
    for _ in range(400):
        states = [random_state(rng) for _ in range(rng.randint(0, 30))]
        expected = RulePolicy._get_possible_keys(policy, rules, states)
        assert rasa_tuning.rule_keys_matching(policy, rules, states) == expected
        found_some += bool(expected) and expected != set(rules)
    assert found_some > 20  # the conversations did rule some rules in and others out


def test_objects_loaded_at_start_are_frozen_out_of_the_collectors_reach():
    import asyncio
    import gc

    from spinebot.channels import GatedRestInput

    blueprint = GatedRestInput().blueprint(lambda message: None)
    listeners = [future.listener for future in blueprint._future_listeners if future.event == "after_server_start"]
    assert rasa_tuning.freeze_loaded_objects in listeners
    kept = [object() for _ in range(1000)]
    try:
        asyncio.run(rasa_tuning.freeze_loaded_objects())
        assert gc.get_freeze_count() >= len(kept)
        assert rasa_tuning.release_freed_memory()  # glibc, as on every machine this runs on
    finally:
        gc.unfreeze()
