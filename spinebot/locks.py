"""Which lock store the Rasa server uses: Redis when several replicas share the work, else in memory.

Rasa processes one message per conversation at a time by taking a lock. One server keeps its locks
in memory; replicas must share them, or two could answer the same patient's messages at once and
interleave the stored conversation. One setting decides, like the database: `SPINEBOT_REDIS_URL`
(redis://[:password@]host[:port][/db]). endpoints.yml names this class, so nothing is edited to scale.
"""

from __future__ import annotations

import os
from typing import Any, Optional
from urllib.parse import urlparse

from rasa.core.lock_store import InMemoryLockStore, LockStore, RedisLockStore

REDIS_URL_ENV = "SPINEBOT_REDIS_URL"


class EnvLockStore(LockStore):
    """Builds Rasa's own `RedisLockStore` or `InMemoryLockStore` (storage stays Rasa's tested code)."""

    def __new__(cls, endpoint_config: Optional[Any] = None) -> LockStore:  # type: ignore[misc]
        return lock_store_for(os.environ.get(REDIS_URL_ENV, "").strip())


def lock_store_for(redis_url: str) -> LockStore:
    if not redis_url:
        return InMemoryLockStore()
    url = urlparse(redis_url)
    if url.scheme not in ("redis", "rediss") or not url.hostname:
        raise ValueError(f"{REDIS_URL_ENV}: expected redis://host[:port][/db], got scheme '{url.scheme}'")
    database = int(url.path.lstrip("/") or 1)
    return RedisLockStore(
        host=url.hostname,
        port=url.port or 6379,
        db=database,
        username=url.username or None,
        password=url.password or None,
        use_ssl=url.scheme == "rediss",
        key_prefix="spinebot",
    )
