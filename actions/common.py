"""Helpers shared by SpineBot's actions."""

from __future__ import annotations

import datetime as dt
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction
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


def then_wait_for_the_patient(tracker: Tracker, events: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The action's events, and waiting for the patient's next message as the next step.

    Every rule and story waits for the patient after an answer, so the dialogue policies would
    only confirm it; saying so spares the Rasa server one run of its policies per turn (`make
    bench`, README "Speed"). Inside a form the policies still choose: the form may ask next.
    """
    if (tracker.active_loop or {}).get("name"):
        return events
    return [*events, FollowupAction("action_listen")]
