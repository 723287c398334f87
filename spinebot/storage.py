"""Where the project keeps what it must not lose: conversations (Rasa's SQL tracker store) and,
in the same database, the project's own tables: call-back requests and answer feedback.

One setting decides the database for everything: `SPINEBOT_DATABASE_URL`. Unset, it is an
SQLite file under the data folder (`var/`, git-ignored), so `make run` needs no server; set to a
PostgreSQL URL, the same code runs at scale without editing any file. Queries are written in
SQLAlchemy 2.0 style (`select()`, `Session.execute`) on SQLAlchemy 1.4, which Rasa 3.6 pins.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from collections import OrderedDict
from typing import Any, Dict, Iterable, List, Optional, Tuple

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from sqlalchemy.orm import Session, declarative_base

from spinebot import paths

DATABASE_URL_ENV = "SPINEBOT_DATABASE_URL"
DEFAULT_SQLITE_NAME = "spinebot.db"

Base = declarative_base()


def database_url() -> str:
    """The configured database URL, defaulting to the embedded SQLite file."""
    url = os.environ.get(DATABASE_URL_ENV, "").strip()
    if url:
        # Heroku-style URLs say postgres://, which SQLAlchemy 1.4 no longer accepts.
        return "postgresql://" + url[len("postgres://"):] if url.startswith("postgres://") else url
    data_dir = Path(os.environ.get("SPINEBOT_DATA_DIR", paths.DATA_DIR))
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(data_dir / DEFAULT_SQLITE_NAME).resolve()}"


class EnvSQLTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store, pointed at `SPINEBOT_DATABASE_URL` (or the SQLite default).

    Rasa's own `SQLTrackerStore` takes the URL through `host` when it contains "://", so this
    subclass only decides the URL; storage itself stays Rasa's tested code.
    """

    def __init__(self, domain: Optional[Any] = None, host: Optional[str] = None, recent_size: int = 500,
                 **kwargs: Any) -> None:
        kwargs.pop("url", None)
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
        recent = self._recent.get(sender_id)
        if recent is not None:
            last_id, length, tracker = recent
            if len(tracker.events) == length and self._last_event_id(sender_id) == last_id:
                self._recent.move_to_end(sender_id)
                return tracker
            del self._recent[sender_id]
        return await super().retrieve(sender_id)

    async def save(self, tracker: Any) -> None:
        """Rasa's save, then: a call-back request the patient stopped or declined leaves no trace.

        The patient was told "I've stopped and haven't saved anything", so what they typed into the
        form (and the bot's summary of it) is removed from the stored conversation in the same step.
        """
        self._recent.pop(tracker.sender_id, None)
        await super().save(tracker)
        if callback_discarded_in_latest_turn(tracker.events):
            self.forget_unsent_callback(tracker.sender_id)
            return  # the next turn reads the blanked conversation back from the database
        if sum(1 for event in tracker.events if event.type_name == "session_started") > 1:
            return  # a new session began in this tracker: Rasa's next save counts from it, so reload
        self._recent[tracker.sender_id] = (self._last_event_id(tracker.sender_id), len(tracker.events), tracker)
        while len(self._recent) > self._recent_size:
            self._recent.popitem(last=False)

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
        with self.session_scope() as session:
            return session.execute(
                sa.select(sa.func.max(self.SQLEvent.id)).where(self.SQLEvent.sender_id == sender_id)
            ).scalar()

    def forget_unsent_callback(self, sender_id: str) -> int:
        """Blank the form's answers in the stored events; returns how many events were changed."""
        event = self.SQLEvent
        with self.session_scope() as session:
            rows = session.execute(
                sa.select(event).where(event.sender_id == sender_id).order_by(event.id)
            ).scalars().all()
            changed = redact_unsent_callback([json.loads(row.data) for row in rows])
            for index, data in changed.items():
                rows[index].data = json.dumps(data)
            session.commit()
        return len(changed)


def _sqlite_write_ahead(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")  # with WAL: durable across crashes, not power loss of the last commit
    cursor.close()


CALLBACK_FORM = "callback_form"
CALLBACK_DISCARDED_SLOT = "callback_discarded"
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
    marks = [i for i, e in enumerate(events) if e.get("event") == "slot" and e.get("name") == CALLBACK_DISCARDED_SLOT
             and e.get("value") is True]
    if not marks:
        return {}
    end = marks[-1]
    starts = [i for i, e in enumerate(events[:end]) if e.get("event") == "active_loop" and e.get("name") == CALLBACK_FORM]
    start = starts[-1] if starts else end
    given = _given_values(events[start:end])
    changed: Dict[int, Dict[str, Any]] = {}
    for index in range(start, end):
        event = dict(events[index])
        kind = event.get("event")
        if kind == "user" and event.get("text") != REMOVED:
            intent = (event.get("parse_data") or {}).get("intent")
            event.update(text=REMOVED, parse_data={"text": REMOVED, "intent": intent, "entities": []})
        elif kind == "slot" and str(event.get("name", "")).startswith("callback_") \
                and event.get("name") != CALLBACK_DISCARDED_SLOT and event.get("value") is not None:
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
    values += [str(e.get("value")) for e in events if e.get("event") == "slot"
               and str(e.get("name", "")).startswith("callback_") and isinstance(e.get("value"), str)]
    return sorted({v.strip().lower() for v in values if len(v.strip()) >= 3 and v != REMOVED})


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class CallbackStatus(str, enum.Enum):
    NEW = "new"
    CONTACTED = "contacted"
    CLOSED = "closed"


class CallbackRequest(Base):
    """A patient's request to be called back; every submission is kept, duplicates included."""

    __tablename__ = "spinebot_callback_requests"

    id = sa.Column(sa.Integer, primary_key=True)
    sender_id = sa.Column(sa.String(255), nullable=False, index=True)
    name = sa.Column(sa.String(200), nullable=False)
    phone = sa.Column(sa.String(32), nullable=False)
    best_time = sa.Column(sa.String(200), nullable=False)
    topic = sa.Column(sa.String(500), nullable=True)
    consent_given_at = sa.Column(sa.DateTime(timezone=True), nullable=False)
    status = sa.Column(sa.String(16), nullable=False, default=CallbackStatus.NEW.value, index=True)
    created_at = sa.Column(sa.DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at = sa.Column(sa.DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)


class AnswerFeedback(Base):
    """Whether an answer (by knowledge-base id) helped, from the widget's buttons or typed."""

    __tablename__ = "spinebot_answer_feedback"

    id = sa.Column(sa.Integer, primary_key=True)
    sender_id = sa.Column(sa.String(255), nullable=False, index=True)
    kb_id = sa.Column(sa.String(100), nullable=False, index=True)
    helpful = sa.Column(sa.Boolean, nullable=False)
    created_at = sa.Column(sa.DateTime(timezone=True), nullable=False, default=utcnow)


@dataclass(frozen=True)
class CallbackDetails:
    name: str
    phone: str
    best_time: str
    topic: Optional[str] = None


class Store:
    """The project's tables, in the configured database (created on first use)."""

    def __init__(self, url: Optional[str] = None) -> None:
        self.url = url or database_url()
        connect_args = {"timeout": 15} if self.url.startswith("sqlite") else {}
        # hide_parameters: a database error's message (and so the log) never carries names or numbers.
        self.engine = sa.create_engine(self.url, future=True, pool_pre_ping=True, connect_args=connect_args,
                                       hide_parameters=True)
        Base.metadata.create_all(self.engine)

    def add_callback(self, sender_id: str, details: CallbackDetails) -> int:
        with Session(self.engine) as session, session.begin():
            request = CallbackRequest(sender_id=sender_id, name=details.name, phone=details.phone,
                                      best_time=details.best_time, topic=details.topic or None,
                                      consent_given_at=utcnow(), status=CallbackStatus.NEW.value)
            session.add(request)
            session.flush()
            return request.id

    def callbacks(self, status: Optional[CallbackStatus] = None, sender_id: Optional[str] = None) -> List[CallbackRequest]:
        query = sa.select(CallbackRequest).order_by(CallbackRequest.created_at, CallbackRequest.id)
        if status is not None:
            query = query.where(CallbackRequest.status == status.value)
        if sender_id is not None:
            query = query.where(CallbackRequest.sender_id == sender_id)
        with Session(self.engine, expire_on_commit=False) as session:
            return list(session.execute(query).scalars())

    def set_callback_status(self, request_id: int, status: CallbackStatus) -> None:
        with Session(self.engine) as session, session.begin():
            request = session.get(CallbackRequest, request_id)
            if request is None:
                raise KeyError(f"no call-back request {request_id}")
            request.status = status.value
            request.updated_at = utcnow()

    def add_feedback(self, sender_id: str, kb_id: str, helpful: bool) -> int:
        with Session(self.engine) as session, session.begin():
            feedback = AnswerFeedback(sender_id=sender_id, kb_id=kb_id, helpful=helpful)
            session.add(feedback)
            session.flush()
            return feedback.id

    def feedback(self, kb_id: Optional[str] = None) -> List[AnswerFeedback]:
        query = sa.select(AnswerFeedback).order_by(AnswerFeedback.created_at, AnswerFeedback.id)
        if kb_id is not None:
            query = query.where(AnswerFeedback.kb_id == kb_id)
        with Session(self.engine, expire_on_commit=False) as session:
            return list(session.execute(query).scalars())


@lru_cache(maxsize=4)
def store_for(url: str) -> Store:
    return Store(url)


def default_store() -> Store:
    """The store for the configured database, one engine per URL per process."""
    return store_for(database_url())
