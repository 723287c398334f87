"""Helpers shared by SpineBot's actions."""

from __future__ import annotations

import datetime as dt
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from spinebot.storage import utcnow


def send(dispatcher: CollectingDispatcher, messages: List[Dict[str, Any]]) -> None:
    for message in messages:
        dispatcher.utter_message(**message)


def channel(tracker: Tracker) -> Optional[str]:
    return tracker.get_latest_input_channel()


def now() -> dt.datetime:
    """The real clock (the same one the project's tables use); tests give the actions a fixed one instead."""
    return utcnow()
