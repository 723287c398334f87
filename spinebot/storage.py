"""Where the project keeps what it must not lose: conversations (Rasa's SQL tracker store) and,
in the same database, the project's own tables.

One setting decides the database for everything: `SPINEBOT_DATABASE_URL`. Unset, it is an
SQLite file under the data folder (`var/`, git-ignored), so `make run` needs no server; set to a
PostgreSQL URL, the same code runs at scale without editing any file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Optional

from rasa.core.tracker_store import SQLTrackerStore

from spinebot import paths

DATABASE_URL_ENV = "SPINEBOT_DATABASE_URL"
DEFAULT_SQLITE_NAME = "spinebot.db"


def database_url() -> str:
    """The configured database URL, defaulting to the embedded SQLite file."""
    url = os.environ.get(DATABASE_URL_ENV, "").strip()
    if url:
        # Heroku-style URLs say postgres://, which SQLAlchemy 1.4 no longer accepts.
        return "postgresql://" + url[len("postgres://"):] if url.startswith("postgres://") else url
    data_dir = Path(paths.DATA_DIR)
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(data_dir / DEFAULT_SQLITE_NAME).resolve()}"


class EnvSQLTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store, pointed at `SPINEBOT_DATABASE_URL` (or the SQLite default).

    Rasa's own `SQLTrackerStore` takes the URL through `host` when it contains "://", so this
    subclass only decides the URL; storage itself stays Rasa's tested code.
    """

    def __init__(self, domain: Optional[Any] = None, host: Optional[str] = None, **kwargs: Any) -> None:
        kwargs.pop("url", None)
        super().__init__(domain=domain, host=host if host and "://" in host else database_url(), **kwargs)
