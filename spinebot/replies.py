"""Wording of the replies built around the knowledge base (knowledge/conversation/replies.yml).

Data, not code: correcting what the bot says when the documents are silent, or when a patient
asks about their own case, means editing the YAML file. Loading is strict, like the knowledge
base's: a missing sentence stops the bot at start-up instead of leaving a patient with a blank.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Mapping, Optional

import yaml

from spinebot import paths

REPLIES_FILE = Path("conversation") / "replies.yml"
NOT_COVERED_KEYS = ("facet", "general", "who_can_help", "offer")
NOT_WHAT_I_ASKED_KEYS = ("with_options", "without_options")
GATE_KEYS = ("unreadable", "too_long", "too_fast", "fault")


class RepliesError(ValueError):
    """The replies file is missing a sentence; the message names the file and the field."""


@dataclass(frozen=True)
class Replies:
    facets: Mapping[str, str]
    not_covered: Mapping[str, str]
    personal_reminder: str
    not_what_i_asked: Mapping[str, str]
    facet_cues: Mapping[str, tuple] = field(default_factory=dict)
    # Said by the input channels' gate (spinebot/channels.py) instead of the bot: limits and faults.
    gate: Mapping[str, str] = field(default_factory=dict)

    def facet_question(self, facet: str, subject_name: str) -> Optional[str]:
        """'whether laser spine surgery is painful', or None for an unknown facet."""
        template = self.facets.get(facet)
        return template.replace("{subject}", subject_name) if template else None

    def cued_facet(self, text: str) -> Optional[str]:
        """The facet a message's own words ask for ("success rate" → success), if any."""
        lowered = " " + re.sub(r"[^a-z0-9%' -]+", " ", text.lower()) + " "
        for facet, cues in self.facet_cues.items():
            if any(f" {cue} " in lowered or (cue == "%" and "%" in lowered) for cue in cues):
                return facet
        return None


def _text(raw: Any, where: str) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise RepliesError(f"{REPLIES_FILE}: {where}: must be non-empty text")
    return " ".join(raw.split())


def _section(data: Mapping[str, Any], name: str, keys: tuple) -> Dict[str, str]:
    section = data.get(name)
    if not isinstance(section, dict):
        raise RepliesError(f"{REPLIES_FILE}: {name}: must be a mapping")
    return {key: _text(section.get(key), f"{name}.{key}") for key in keys}


def load_replies(folder: Optional[Path] = None) -> Replies:
    path = Path(folder or paths.KNOWLEDGE_DIR) / REPLIES_FILE
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    facets = data.get("facets")
    if not isinstance(facets, dict) or not facets:
        raise RepliesError(f"{REPLIES_FILE}: facets: must map each follow-up facet to its `asks` wording")
    return Replies(
        facets={name: _text((raw or {}).get("asks"), f"facets.{name}.asks") for name, raw in facets.items()},
        not_covered=_section(data, "not_covered", NOT_COVERED_KEYS),
        personal_reminder=_text(data.get("personal_reminder"), "personal_reminder"),
        not_what_i_asked=_section(data, "not_what_i_asked", NOT_WHAT_I_ASKED_KEYS),
        facet_cues=_facet_cues(data.get("facet_cues") or {}, facets),
        gate=_section(data, "gate", GATE_KEYS),
    )


def _facet_cues(raw: Mapping[str, Any], facets: Mapping[str, Any]) -> Dict[str, tuple]:
    cues = {}
    for facet, words in raw.items():
        if facet not in facets:
            raise RepliesError(f"{REPLIES_FILE}: facet_cues.{facet}: not a facet listed under `facets`")
        if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
            raise RepliesError(f"{REPLIES_FILE}: facet_cues.{facet}: must be a list of words or phrases")
        cues[facet] = tuple(" ".join(w.lower().split()) for w in words)
    return cues


@lru_cache(maxsize=1)
def default_replies() -> Replies:
    return load_replies(paths.KNOWLEDGE_DIR)
