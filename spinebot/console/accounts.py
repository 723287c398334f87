"""Staff accounts, sign-in throttling and the audit log of the staff console.

Passwords are stored only as Argon2 hashes (argon2-cffi). Every view, export, change or erasure a
staff member makes is written to the audit log, which admins can read: a patient's conversation is
health data, and the clinic must be able to say who looked at it and when.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import List, Optional

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from spinebot.storage import Base, Store, utcnow

ROLES = ("staff", "admin")
MIN_PASSWORD_LENGTH = 12
# Sign-in attempts: after this many failures for one name from one address (or four times as many
# from one address, whatever the names) within the window, further attempts are refused until the
# window has passed. Counting per name and address together means nobody can lock a colleague out
# from elsewhere by guessing wrong on purpose.
MAX_FAILED_SIGN_INS = 5
MAX_FAILED_PER_ADDRESS = 4 * MAX_FAILED_SIGN_INS
SIGN_IN_WINDOW = dt.timedelta(minutes=15)

_hasher = PasswordHasher()


class AccountError(ValueError):
    """A user cannot be created or changed as asked; the message says why."""


class StaffUser(Base):
    __tablename__ = "spinebot_staff_users"
    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(sa.String(100), nullable=False, unique=True)
    role = sa.Column(sa.String(16), nullable=False)
    password_hash = sa.Column(sa.String(200), nullable=False)
    created_at = sa.Column(sa.DateTime(timezone=True), nullable=False, default=utcnow)


class SignInAttempt(Base):
    __tablename__ = "spinebot_sign_in_attempts"
    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(sa.String(100), nullable=False, index=True)
    address = sa.Column(sa.String(64), nullable=False, index=True)
    succeeded = sa.Column(sa.Boolean, nullable=False)
    at = sa.Column(sa.DateTime(timezone=True), nullable=False, default=utcnow, index=True)


class AuditEntry(Base):
    __tablename__ = "spinebot_audit_log"
    id = sa.Column(sa.Integer, primary_key=True)
    at = sa.Column(sa.DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    user = sa.Column(sa.String(100), nullable=False)
    action = sa.Column(sa.String(40), nullable=False)
    target = sa.Column(sa.String(255), nullable=False, default="")
    detail = sa.Column(sa.String(500), nullable=False, default="")


@dataclass(frozen=True)
class SignedInUser:
    id: int
    name: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class Accounts:
    """Staff users, sign-in checks and the audit log, in the project's database."""

    def __init__(self, store: Store) -> None:
        self.engine = store.engine
        Base.metadata.create_all(self.engine)

    def add_user(self, name: str, role: str, password: str) -> SignedInUser:
        name = name.strip()
        if not name or len(name) > 100:
            raise AccountError("a user name of 1 to 100 characters is needed")
        if role not in ROLES:
            raise AccountError(f"role must be one of {', '.join(ROLES)}")
        if len(password) < MIN_PASSWORD_LENGTH:
            raise AccountError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
        with Session(self.engine) as session, session.begin():
            if session.execute(sa.select(StaffUser).where(StaffUser.name == name)).scalar_one_or_none():
                raise AccountError(f"a user called {name!r} already exists")
            user = StaffUser(name=name, role=role, password_hash=_hasher.hash(password))
            session.add(user)
            session.flush()
            return SignedInUser(user.id, user.name, user.role)

    def user(self, user_id: int) -> Optional[SignedInUser]:
        with Session(self.engine) as session:
            user = session.get(StaffUser, user_id)
            return SignedInUser(user.id, user.name, user.role) if user else None

    def throttled(self, name: str, address: str, now: Optional[dt.datetime] = None) -> bool:
        """Too many recent failures for this name from this address, or from this address at all."""
        since = (now or utcnow()) - SIGN_IN_WINDOW
        recent = (
            sa.select(sa.func.count())
            .select_from(SignInAttempt)
            .where(SignInAttempt.succeeded.is_(False), SignInAttempt.at >= since, SignInAttempt.address == address)
        )
        with Session(self.engine) as session:
            for_name = session.execute(recent.where(SignInAttempt.name == name)).scalar_one()
            for_address = session.execute(recent).scalar_one()
        return for_name >= MAX_FAILED_SIGN_INS or for_address >= MAX_FAILED_PER_ADDRESS

    def sign_in(self, name: str, password: str, address: str) -> Optional[SignedInUser]:
        """The user if the password is right (and sign-in is not throttled); every attempt is kept."""
        name = name.strip()[:100]
        if self.throttled(name, address):
            return None
        with Session(self.engine) as session, session.begin():
            user = session.execute(sa.select(StaffUser).where(StaffUser.name == name)).scalar_one_or_none()
            ok = False
            if user is not None:
                try:
                    ok = _hasher.verify(user.password_hash, password)
                except (VerificationError, InvalidHashError):
                    ok = False
            session.add(SignInAttempt(name=name, address=address[:64], succeeded=ok))
            return SignedInUser(user.id, user.name, user.role) if ok and user is not None else None

    def audit(self, user: str, action: str, target: str = "", detail: str = "") -> None:
        with Session(self.engine) as session, session.begin():
            session.add(AuditEntry(user=user, action=action, target=target[:255], detail=detail[:500]))

    def audit_log(self, limit: int = 500) -> List[AuditEntry]:
        query = sa.select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
        with Session(self.engine, expire_on_commit=False) as session:
            return list(session.execute(query).scalars())
