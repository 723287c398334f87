"""Rasa's SQL tracker store, as SpineBot configures it (named in endpoints.yml).

- the database comes from `SPINEBOT_DATABASE_URL` (else the SQLite file under the data folder), like
  the project's own tables (spinebot/storage.py);
- database errors never carry what patients typed (`hide_parameters`);
- a call-back request the patient stopped or declined is blanked in the stored conversation;
- the conversations saved last are reused while they are still the stored ones, and the embedded
  SQLite default keeps one connection in WAL mode;
- the dialogue works on a window of the latest turns (`conversation_window`), so that a turn costs the
  same at turn 100 as at turn 10; the database keeps every turn.

This module imports Rasa's core; the action server never imports it.
"""

from __future__ import annotations

import itertools
import json
import os
from collections import OrderedDict
from typing import Any, Dict, Iterable, Iterator, List, Optional, Tuple

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from spinebot.handoff import CALLBACK_DISCARDED_SLOT
from spinebot.storage import database_url

WINDOW_ENV = "SPINEBOT_WINDOW_TURNS"
DEFAULT_WINDOW_TURNS = 8
# How many of a tracker's events are already in the database: set when it is read or saved, so that
# saving a windowed tracker stores only its new events.
STORED_LENGTH = "_spinebot_stored_length"


def conversation_window() -> int:
    """The latest turns the dialogue works on (`SPINEBOT_WINDOW_TURNS`; "off" or 0 keeps them all)."""
    raw = os.environ.get(WINDOW_ENV, "").strip().lower()
    if raw in ("off", "0"):
        return 0
    if not raw:
        return DEFAULT_WINDOW_TURNS
    if not raw.isdigit() or int(raw) < 2:
        raise ValueError(f"{WINDOW_ENV} must be a whole number of turns, 2 or more, or 'off' (got {raw!r})")
    return int(raw)


def windowed(tracker: DialogueStateTracker, turns: int) -> DialogueStateTracker:
    """The tracker cut to its latest `turns` patient turns, once it holds more than twice that.

    Rasa's policies rebuild the states of every past turn at each prediction, and the whole
    tracker goes to the action server at each call: both grow with the conversation. What the
    dialogue needs from the past is in the slots (the current subject, the last answer, the form's
    answers) and in the last few turns, which the window keeps. The slots as they stood at the cut
    are carried in as its first events. A form open at the cut leaves the tracker whole.
    Twice, so that a cut happens once every `turns` turns, not at every turn.
    """
    events = list(tracker.events)
    user_turns = [index for index, event in enumerate(events) if isinstance(event, UserUttered)]
    if turns <= 0 or len(user_turns) <= 2 * turns or tracker.active_loop_name:
        return tracker
    cut = user_turns[-turns]
    if cut > 0 and isinstance(events[cut - 1], ActionExecuted) and events[cut - 1].action_name == ACTION_LISTEN_NAME:
        cut -= 1  # the turn starts where the bot began to listen
    before = tracker.init_copy()
    for event in events[:cut]:
        before.update(event)
    if before.active_loop_name:
        return tracker
    window = tracker.init_copy()
    for event in itertools.chain(carried_slots(before), events[cut:]):
        window.update(event)
    window.model_id, window.assistant_id = tracker.model_id, tracker.assistant_id
    return window


def carried_slots(tracker: DialogueStateTracker) -> List[Event]:
    """The slots that differ from their initial values, as events that set them again."""
    return [SlotSet(name, slot.value) for name, slot in tracker.slots.items() if slot.value != slot.initial_value]


class EnvSQLTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store, pointed at `SPINEBOT_DATABASE_URL` (or the SQLite default).

    Rasa's own `SQLTrackerStore` takes the URL through `host` when it contains "://", so this
    subclass only decides the URL; storage itself stays Rasa's tested code.
    """

    def __init__(
        self,
        domain: Optional[Any] = None,
        host: Optional[str] = None,
        recent_size: int = 500,
        window_turns: Optional[int] = None,
        **kwargs: Any,
    ) -> None:
        kwargs.pop("url", None)
        self.window_turns = conversation_window() if window_turns is None else window_turns
        self.engine: Any
        super().__init__(domain=domain, host=host if host and "://" in host else database_url(), **kwargs)
        if self.engine.url.get_backend_name() == "sqlite":
            self._use_one_sqlite_connection()
        # A database error's message must not carry what patients typed (names, numbers, symptoms).
        self.engine.hide_parameters = True
        self._recent: "OrderedDict[str, Tuple[Optional[int], int, Any]]" = OrderedDict()
        self._recent_size = recent_size

    async def retrieve(self, sender_id: str) -> Optional[Any]:
        """The conversation as this server last saved it, if nobody has written to it since.

        Rebuilding a tracker reads and parses every event of the session: a cost that grows with
        each turn. One indexed query (the conversation's latest event id) says whether the tracker
        this server saved last is still the stored one (another replica may have answered since).
        """
        tracker = self._recent_tracker(sender_id)
        if tracker is None:
            if self._last_event_id(sender_id) is None:
                return None  # a new conversation: Rasa's session query would find no event either
            tracker = await super().retrieve(sender_id)
        if tracker is None:
            return None
        setattr(tracker, STORED_LENGTH, len(tracker.events))
        window = windowed(tracker, self.window_turns)
        if window is not tracker:
            setattr(window, STORED_LENGTH, len(window.events))
        return window

    def _recent_tracker(self, sender_id: str) -> Optional[Any]:
        recent = self._recent.get(sender_id)
        if recent is None:
            return None
        last_id, length, tracker = recent
        if len(tracker.events) == length and self._last_event_id(sender_id) == last_id:
            self._recent.move_to_end(sender_id)
            return tracker
        del self._recent[sender_id]
        return None

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator:
        """The events not yet stored: those after the length the tracker had when it was read.

        Rasa counts the stored events of the session instead, which is wrong for a windowed
        tracker. The conversation's lock keeps other servers from writing between read and save.
        """
        stored = getattr(tracker, STORED_LENGTH, None)
        if stored is None:  # a tracker this store did not read (a new conversation)
            return super()._additional_events(session, tracker)
        return itertools.islice(tracker.events, stored, len(tracker.events))

    async def save(self, tracker: Any) -> None:
        """Rasa's save, then: a call-back request the patient stopped or declined leaves no trace.

        The patient was told "I've stopped and haven't saved anything", so what they typed into the
        form (and the bot's summary of it) is removed from the stored conversation in the same step.
        """
        self._recent.pop(tracker.sender_id, None)
        await self.stream_events(tracker)
        last_id = self._insert_new_events(tracker)
        setattr(tracker, STORED_LENGTH, len(tracker.events))
        if callback_discarded_in_latest_turn(tracker.events):
            self.forget_unsent_callback(tracker.sender_id)
            return  # the next turn reads the blanked conversation back from the database
        if sum(1 for event in tracker.events if event.type_name == "session_started") > 1:
            return  # a new session began in this tracker: Rasa's next save counts from it, so reload
        self._recent[tracker.sender_id] = (last_id, len(tracker.events), tracker)
        while len(self._recent) > self._recent_size:
            self._recent.popitem(last=False)

    def _insert_new_events(self, tracker: DialogueStateTracker) -> Optional[int]:
        """Store the tracker's new events, as Rasa's `save` does, and return the latest event id.

        The rows are the ones Rasa writes, inserted with one Core statement in one transaction on
        a plain connection: the ORM's unit of work (an object per event, then a flush) took a fifth
        of the server's CPU per turn, and an ORM session around Core statements still a twentieth.
        The latest id, read in the same transaction, tells the next `retrieve` whether this tracker
        is still the stored one.
        """
        if getattr(tracker, STORED_LENGTH, None) is None:  # a tracker this store did not read
            if self._last_event_id(tracker.sender_id) is None:
                new_events = list(tracker.events)  # nothing stored yet: every event is new
            else:
                with self.session_scope() as session:  # Rasa counts what is stored
                    new_events = list(self._additional_events(session, tracker))
        else:
            new_events = list(self._additional_events(None, tracker))
        rows = [_event_row(tracker.sender_id, event) for event in new_events]
        with self.engine.begin() as connection:
            if rows:
                connection.execute(INSERT_EVENT, rows)
            return connection.execute(LAST_EVENT_ID, {"sender_id": tracker.sender_id}).scalar()

    def _use_one_sqlite_connection(self) -> None:
        """The embedded SQLite default, tuned for a server: one open connection in write-ahead mode.

        SQLAlchemy 1.4 opens a new SQLite connection for every session (NullPool), and the default
        rollback journal syncs twice per commit. Rasa's server answers on one thread, so one kept
        connection (SingletonThreadPool) is safe; WAL lets the staff console read while the bot
        writes. PostgreSQL is left as Rasa configures it.
        """
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, poolclass=sa.pool.SingletonThreadPool, hide_parameters=True)
        sa.event.listen(self.engine, "connect", _sqlite_write_ahead)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    def _last_event_id(self, sender_id: str) -> Optional[int]:
        with self.engine.connect() as connection:
            return connection.execute(LAST_EVENT_ID, {"sender_id": sender_id}).scalar()

    def forget_unsent_callback(self, sender_id: str) -> int:
        """Blank the form's answers in the stored events; returns how many events were changed."""
        event = self.SQLEvent
        with self.session_scope() as session:
            rows = (
                session.execute(sa.select(event).where(event.sender_id == sender_id).order_by(event.id)).scalars().all()
            )
            changed = redact_unsent_callback([json.loads(row.data) for row in rows])
            for index, data in changed.items():
                rows[index].data = json.dumps(data)
            session.commit()
        return len(changed)


# Built once: SQLAlchemy then reuses their compiled form, which two queries per turn make worth it.
EVENTS_TABLE = SQLTrackerStore.SQLEvent.__table__
INSERT_EVENT = sa.insert(EVENTS_TABLE)
LAST_EVENT_ID = sa.select(sa.func.max(EVENTS_TABLE.c.id)).where(EVENTS_TABLE.c.sender_id == sa.bindparam("sender_id"))


def _event_row(sender_id: str, event: Event) -> Dict[str, Any]:
    """The `events` row Rasa's SQLTrackerStore.save writes for one event."""
    data = event.as_dict()
    return {
        "sender_id": sender_id,
        "type_name": event.type_name,
        "timestamp": data.get("timestamp"),
        "intent_name": ((data.get("parse_data") or {}).get("intent") or {}).get("name"),
        "action_name": data.get("name"),
        "data": json.dumps(data),
    }


def _sqlite_write_ahead(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")  # with WAL: durable across crashes, not power loss of the last commit
    cursor.close()


CALLBACK_FORM = "callback_form"
REMOVED = "[removed: call-back request not sent]"


def callback_discarded_in_latest_turn(events: Iterable[Any]) -> bool:
    """Whether the actions of the latest turn marked a call-back request as stopped or declined."""
    for event in reversed(list(events)):
        name = getattr(event, "type_name", None)
        if name == "user":
            return False
        if name == "slot" and event.key == CALLBACK_DISCARDED_SLOT and event.value is True:
            return True
    return False


def redact_unsent_callback(events: List[Dict[str, Any]]) -> Dict[int, Dict[str, Any]]:
    """The events of the latest stopped call-back form with the patient's answers removed, by index.

    The range runs from the form's latest start to the "discarded" mark: every patient message in
    it, every call-back slot value, and every bot message that repeats one of those values.
    """
    marks = [
        i
        for i, e in enumerate(events)
        if e.get("event") == "slot" and e.get("name") == CALLBACK_DISCARDED_SLOT and e.get("value") is True
    ]
    if not marks:
        return {}
    end = marks[-1]
    starts = [
        i for i, e in enumerate(events[:end]) if e.get("event") == "active_loop" and e.get("name") == CALLBACK_FORM
    ]
    start = starts[-1] if starts else end
    given = _given_values(events[start:end])
    changed: Dict[int, Dict[str, Any]] = {}
    for index in range(start, end):
        event = dict(events[index])
        kind = event.get("event")
        if kind == "user" and event.get("text") != REMOVED:
            intent = (event.get("parse_data") or {}).get("intent")
            event.update(text=REMOVED, parse_data={"text": REMOVED, "intent": intent, "entities": []})
        elif (
            kind == "slot"
            and str(event.get("name", "")).startswith("callback_")
            and event.get("name") != CALLBACK_DISCARDED_SLOT
            and event.get("value") is not None
        ):
            event["value"] = None
        elif kind == "bot" and any(value in str(event.get("text") or "").lower() for value in given):
            event["text"] = REMOVED
        else:
            continue
        changed[index] = event
    return changed


def _given_values(events: List[Dict[str, Any]]) -> List[str]:
    """What the patient gave in the form, lower-cased: their messages and the slot values taken from them."""
    values = [str(e.get("text") or "") for e in events if e.get("event") == "user"]
    values += [
        str(e.get("value"))
        for e in events
        if e.get("event") == "slot"
        and str(e.get("name", "")).startswith("callback_")
        and isinstance(e.get("value"), str)
    ]
    return sorted({v.strip().lower() for v in values if len(v.strip()) >= 3 and v != REMOVED})
