"""Which lock store the Rasa server uses: Redis when several replicas share the work, else in memory.

Rasa processes one message per conversation at a time by taking a lock. One server keeps its locks
in memory; replicas must share them, or two could answer the same patient's messages at once and
interleave the stored conversation. One setting decides, like the database: `SPINEBOT_REDIS_URL`
(redis://[:password@]host[:port][/db]). endpoints.yml names this class, so nothing is edited to scale.
"""

from __future__ import annotations

import json
import os
from typing import Any, Callable, Optional, Tuple, TypeVar
from urllib.parse import urlparse

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, InMemoryLockStore, LockError, LockStore, RedisLockStore

Result = TypeVar("Result")

REDIS_URL_ENV = "SPINEBOT_REDIS_URL"


class EnvLockStore(LockStore):
    """Builds `AtomicRedisLockStore` (Rasa's Redis store, each change atomic) or Rasa's `InMemoryLockStore`."""

    def __new__(cls, endpoint_config: Optional[Any] = None) -> LockStore:  # type: ignore[misc]
        return lock_store_for(os.environ.get(REDIS_URL_ENV, "").strip())


class AtomicRedisLockStore(RedisLockStore):
    """Rasa's `RedisLockStore` with every change to a conversation's lock made in one transaction.

    Rasa 3.6 reads a lock, changes it and writes it back in separate commands. Two replicas taking
    a ticket for the same conversation at the same moment could both read the same lock, both get
    the same ticket, and process two messages at once; or one replica's clean-up could delete the
    lock just after another took a ticket, which then fails with "could not acquire lock". Measured
    in tests/test_scale_out.py: 1 of 40 conversations lost a message with Rasa's store. Here each
    read-change-write runs under Redis WATCH/MULTI and is retried if the lock changed meanwhile.
    """

    def _atomically(
        self, conversation_id: str, change: Callable[[Optional[TicketLock]], Tuple[Optional[TicketLock], Result]]
    ) -> Result:
        key = self.key_prefix + conversation_id
        with self.red.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    stored = pipe.get(key)
                    lock, result = change(TicketLock.from_dict(json.loads(stored)) if stored else None)
                    pipe.multi()
                    if lock is None:
                        pipe.delete(key)
                    else:
                        pipe.set(key, lock.dumps())
                    pipe.execute()
                    return result
                except redis.WatchError:
                    continue

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def take(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], int]:
            lock = lock or self.create_lock(conversation_id)
            return lock, lock.issue_ticket(lock_lifetime)

        try:
            return self._atomically(conversation_id, take)
        except redis.RedisError as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: str) -> None:
        def drop_expired(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], None]:
            if lock is not None:
                lock.remove_expired_tickets()
            return lock, None

        self._atomically(conversation_id, drop_expired)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        def finish(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], None]:
            if lock is not None:
                lock.remove_ticket_for(ticket_number)
            return lock, None

        self._atomically(conversation_id, finish)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        def finish_and_remove_if_idle(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], None]:
            if lock is None:
                return None, None
            lock.remove_ticket_for(ticket_number)
            return (lock if lock.is_someone_waiting() else None), None

        self._atomically(conversation_id, finish_and_remove_if_idle)


def lock_store_for(redis_url: str) -> LockStore:
    if not redis_url:
        return InMemoryLockStore()
    url = urlparse(redis_url)
    if url.scheme not in ("redis", "rediss") or not url.hostname:
        raise ValueError(f"{REDIS_URL_ENV}: expected redis://host[:port][/db], got scheme '{url.scheme}'")
    database = int(url.path.lstrip("/") or 1)
    return AtomicRedisLockStore(
        host=url.hostname,
        port=url.port or 6379,
        db=database,
        username=url.username or None,
        password=url.password or None,
        use_ssl=url.scheme == "rediss",
        key_prefix="spinebot",
    )
