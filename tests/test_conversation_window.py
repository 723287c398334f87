"""The dialogue works on a window of the latest turns; the database keeps every turn, once.

The window is what keeps turn 100 as fast as turn 10 (`make bench`). It must not change what the
bot knows (the slots carry over, a form is never cut) or what is stored (no turn lost or doubled,
with this server's cache, a second server, and a new session).
"""

from __future__ import annotations

import asyncio
import os
from typing import Any, List

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from spinebot.tracker_store import EnvSQLTrackerStore, conversation_window, windowed
from tests.test_storage import url  # noqa: F401  (the SQLite and PostgreSQL fixture)

DOMAIN = Domain.from_dict(
    {
        "intents": ["ask"],
        "slots": {
            "subject": {"type": "text", "influence_conversation": False, "mappings": [{"type": "custom"}]},
            "last_kb_id": {"type": "text", "influence_conversation": False, "mappings": [{"type": "custom"}]},
        },
        "forms": {"callback_form": {"required_slots": []}},
    }
)


def texts(tracker: DialogueStateTracker) -> List[str]:
    return [event.text for event in tracker.events if isinstance(event, UserUttered)]


def add_turn(tracker: DialogueStateTracker, text: str, subject: str = "") -> None:
    tracker.update(UserUttered(text, intent={"name": "ask", "confidence": 1.0}))
    if subject:
        tracker.update(SlotSet("subject", subject))
    tracker.update(BotUttered(f"answer to {text}"))
    tracker.update(ActionExecuted("action_listen"))


def conversation(turns: int) -> DialogueStateTracker:
    tracker = DialogueStateTracker("window", DOMAIN.slots)
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted())
    tracker.update(ActionExecuted("action_listen"))
    for number in range(1, turns + 1):
        add_turn(tracker, f"q{number}", subject="laser_surgery" if number == 3 else "")
    return tracker


def test_a_short_conversation_is_left_whole():
    tracker = conversation(16)
    assert windowed(tracker, 8) is tracker


def test_a_long_one_keeps_its_latest_turns_and_the_slots_as_they_stood():
    tracker = conversation(17)
    window = windowed(tracker, 8)
    assert texts(window) == [f"q{n}" for n in range(10, 18)]
    # The subject was set at turn 3, long before the cut, and is still the subject.
    assert window.get_slot("subject") == "laser_surgery"
    assert window.latest_message.text == "q17"
    assert window.latest_action_name == "action_listen"
    # The window begins where the bot began to listen for its first turn.
    first_user = next(i for i, e in enumerate(window.events) if isinstance(e, UserUttered))
    assert isinstance(window.events[first_user - 1], ActionExecuted)


def test_the_slots_carried_are_those_at_the_cut_not_later_ones():
    tracker = conversation(16)
    add_turn(tracker, "q17", subject="idd_therapy")
    window = windowed(tracker, 8)
    carried = [e for e in list(window.events)[:3] if isinstance(e, SlotSet)]
    assert [(e.key, e.value) for e in carried] == [("subject", "laser_surgery")]
    assert window.get_slot("subject") == "idd_therapy"


def test_an_open_form_is_never_cut():
    tracker = conversation(16)
    tracker.update(ActiveLoop("callback_form"))
    add_turn(tracker, "Ann Stopes")
    assert windowed(tracker, 8) is tracker
    # A form open at the cut point, closed since, also keeps the tracker whole.
    tracker = conversation(2)
    tracker.update(ActiveLoop("callback_form"))
    for number in range(3, 18):
        add_turn(tracker, f"answer {number}")
    tracker.update(ActiveLoop(None))
    add_turn(tracker, "thanks")
    assert windowed(tracker, 8) is tracker


def test_the_window_is_a_setting(monkeypatch):
    monkeypatch.delenv("SPINEBOT_WINDOW_TURNS", raising=False)
    assert conversation_window() == 8
    monkeypatch.setenv("SPINEBOT_WINDOW_TURNS", "off")
    assert conversation_window() == 0
    long = conversation(40)
    assert windowed(long, 0) is long
    monkeypatch.setenv("SPINEBOT_WINDOW_TURNS", "1")
    with pytest.raises(ValueError, match="SPINEBOT_WINDOW_TURNS"):
        conversation_window()


def test_every_turn_is_stored_once_through_windows_replicas_and_sessions(url: Any):  # noqa: F811
    """40 turns through two stores (this server's cache, another replica), with a new session in the
    middle: the database holds each turn once, and each store hands out a bounded window."""
    sender = f"window-{os.getpid()}-{id(url)}"
    run = asyncio.new_event_loop().run_until_complete
    this = EnvSQLTrackerStore(DOMAIN, host=url, window_turns=4)
    other = EnvSQLTrackerStore(DOMAIN, host=url, window_turns=4)
    longest = 0
    for number in range(1, 41):
        store = other if number % 7 == 0 else this
        tracker = run(store.retrieve(sender))
        if tracker is None:
            tracker = DialogueStateTracker(sender, DOMAIN.slots)
            tracker.update(ActionExecuted("action_session_start"))
            tracker.update(SessionStarted())
            tracker.update(ActionExecuted("action_listen"))
        if number == 25:
            tracker.update(ActionExecuted("action_session_start"))
            tracker.update(SessionStarted())
            tracker.update(ActionExecuted("action_listen"))
        longest = max(longest, len(texts(tracker)))
        add_turn(tracker, f"turn {number}", subject=f"s{number}" if number % 5 == 0 else "")
        run(store.save(tracker))
    full = run(EnvSQLTrackerStore(DOMAIN, host=url, window_turns=0).retrieve_full_tracker(sender))
    assert texts(full) == [f"turn {n}" for n in range(1, 41)]
    assert sum(isinstance(e, SessionStarted) for e in full.events) == 2
    assert longest <= 8
    latest = run(EnvSQLTrackerStore(DOMAIN, host=url, window_turns=4).retrieve(sender))
    assert latest is not None and latest.get_slot("subject") == "s40"
    assert texts(latest)[-1] == "turn 40"


def test_stored_rows_are_the_ones_rasa_writes(tmp_path):
    """The store inserts events with one Core statement instead of Rasa's ORM objects: the rows,
    the same conversation read back, must be exactly what Rasa's own SQLTrackerStore writes."""
    import sqlalchemy as sa
    from rasa.core.tracker_store import SQLTrackerStore

    ours = EnvSQLTrackerStore(DOMAIN, host=f"sqlite:///{tmp_path / 'ours.db'}")
    rasas = SQLTrackerStore(DOMAIN, host=f"sqlite:///{tmp_path / 'rasa.db'}")
    tracker = conversation(3)
    for store in (ours, rasas):
        asyncio.run(store.save(tracker))
    columns = "sender_id, type_name, timestamp, intent_name, action_name, data"

    def rows(store: Any) -> List[Any]:
        with store.engine.connect() as connection:
            return [tuple(row) for row in connection.execute(sa.text(f"SELECT {columns} FROM events ORDER BY id"))]

    assert rows(ours) == rows(rasas) and len(rows(ours)) == len(tracker.events)
    read_back = asyncio.run(EnvSQLTrackerStore(DOMAIN, host=f"sqlite:///{tmp_path / 'ours.db'}").retrieve("window"))
    rasa_read_back = asyncio.run(SQLTrackerStore(DOMAIN, host=f"sqlite:///{tmp_path / 'rasa.db'}").retrieve("window"))
    assert [e.as_dict() for e in read_back.events] == [e.as_dict() for e in rasa_read_back.events]
    assert len(read_back.events) == len(tracker.events) - 1  # from the session start on, as Rasa reads


def test_a_new_conversation_is_found_absent_and_a_tracker_read_elsewhere_is_saved_as_rasa_saves_it(tmp_path):
    """Two shortcuts of the store: a sender with no stored event is absent without Rasa's session
    query, and a first save writes every event; a tracker this store did not read, for a
    conversation already stored, goes through Rasa's own counting and gives Rasa's rows."""
    import sqlalchemy as sa
    from rasa.core.tracker_store import SQLTrackerStore

    def rows(database_url: str) -> List[Any]:
        with sa.create_engine(database_url).connect() as connection:
            return [tuple(row) for row in connection.execute(sa.text("SELECT type_name, data FROM events ORDER BY id"))]

    urls = {kind: f"sqlite:///{tmp_path / kind}.db" for kind in ("ours", "rasas")}
    assert asyncio.run(EnvSQLTrackerStore(DOMAIN, host=urls["ours"]).retrieve("window")) is None
    tracker = conversation(2)
    longer = DialogueStateTracker.from_events("window", list(tracker.events), DOMAIN.slots)
    add_turn(longer, "q3")
    for kind, store_class in (("ours", EnvSQLTrackerStore), ("rasas", SQLTrackerStore)):
        asyncio.run(store_class(DOMAIN, host=urls[kind]).save(tracker))
        assert len(rows(urls[kind])) == len(tracker.events)
        asyncio.run(store_class(DOMAIN, host=urls[kind]).save(longer))  # a store that never read it
    assert rows(urls["ours"]) == rows(urls["rasas"])
    full = asyncio.run(EnvSQLTrackerStore(DOMAIN, host=urls["ours"]).retrieve_full_tracker("window"))
    assert texts(full) == ["q1", "q2", "q3"]
