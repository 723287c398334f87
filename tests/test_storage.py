"""The project's own tables against a real SQLite file, and PostgreSQL when a URL is given
(SPINEBOT_TEST_POSTGRES_URL=postgresql://user:pass@localhost/spinebot_test)."""

from __future__ import annotations

import os

import pytest

from spinebot import paths
from spinebot.storage import CallbackDetails, CallbackStatus, Store, database_url

POSTGRES_URL = os.environ.get("SPINEBOT_TEST_POSTGRES_URL", "")


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'spinebot.db'}"
    if not POSTGRES_URL:
        pytest.skip("set SPINEBOT_TEST_POSTGRES_URL to run the storage tests against PostgreSQL")
    import sqlalchemy as sa

    store = Store(POSTGRES_URL)
    # Every project table, including those of modules this test does not import (the console's).
    with store.engine.begin() as connection:
        for table in sa.inspect(connection).get_table_names():
            if table.startswith("spinebot_"):
                connection.execute(sa.text(f'DROP TABLE IF EXISTS "{table}" CASCADE'))
    return POSTGRES_URL


def test_callback_requests_are_written_read_back_and_survive_a_restart(url):
    details = CallbackDetails(name="Jane Smith", phone="+447912345678", best_time="afternoon", topic="revision surgery")
    first = Store(url)
    first_id = first.add_callback("patient-1", details)
    second_id = first.add_callback("patient-1", details)  # a second submission is kept too
    first.engine.dispose()
    restarted = Store(url)  # a new engine, as after an action-server restart
    stored = restarted.callbacks(sender_id="patient-1")
    assert [r.id for r in stored] == [first_id, second_id]
    assert stored[0].phone == "+447912345678" and stored[0].status == "new" and stored[0].consent_given_at
    restarted.set_callback_status(first_id, CallbackStatus.CONTACTED)
    assert [r.id for r in restarted.callbacks(status=CallbackStatus.NEW)] == [second_id]
    assert [r.id for r in restarted.callbacks(status=CallbackStatus.CONTACTED)] == [first_id]


def test_feedback_is_stored_per_answer(url):
    store = Store(url)
    store.add_feedback("patient-1", "idd_therapy", True)
    store.add_feedback("patient-2", "idd_therapy", False)
    store.add_feedback("patient-2", "costs", False)
    assert [f.helpful for f in Store(url).feedback("idd_therapy")] == [True, False]


def test_unknown_request_id_is_an_error(url):
    with pytest.raises(KeyError):
        Store(url).set_callback_status(999999, CallbackStatus.CLOSED)


def test_database_url_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SPINEBOT_DATABASE_URL", "postgres://u:p@db/spinebot")
    assert database_url() == "postgresql://u:p@db/spinebot"
    monkeypatch.delenv("SPINEBOT_DATABASE_URL")
    monkeypatch.setenv("SPINEBOT_DATA_DIR", str(tmp_path))
    assert database_url() == f"sqlite:///{tmp_path / 'spinebot.db'}"


def test_database_errors_never_carry_what_the_patient_typed(url):
    """hide_parameters: an error (and so the log line about it) names the statement, not the values."""
    import sqlalchemy as sa

    store = Store(url)
    with store.engine.begin() as connection:
        connection.execute(sa.text("DROP TABLE IF EXISTS spinebot_callback_status_changes"))
        connection.execute(sa.text("DROP TABLE spinebot_callback_requests"))
    with pytest.raises(sa.exc.DBAPIError) as error:
        store.add_callback("patient-9", CallbackDetails(name="Zelda Quist", phone="+447700900123", best_time="noon"))
    message = str(error.value)
    assert "Zelda" not in message and "+447700900123" not in message and "hidden" in message


def test_the_tracker_store_hides_parameters_too(tmp_path):
    from spinebot.tracker_store import EnvSQLTrackerStore

    assert EnvSQLTrackerStore(host=f"sqlite:///{tmp_path / 'tracker.db'}").engine.hide_parameters


def test_the_tracker_store_reuses_a_saved_conversation_only_while_it_is_the_stored_one(url, tmp_path):
    """Its cache of recent trackers must give what the database would: after another server's write,
    and across a new conversation session, the stored events stay exactly the turns, once each."""
    import asyncio

    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from spinebot.tracker_store import EnvSQLTrackerStore

    domain = Domain.empty()
    sender = f"cache-{os.getpid()}-{id(url)}"
    run = asyncio.new_event_loop().run_until_complete
    this, other = EnvSQLTrackerStore(domain, host=url), EnvSQLTrackerStore(domain, host=url)

    def turn(store, text, new_session=False):
        tracker = run(store.retrieve(sender)) or DialogueStateTracker(sender, domain.slots)
        if new_session or not tracker.events:
            tracker.update(ActionExecuted("action_session_start"))
            tracker.update(SessionStarted())
        tracker.update(UserUttered(text))
        tracker.update(ActionExecuted("action_listen"))
        run(store.save(tracker))

    turn(this, "one")
    turn(this, "two")  # from this store's cache
    turn(other, "three")  # another replica writes
    turn(this, "four")  # the cache must notice
    turn(this, "five", new_session=True)
    turn(this, "six")
    fresh = EnvSQLTrackerStore(domain, host=url)
    full = run(fresh.retrieve_full_tracker(sender))
    assert [e.text for e in full.events if isinstance(e, UserUttered)] == ["one", "two", "three", "four", "five", "six"]
    assert [e.text for e in run(fresh.retrieve(sender)).events if isinstance(e, UserUttered)] == ["five", "six"]


def test_the_action_servers_modules_do_not_import_rasas_core():
    """The action server starts faster and smaller without Rasa's core (and TensorFlow)."""
    import subprocess
    import sys

    code = "import sys, actions.answers, actions.handover, actions.feedback; print('rasa.core' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=str(paths.PROJECT_ROOT)
    )
    assert result.stdout.strip() == "False"
