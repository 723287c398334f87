"""Talking to the real Rasa server over REST, shared by the end-to-end test modules."""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Union

import requests

Servers = Union[str, Mapping[str, Any]]


def rest_url(servers: Servers) -> str:
    base = servers if isinstance(servers, str) else servers["rasa"]
    return f"{base}/webhooks/rest/webhook"


def say(servers: Servers, sender: str, text: str, timeout: float = 120) -> List[Dict[str, Any]]:
    """One patient message; the bot's replies. Anything but a 200 fails the test, with the body."""
    response = requests.post(rest_url(servers), json={"sender": sender, "message": text}, timeout=timeout)
    assert response.status_code == 200, response.text[:300]
    return response.json()


def texts(replies: List[Dict[str, Any]]) -> str:
    return "\n".join(reply.get("text", "") for reply in replies)


def contract(replies: List[Dict[str, Any]]) -> Dict[str, Any]:
    """The reply contract: exactly one `custom` message per answer."""
    customs = [reply["custom"] for reply in replies if "custom" in reply]
    assert len(customs) == 1, replies
    return customs[0]


def kb_id(replies: List[Dict[str, Any]]) -> Optional[str]:
    """The answered entry, or None when no contract came (a fault or gate reply)."""
    customs = [reply["custom"] for reply in replies if "custom" in reply]
    return customs[0].get("kb_id") if customs else None
