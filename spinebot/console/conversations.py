"""Conversations as staff read them, from Rasa's SQL tracker store (table `events`).

Read-only on Rasa's table: every user turn with its time, intent and confidence, the safety
verdict and the rule that fired, and what the bot answered (the reply contract's `kb_id` and
`type`). Reviews and notes live in the project's own table, never in Rasa's.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from spinebot.storage import AnswerFeedback, Base, CallbackRequest, Store, utcnow

EVENTS = sa.table(
    "events", sa.column("id"), sa.column("sender_id"), sa.column("type_name"), sa.column("timestamp"), sa.column("data")
)
LOW_CONFIDENCE = 0.5
FILTERS = (
    "urgent",
    "crisis",
    "clarify",
    "out_of_scope",
    "not_covered",
    "callback",
    "negative_feedback",
    "low_confidence",
    "not_reviewed",
)


class ConversationReview(Base):
    __tablename__ = "spinebot_conversation_reviews"
    id = sa.Column(sa.Integer, primary_key=True)
    sender_id = sa.Column(sa.String(255), nullable=False, index=True)
    reviewed_by = sa.Column(sa.String(100), nullable=False)
    reviewed_at = sa.Column(sa.DateTime(timezone=True), nullable=False, default=utcnow)
    note = sa.Column(sa.String(2000), nullable=False, default="")


@dataclass
class Turn:
    """One user message and the bot's replies to it."""

    at: dt.datetime
    text: str
    intent: Optional[str]
    confidence: Optional[float]
    safety_level: Optional[str] = None
    safety_rules: List[str] = field(default_factory=list)
    replies: List[str] = field(default_factory=list)
    answered: List[str] = field(default_factory=list)  # kb ids
    reply_types: List[str] = field(default_factory=list)  # clarify, out_of_scope, not_covered, urgent...


@dataclass
class Conversation:
    sender_id: str
    turns: List[Turn]
    reviews: List[ConversationReview] = field(default_factory=list)
    callback: bool = False
    negative_feedback: bool = False

    @property
    def started(self) -> Optional[dt.datetime]:
        return self.turns[0].at if self.turns else None

    @property
    def flags(self) -> List[str]:
        """What staff may filter on, for this conversation."""
        types = {t for turn in self.turns for t in turn.reply_types}
        levels = {turn.safety_level for turn in self.turns if turn.safety_level}
        flags = []
        if levels & {"urgent_emergency", "urgent_same_day"}:
            flags.append("urgent")
        if levels & {"crisis_support", "crisis_emergency"}:
            flags.append("crisis")
        flags += [name for name in ("clarify", "out_of_scope", "not_covered") if name in types]
        if self.callback:
            flags.append("callback")
        if self.negative_feedback:
            flags.append("negative_feedback")
        if any(turn.confidence is not None and turn.confidence < LOW_CONFIDENCE for turn in self.turns):
            flags.append("low_confidence")
        if not self.reviews:
            flags.append("not_reviewed")
        return flags

    def matches(self, text: str) -> bool:
        needle = text.lower()
        return any(needle in turn.text.lower() for turn in self.turns)


# Senders per batch of queries (keeps each IN list well within every database's limits).
READ_BATCH = 500


def has_events_table(engine: sa.engine.Engine) -> bool:
    """Rasa creates `events` with the first conversation; before that there is nothing to read."""
    return sa.inspect(engine).has_table("events")


def _contracts(data: Dict[str, Any]) -> Iterable[Dict[str, Any]]:
    """The reply contract of a bot event (socket.io nests it one level deeper, as {"custom": ...})."""
    custom = data.get("data", {}).get("custom") if isinstance(data.get("data"), dict) else None
    if isinstance(custom, dict):
        inner = custom.get("custom")
        yield inner if isinstance(inner, dict) else custom


def _turns(rows: Sequence[Any]) -> List[Turn]:
    turns: List[Turn] = []
    for row in rows:
        data = json.loads(row.data) if row.data else {}
        at = dt.datetime.fromtimestamp(row.timestamp or 0, tz=dt.timezone.utc)
        if row.type_name == "user":
            parse = data.get("parse_data") or {}
            intent = parse.get("intent") or {}
            safety = parse.get("safety") or {}
            turns.append(
                Turn(
                    at=at,
                    text=data.get("text") or "",
                    intent=intent.get("name"),
                    confidence=intent.get("confidence"),
                    safety_level=safety.get("level"),
                    safety_rules=[f.get("rule") for f in safety.get("firings") or [] if f.get("rule")],
                )
            )
        elif row.type_name == "bot" and turns:
            if data.get("text"):
                turns[-1].replies.append(data["text"])
            for contract in _contracts(data):
                if contract.get("kb_id"):
                    turns[-1].answered.append(str(contract["kb_id"]))
                if contract.get("type"):
                    turns[-1].reply_types.append(str(contract["type"]))
    return turns


class ConversationReader:
    """Conversations of the configured database, filtered as the console asks."""

    def __init__(self, store: Store) -> None:
        self.engine = store.engine
        Base.metadata.create_all(self.engine)

    def _has_events_table(self) -> bool:
        return has_events_table(self.engine)

    def sender_ids(self, since: Optional[dt.datetime] = None, until: Optional[dt.datetime] = None) -> List[str]:
        if not self._has_events_table():
            return []
        first = sa.func.min(EVENTS.c.timestamp)
        query = sa.select(EVENTS.c.sender_id, first.label("first")).group_by(EVENTS.c.sender_id).order_by(first.desc())
        if since is not None:
            query = query.having(first >= since.timestamp())
        if until is not None:
            query = query.having(first < until.timestamp())
        with self.engine.connect() as connection:
            return [row.sender_id for row in connection.execute(query)]

    def conversation(self, sender_id: str) -> Optional[Conversation]:
        return self.conversations([sender_id]).get(sender_id)

    def conversations(self, sender_ids: Sequence[str]) -> Dict[str, Conversation]:
        """The conversations of `sender_ids` that have messages, read in a few queries per batch.

        One query per table for a batch of senders, not four per conversation: with thousands of
        stored conversations the console's lists and the unanswered-questions page must still
        open in a second or two.
        """
        if not self._has_events_table():
            return {}
        found: Dict[str, Conversation] = {}
        for start in range(0, len(sender_ids), READ_BATCH):
            found.update(self._read_batch(list(sender_ids[start : start + READ_BATCH])))
        return found

    def _read_batch(self, sender_ids: List[str]) -> Dict[str, Conversation]:
        events = (
            sa.select(EVENTS.c.sender_id, EVENTS.c.type_name, EVENTS.c.timestamp, EVENTS.c.data)
            .where(EVENTS.c.sender_id.in_(sender_ids), EVENTS.c.type_name.in_(("user", "bot")))
            .order_by(EVENTS.c.id)
        )
        rows: Dict[str, List[Any]] = defaultdict(list)
        with self.engine.connect() as connection:
            for row in connection.execute(events):
                rows[row.sender_id].append(row)
        with Session(self.engine, expire_on_commit=False) as session:
            reviews: Dict[str, List[ConversationReview]] = defaultdict(list)
            for review in session.execute(
                sa.select(ConversationReview)
                .where(ConversationReview.sender_id.in_(sender_ids))
                .order_by(ConversationReview.reviewed_at)
            ).scalars():
                reviews[review.sender_id].append(review)
            with_callback = set(
                session.execute(
                    sa.select(CallbackRequest.sender_id).where(CallbackRequest.sender_id.in_(sender_ids)).distinct()
                ).scalars()
            )
            with_negative = set(
                session.execute(
                    sa.select(AnswerFeedback.sender_id)
                    .where(AnswerFeedback.sender_id.in_(sender_ids), AnswerFeedback.helpful.is_(False))
                    .distinct()
                ).scalars()
            )
        return {
            sender_id: Conversation(
                sender_id,
                _turns(rows[sender_id]),
                reviews[sender_id],
                sender_id in with_callback,
                sender_id in with_negative,
            )
            for sender_id in sender_ids
            if rows.get(sender_id)
        }

    def find(
        self,
        flags: Sequence[str] = (),
        text: str = "",
        kb_id: str = "",
        since: Optional[dt.datetime] = None,
        until: Optional[dt.datetime] = None,
    ) -> List[Conversation]:
        """Conversations newest first that carry every flag asked for, the text and the entry."""
        found = []
        sender_ids = self.sender_ids(since, until)
        loaded = self.conversations(sender_ids)
        for sender_id in sender_ids:
            conversation = loaded.get(sender_id)
            if conversation is None or not conversation.turns:
                continue
            if any(flag not in conversation.flags for flag in flags):
                continue
            if text and not conversation.matches(text):
                continue
            if kb_id and not any(kb_id in turn.answered for turn in conversation.turns):
                continue
            found.append(conversation)
        return found

    def review(self, sender_id: str, user: str, note: str) -> None:
        with Session(self.engine) as session, session.begin():
            session.add(ConversationReview(sender_id=sender_id, reviewed_by=user, note=note.strip()[:2000]))
