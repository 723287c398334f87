"""Where the project keeps what it must not lose: the project's own tables (call-back requests and
answer feedback), in the same database as the conversations (spinebot/tracker_store.py).

No Rasa import here: the action server uses this module and stays free of Rasa's core.

One setting decides the database for everything: `SPINEBOT_DATABASE_URL`. Unset, it is an
SQLite file under the data folder (`var/`, git-ignored), so `make run` needs no server; set to a
PostgreSQL URL, the same code runs at scale without editing any file. Queries are written in
SQLAlchemy 2.0 style (`select()`, `Session.execute`) on SQLAlchemy 1.4, which Rasa 3.6 pins.
"""

from __future__ import annotations

import datetime as dt
import enum
import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, List, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Session, declarative_base

from spinebot import paths

DATABASE_URL_ENV = "SPINEBOT_DATABASE_URL"
DEFAULT_SQLITE_NAME = "spinebot.db"

_DeclarativeBase: Any = declarative_base()


class Base(_DeclarativeBase):
    """Every project table derives from this (SQLAlchemy 1.4's declarative base, typed for mypy)."""

    __abstract__ = True


def database_url() -> str:
    """The configured database URL, defaulting to the embedded SQLite file."""
    url = os.environ.get(DATABASE_URL_ENV, "").strip()
    if url:
        # Heroku-style URLs say postgres://, which SQLAlchemy 1.4 no longer accepts.
        return "postgresql://" + url[len("postgres://") :] if url.startswith("postgres://") else url
    data_dir = paths.data_dir()
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(data_dir / DEFAULT_SQLITE_NAME).resolve()}"


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
        self.engine = sa.create_engine(
            self.url, future=True, pool_pre_ping=True, connect_args=connect_args, hide_parameters=True
        )
        Base.metadata.create_all(self.engine)

    def add_callback(self, sender_id: str, details: CallbackDetails) -> int:
        with Session(self.engine) as session, session.begin():
            request = CallbackRequest(
                sender_id=sender_id,
                name=details.name,
                phone=details.phone,
                best_time=details.best_time,
                topic=details.topic or None,
                consent_given_at=utcnow(),
                status=CallbackStatus.NEW.value,
            )
            session.add(request)
            session.flush()
            return request.id

    def callbacks(
        self, status: Optional[CallbackStatus] = None, sender_id: Optional[str] = None
    ) -> List[CallbackRequest]:
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
