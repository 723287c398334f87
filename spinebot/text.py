"""The one whitespace rule shared by everything that reads what patients or editors typed."""

from __future__ import annotations

from typing import Optional


def one_line(text: Optional[str]) -> str:
    """Runs of whitespace (newlines, tabs, doubled spaces) as one space, without leading or trailing space."""
    return " ".join((text or "").split())
