"""Where the project's files live, overridable through environment variables.

Everything is resolved from the project root so that the bot behaves the same whether it is
started by `make run`, by `rasa run` from the root, or by the tests.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE_DIR = Path(os.environ.get("SPINEBOT_KNOWLEDGE_DIR", PROJECT_ROOT / "knowledge"))
CLINIC_FILE = Path(os.environ.get("SPINEBOT_CLINIC_FILE", PROJECT_ROOT / "clinic.yml"))


def data_dir() -> Path:
    """Where the embedded SQLite file lives: read when asked, so a test or a second server can move it."""
    return Path(os.environ.get("SPINEBOT_DATA_DIR", PROJECT_ROOT / "var"))


SPACY_MODEL_DIR = PROJECT_ROOT / "build" / "spacy_en_spinebot"
MODEL_FILE = PROJECT_ROOT / "models" / "spinebot.tar.gz"  # what `make train` writes
SAFETY_PATTERNS_FILE = KNOWLEDGE_DIR / "safety" / "patterns.yml"
CRISIS_EXAMPLES_FILE = KNOWLEDGE_DIR / "safety" / "crisis_language.yml"
SCOPE_FILE = KNOWLEDGE_DIR / "scope" / "topics.yml"
EMBEDDING_CACHE_FILE = (
    PROJECT_ROOT / "build" / "sentence_embeddings_cache.npz"
)  # training only (spinebot/embeddings.py)
