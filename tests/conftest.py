"""Shared fixtures: the real knowledge base, clinic settings and trained model (no mocks)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any, Dict

import pytest

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")

# Sanic adds `filterwarnings("once", category=DeprecationWarning)` when it is first imported. Imported
# inside a test, that filter lands in front of pytest's named filters (pyproject.toml) and lets
# third-party deprecations through; imported here, before any test, pytest's filters stay in front.
import sanic  # noqa: E402, F401

from spinebot import paths  # noqa: E402
from spinebot.clinic import load_clinic_settings  # noqa: E402
from spinebot.knowledge import load_knowledge_base  # noqa: E402

SHARED_DIR = paths.PROJECT_ROOT.parent / "shared"
MODEL_PATH = paths.MODEL_FILE
ARTIFACTS_DIR = paths.PROJECT_ROOT / "test-artifacts"


@pytest.fixture(scope="session")
def knowledge():
    return load_knowledge_base()


@pytest.fixture(scope="session")
def clinic():
    return load_clinic_settings()


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED_DIR.is_dir():
        pytest.skip("../shared/ is not beside the project here")
    return SHARED_DIR


@pytest.fixture(scope="session")
def event_loop_for_session():
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture(scope="session")
def agent(event_loop_for_session):
    """The trained model, loaded once (`make test` trains it first)."""
    if not MODEL_PATH.exists():
        pytest.fail(f"{MODEL_PATH} is missing: run `make train` (make test does it for you)")
    from rasa.core.agent import Agent

    return Agent.load(str(MODEL_PATH))


@pytest.fixture(scope="session")
def parse(agent, event_loop_for_session):
    """Parse a text with the trained NLU pipeline, synchronously."""

    def _parse(text: str) -> Dict[str, Any]:
        return event_loop_for_session.run_until_complete(agent.parse_message(text))

    return _parse


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    return ARTIFACTS_DIR


MEASURED: list = []


def report(line: str) -> None:
    """Record a measured figure; `make test` prints them all at the end of the run."""
    MEASURED.append(line)


def pytest_terminal_summary(terminalreporter):
    if MEASURED:
        terminalreporter.section("SpineBot measured figures")
        for line in MEASURED:
            terminalreporter.write_line(line)
