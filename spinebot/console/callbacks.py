"""The call-back queue as staff work it: newest requests first, with who changed what and when."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import List, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Session

from spinebot.storage import Base, CallbackRequest, CallbackStatus, Store, utcnow


class CallbackStatusChange(Base):
    """Every status change of a call-back request, with the staff member who made it."""

    __tablename__ = "spinebot_callback_status_changes"
    id = sa.Column(sa.Integer, primary_key=True)
    request_id = sa.Column(
        sa.Integer, sa.ForeignKey("spinebot_callback_requests.id", ondelete="CASCADE"), nullable=False, index=True
    )
    status = sa.Column(sa.String(16), nullable=False)
    changed_by = sa.Column(sa.String(100), nullable=False)
    changed_at = sa.Column(sa.DateTime(timezone=True), nullable=False, default=utcnow)


@dataclass(frozen=True)
class QueueItem:
    request: CallbackRequest
    changed_by: Optional[str]
    changed_at: Optional[dt.datetime]


STATUS_ORDER = {CallbackStatus.NEW.value: 0, CallbackStatus.CONTACTED.value: 1, CallbackStatus.CLOSED.value: 2}


def aware(moment: dt.datetime) -> dt.datetime:
    """SQLite returns naive datetimes for timezone-aware columns: they were stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


class CallbackQueue:
    def __init__(self, store: Store) -> None:
        self.store = store
        Base.metadata.create_all(store.engine)

    def items(self) -> List[QueueItem]:
        """New requests first, then contacted, then closed; newest first within each."""
        with Session(self.store.engine, expire_on_commit=False) as session:
            requests = list(session.execute(sa.select(CallbackRequest)).scalars())
            changes = list(session.execute(sa.select(CallbackStatusChange).order_by(CallbackStatusChange.id)).scalars())
        latest = {change.request_id: change for change in changes}
        requests.sort(key=lambda r: (STATUS_ORDER.get(r.status, 9), -aware(r.created_at).timestamp()))
        return [
            QueueItem(
                r,
                getattr(latest.get(r.id), "changed_by", None),
                aware(latest[r.id].changed_at) if r.id in latest else None,
            )
            for r in requests
        ]

    def oldest_open_wait(self, now: Optional[dt.datetime] = None) -> Optional[dt.timedelta]:
        """How long the oldest open request (new or contacted, not yet closed) has waited."""
        open_items = [item.request for item in self.items() if item.request.status != CallbackStatus.CLOSED.value]
        if not open_items:
            return None
        oldest = min(aware(request.created_at) for request in open_items)
        return (now or utcnow()) - oldest

    def set_status(self, request_id: int, status: CallbackStatus, user: str) -> None:
        self.store.set_callback_status(request_id, status)
        with Session(self.store.engine) as session, session.begin():
            session.add(CallbackStatusChange(request_id=request_id, status=status.value, changed_by=user))
