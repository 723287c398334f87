"""Blind evaluation: how SpineBot's replies score on question sets nobody on the team wrote.

A question set is a YAML file of single questions or of multi-turn dialogues, each turn labelled
with what a good reply is: a knowledge entry (`expect`, plus fair alternatives in `also_ok`),
`no_answer` (the sources are silent: an honest "not covered" reply is right), `out_of_scope`, or
`clarify`. Replies are judged by the reply contract the patient's client receives (`kb_id`,
`type`), so what is measured is exactly what a patient would see, over the real servers.

Scoring is kept apart from running so that it can be tested without servers, and so that the
same scoring applies to the TF-IDF baseline (what an FAQ page's search box would answer).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import yaml

NO_ANSWER, OUT_OF_SCOPE, CLARIFY = "no_answer", "out_of_scope", "clarify"
PERSONAL_LABEL = "personal_advice"
SPECIAL_LABELS = (NO_ANSWER, OUT_OF_SCOPE, CLARIFY)
# Asking to be phoned back is answered by the call-back form's first question, which carries no
# knowledge entry: the form starting is the right reply.
CALLBACK_LABEL = "request_callback"
# The safety net's replies, by level, and the levels that answer a turn labelled with each: a more
# urgent reply of the same kind is right too (999 for what needed a same-day call).
SAFETY_REPLIES_ACCEPTED = {
    "urgent_same_day": frozenset({"urgent_same_day", "urgent_emergency"}),
    "urgent_emergency": frozenset({"urgent_emergency"}),
    "crisis_support": frozenset({"crisis_support", "crisis_emergency"}),
    "crisis_emergency": frozenset({"crisis_emergency"}),
}
# Labels an author may use for a reply the bot gives under another name: asking for a person gets
# the booking answer with the call-back offer (one reply for both, by design).
LABEL_ALIASES = {"human_handoff": "booking"}

# What a reply was, read from its contract.
ANSWER, DECLINED_NOT_COVERED, DECLINED_OUT_OF_SCOPE, SAFETY, OTHER = (
    "answer",
    "not_covered",
    "out_of_scope",
    "safety",
    "other",
)

# How a turn scored.
RIGHT, WRONG, CLARIFIED, HONEST, DECLINED = "right", "wrong", "clarified", "honest", "declined"


@dataclass(frozen=True)
class Turn:
    """One message to send and what a good reply to it is."""

    text: str
    expect: str
    also_ok: Tuple[str, ...] = ()

    @property
    def accepted(self) -> Tuple[str, ...]:
        return (self.expect,) + self.also_ok

    @property
    def category(self) -> str:
        """in_scope, no_answer, out_of_scope or clarify: each is reported on its own."""
        return self.expect if self.expect in SPECIAL_LABELS else "in_scope"


@dataclass(frozen=True)
class Dialogue:
    id: str
    turns: Tuple[Turn, ...]


@dataclass
class EvalSet:
    """A question file: single questions are dialogues of one turn."""

    name: str
    path: Path
    dialogues: List[Dialogue]
    multi_turn: bool
    persona: str = ""


@dataclass(frozen=True)
class Reply:
    """What the patient got, as the reply contract says."""

    kind: str
    kb_id: Optional[str] = None
    options: Tuple[str, ...] = ()
    # The answer came with the reminder that only the patient's own doctor can judge their case.
    personal: bool = False
    # Every safety level the reply gave (kb_id is the most urgent): 999 for a collapse together
    # with the crisis lines answers a turn that needs either.
    safety_levels: Tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """The reply as one label, for the confusion matrix."""
        if self.kind == ANSWER and self.kb_id:
            return self.kb_id
        if self.kind == CLARIFY:
            return CLARIFY
        return self.kind


@dataclass(frozen=True)
class Scored:
    set_name: str
    dialogue_id: str
    turn_index: int
    turn: Turn
    reply: Reply
    outcome: str
    right_in_buttons: bool = False


def _turn(raw: Mapping[str, Any], where: str) -> Turn:
    text, expect = raw.get("text"), raw.get("expect")
    if not isinstance(text, str) or not isinstance(expect, str):
        raise ValueError(f"{where}: every turn needs `text` and `expect`")
    also_ok = raw.get("also_ok") or []
    return Turn(
        text=text,
        expect=_canonical(expect),
        also_ok=tuple(dict.fromkeys(_canonical(str(label)) for label in also_ok)),
    )


def _canonical(label: str) -> str:
    return LABEL_ALIASES.get(label.strip(), label.strip())


def load_eval_set(path: Path) -> EvalSet:
    """Read a question set (`questions:`) or a dialogue set (`dialogues:`)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if "dialogues" in data:
        dialogues = [
            Dialogue(
                id=str(raw.get("id", index)),
                turns=tuple(_turn(turn, f"{path.name}: dialogue {raw.get('id', index)}") for turn in raw["turns"]),
            )
            for index, raw in enumerate(data["dialogues"])
        ]
        return EvalSet(path.stem, path, dialogues, multi_turn=True, persona=str(data.get("persona", "")))
    questions = data.get("questions")
    if not isinstance(questions, list):
        raise ValueError(f"{path.name}: needs `questions:` or `dialogues:`")
    dialogues = [
        Dialogue(id=f"q{index}", turns=(_turn(raw, f"{path.name}: question {index}"),))
        for index, raw in enumerate(questions)
    ]
    return EvalSet(path.stem, path, dialogues, multi_turn=False, persona=str(data.get("persona", "")))


def load_eval_sets(folder: Path) -> List[EvalSet]:
    return [load_eval_set(path) for path in sorted(folder.glob("*.yml"))]


def check_labels(eval_set: EvalSet, known: Iterable[str]) -> List[str]:
    """Labels in a set that are neither a knowledge entry nor a special label (typos in a set)."""
    allowed = set(known) | set(SPECIAL_LABELS) | {CALLBACK_LABEL}
    return sorted(
        {
            label
            for dialogue in eval_set.dialogues
            for turn in dialogue.turns
            for label in turn.accepted
            if label not in allowed
        }
    )


def read_reply(messages: Sequence[Mapping[str, Any]], callback_prompt: Optional[str] = None) -> Reply:
    """Classify a REST reply (a list of bot messages) by the contracts it carries; a reply that
    asks `callback_prompt` (the call-back form's first question) is the form starting."""
    contracts = [message["custom"] for message in messages if isinstance(message.get("custom"), dict)]
    safety_levels = [str(c.get("kb_id")) for c in contracts if c.get("type") in ("urgent", "crisis")]
    if safety_levels:
        # the most urgent level said, for turns labelled with the level they need
        return Reply(SAFETY, kb_id=min(safety_levels, key=_urgency_rank), safety_levels=tuple(safety_levels))
    if callback_prompt and any(message.get("text") == callback_prompt for message in messages):
        return Reply(ANSWER, kb_id=CALLBACK_LABEL)
    for contract in contracts:
        if contract.get("kb_id"):
            return Reply(ANSWER, kb_id=str(contract["kb_id"]), personal=bool(contract.get("personal")))
        kind = contract.get("type")
        if kind == CLARIFY:
            return Reply(CLARIFY, options=tuple(contract.get("options") or ()))
        if kind == "not_covered":
            return Reply(DECLINED_NOT_COVERED)
        if kind == "out_of_scope":
            return Reply(DECLINED_OUT_OF_SCOPE)
        if kind == "opening_hours":
            return Reply(ANSWER, kb_id="opening_hours")
    return Reply(OTHER)


def _urgency_rank(level: str) -> int:
    order = ("crisis_emergency", "urgent_emergency", "crisis_support", "urgent_same_day")
    return order.index(level) if level in order else len(order)


def score_turn(turn: Turn, reply: Reply) -> Tuple[str, bool]:
    """(outcome, right entry among the clarifying buttons)."""
    if reply.kind == SAFETY:
        # right for a turn that needs the safety reply; for any other turn the safety net answered
        # instead of the knowledge base (a false alarm, or a real sign the author did not label)
        given = reply.safety_levels or (str(reply.kb_id),)
        needed = any(set(given) & SAFETY_REPLIES_ACCEPTED.get(label, frozenset()) for label in turn.accepted)
        return (RIGHT if needed else WRONG), False
    declined = reply.kind in (DECLINED_NOT_COVERED, DECLINED_OUT_OF_SCOPE)
    if reply.kind == CLARIFY:
        return (RIGHT if turn.expect == CLARIFY else CLARIFIED), any(label in reply.options for label in turn.accepted)
    if reply.kind == ANSWER and reply.kb_id in turn.accepted:
        return RIGHT, False
    if reply.kind == ANSWER and reply.personal and PERSONAL_LABEL in turn.accepted:
        # The personal-advice reply, with the general entry that fits the case (issue 9, item 5).
        return RIGHT, False
    if turn.expect == NO_ANSWER:
        return (HONEST if declined else WRONG), False
    if turn.expect == OUT_OF_SCOPE:
        return (RIGHT if declined else WRONG), False
    if declined:
        return DECLINED, False
    return WRONG, False


@dataclass
class Summary:
    """Counts for one category of one set."""

    total: int = 0
    outcomes: Counter = field(default_factory=Counter)
    clarified_with_right_button: int = 0

    def add(self, scored: Scored) -> None:
        self.total += 1
        self.outcomes[scored.outcome] += 1
        if scored.outcome == CLARIFIED and scored.right_in_buttons:
            self.clarified_with_right_button += 1

    def share(self, *outcomes: str) -> float:
        return sum(self.outcomes[o] for o in outcomes) / self.total if self.total else 0.0


def summarise(results: Iterable[Scored], follow_ups_only: bool = False) -> Dict[str, Summary]:
    """Per category (in_scope, no_answer, out_of_scope, clarify, follow_up): counts of outcomes."""
    summaries: Dict[str, Summary] = {}
    for scored in results:
        if follow_ups_only and scored.turn_index == 0:
            continue
        summaries.setdefault(scored.turn.category, Summary()).add(scored)
        if scored.turn_index > 0:
            summaries.setdefault("follow_up", Summary()).add(scored)
    return summaries


def percent(part: int, whole: int) -> str:
    return f"{part}/{whole} ({part / whole:.1%})" if whole else "-"


def summary_rows(name: str, summaries: Mapping[str, Summary]) -> List[List[str]]:
    """Markdown table rows: set, category, n, right, wrong, clarified (right button), declined."""
    rows = []
    for category in ("in_scope", "follow_up", "no_answer", "out_of_scope", "clarify"):
        summary = summaries.get(category)
        if summary is None:
            continue
        right = summary.outcomes[RIGHT] + summary.outcomes[HONEST]
        rows.append(
            [
                name,
                category,
                str(summary.total),
                percent(right, summary.total),
                percent(summary.outcomes[WRONG], summary.total),
                f"{percent(summary.outcomes[CLARIFIED], summary.total)}; right button {summary.clarified_with_right_button}",
                percent(summary.outcomes[DECLINED], summary.total),
            ]
        )
    return rows


TABLE_HEADER = ["set", "category", "n", "right (honest for no_answer)", "wrong answer", "asked to clarify", "declined"]


def markdown_table(rows: Sequence[Sequence[str]], header: Sequence[str] = TABLE_HEADER) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


class TfidfBaseline:
    """What an FAQ page's search box answers: the knowledge entry whose title and answer share the
    most (TF-IDF weighted) words with the question; nothing when no word is shared."""

    def __init__(self, documents: Mapping[str, str]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.ids = list(documents)
        self.vectorizer = TfidfVectorizer(stop_words="english", sublinear_tf=True)
        self.matrix = self.vectorizer.fit_transform([documents[i] for i in self.ids])

    def reply(self, text: str) -> Reply:
        scores = (self.matrix @ self.vectorizer.transform([text]).T).toarray().ravel()
        best = int(scores.argmax())
        if scores[best] <= 0.0:
            return Reply(DECLINED_OUT_OF_SCOPE)
        return Reply(ANSWER, kb_id=self.ids[best])
