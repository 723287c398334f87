"""Retention and erasure (UK GDPR): what is deleted, when, and on whose request.

`purge` deletes everything older than the clinic's retention period; `erase` deletes everything
held about one conversation (a patient's erasure request). Both write a line to the audit log that
says what was deleted and how much, never the deleted content.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Dict, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Session

from spinebot.console.accounts import Accounts, SignInAttempt
from spinebot.console.callbacks import CallbackStatusChange
from spinebot.console.conversations import EVENTS, ConversationReview, has_events_table
from spinebot.storage import AnswerFeedback, CallbackRequest, Store, utcnow


@dataclass(frozen=True)
class Deleted:
    """How many rows of each kind were deleted."""

    counts: Dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def summary(self) -> str:
        return ", ".join(f"{name}={count}" for name, count in self.counts.items())


def erase_conversation(store: Store, sender_id: str, by: str) -> Deleted:
    """Everything held about one conversation: its events, call-back requests, feedback, reviews."""
    accounts = Accounts(store)
    with Session(store.engine) as session, session.begin():
        requests = select_ids(session, CallbackRequest, CallbackRequest.sender_id == sender_id)
        counts = {
            "callback_status_changes": _delete(
                session, CallbackStatusChange, CallbackStatusChange.request_id.in_(requests)
            ),
            "callback_requests": _delete(session, CallbackRequest, CallbackRequest.sender_id == sender_id),
            "feedback": _delete(session, AnswerFeedback, AnswerFeedback.sender_id == sender_id),
            "reviews": _delete(session, ConversationReview, ConversationReview.sender_id == sender_id),
            "events": session.execute(sa.delete(EVENTS).where(EVENTS.c.sender_id == sender_id)).rowcount
            if has_events_table(store.engine)
            else 0,
        }
    deleted = Deleted(counts)
    accounts.audit(by, "erase", f"conversation/{sender_id}", deleted.summary())
    return deleted


def purge_older_than(store: Store, days: int, by: str, now: Optional[dt.datetime] = None) -> Deleted:
    """Everything older than `days`: conversations by the time of their events, the rest by creation."""
    if days < 1:
        raise ValueError("the retention period must be at least one day")
    cutoff = (now or utcnow()) - dt.timedelta(days=days)
    accounts = Accounts(store)
    with Session(store.engine) as session, session.begin():
        old_requests = select_ids(session, CallbackRequest, CallbackRequest.created_at < cutoff)
        counts = {
            "callback_status_changes": _delete(
                session, CallbackStatusChange, CallbackStatusChange.request_id.in_(old_requests)
            ),
            "callback_requests": _delete(session, CallbackRequest, CallbackRequest.created_at < cutoff),
            "feedback": _delete(session, AnswerFeedback, AnswerFeedback.created_at < cutoff),
            "reviews": _delete(session, ConversationReview, ConversationReview.reviewed_at < cutoff),
            "sign_in_attempts": _delete(session, SignInAttempt, SignInAttempt.at < cutoff),
            "events": session.execute(sa.delete(EVENTS).where(EVENTS.c.timestamp < cutoff.timestamp())).rowcount
            if has_events_table(store.engine)
            else 0,
        }
    deleted = Deleted(counts)
    accounts.audit(by, "purge", f"older than {days} days", deleted.summary())
    return deleted


def select_ids(session: Session, model, condition) -> list:  # type: ignore[no-untyped-def]
    return list(session.execute(sa.select(model.id).where(condition)).scalars())


def _delete(session: Session, model, condition) -> int:  # type: ignore[no-untyped-def]
    return session.execute(sa.delete(model).where(condition).execution_options(synchronize_session=False)).rowcount
