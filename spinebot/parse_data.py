"""What the project's NLU components add to a parsed message, and the actions read back.

The safety and scope guards (spinebot/nlu_components.py) store their reasons in the message's parse
data, where Rasa keeps them with the user event; the actions (actions/answers.py, through
spinebot/answering.py) read them back from the tracker as JSON. One typed definition for both sides,
so that a renamed key is a type error, not a silently missing safety reply.
"""

from __future__ import annotations

from typing import Dict, List, Optional, TypedDict

SAFETY_KEY = "safety"
SCOPE_KEY = "scope"
STOP_KEY = "stop_request"
# The misspelt words the NLU read as others ({"surgry": "surgery"}), for staff review.
SPELLING_KEY = "spelling"


class FiringData(TypedDict):
    """One safety rule that fired: which, at what level, what it says, the words that matched."""

    rule: str
    level: str
    says: str
    matched: Dict[str, List[str]]


class SafetyData(TypedDict, total=False):
    """The safety verdict of a message, with the intent it replaced."""

    level: Optional[str]
    levels: List[str]
    firings: List[FiringData]
    corrections: Dict[str, str]
    replaced_intent: Optional[str]
    replaced_confidence: Optional[float]


class StopData(TypedDict):
    """Why a message was taken as "stop" (the call-back form's stop-request guard)."""

    reason: str


class ScopeData(TypedDict, total=False):
    """Why a message was marked out of scope: another area of medicine, a spine condition the
    knowledge base does not cover, or another language."""

    foreign_words: List[str]
    uncovered_words: List[str]
    other_language: bool  # written in a language other than English
    replaced_intent: Optional[str]


CRISIS_MODEL_KEY = "crisis_model"
# The sentence embedding of the whole message, when the intent classifier computed one: kept on the
# message (not in its output) so that the crisis-language model does not encode the message twice.
TEXT_EMBEDDING_KEY = "spinebot_text_embedding"


class CrisisModelData(TypedDict):
    """The crisis-language model's reading of a message (spinebot/crisis_model.py)."""

    probability: float
    fired: bool
