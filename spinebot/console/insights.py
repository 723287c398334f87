"""What the conversations say as a whole: unanswered questions grouped, and the figures staff watch.

Unanswered questions are the user messages that got a clarifying question, an out-of-scope or a
"not in our documents" reply. They are grouped by similarity (TF-IDF over words and character
n-grams, each message joining the first group it is close enough to), so that staff see which
questions come back, and a group can be exported as Rasa NLU examples for the intent staff choose.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Dict, List, Sequence, Tuple

import yaml

from spinebot.console.conversations import Conversation

UNANSWERED_TYPES = ("clarify", "out_of_scope", "not_covered")
SIMILAR_ENOUGH = 0.35
# The newest unanswered messages grouped on the page (conversations are read newest first).
MAX_GROUPED = 2000


@dataclass
class Group:
    messages: List[str] = field(default_factory=list)
    reply_types: Counter = field(default_factory=Counter)

    @property
    def label(self) -> str:
        return self.messages[0]


def unanswered_messages(conversations: Sequence[Conversation]) -> List[Tuple[str, str]]:
    """(message, reply type) for every user turn the bot could not answer."""
    found = []
    for conversation in conversations:
        for turn in conversation.turns:
            kind = next((t for t in turn.reply_types if t in UNANSWERED_TYPES), None)
            if kind and turn.text.strip() and not turn.text.startswith("/"):
                found.append((turn.text.strip(), kind))
    return found


def group_similar(messages: Sequence[Tuple[str, str]], threshold: float = SIMILAR_ENOUGH) -> List[Group]:
    """Groups of similar messages, largest first: each message joins the group whose first message
    it is most similar to (cosine), or starts a group of its own.

    The similarities are computed in one sparse product, not pair by pair (thousands of messages
    took minutes); only the newest `MAX_GROUPED` messages are grouped.
    """
    messages = list(messages)[:MAX_GROUPED]
    if not messages:
        return []
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import normalize

    texts = [text for text, _ in messages]
    words = TfidfVectorizer(sublinear_tf=True, stop_words="english").fit(texts)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True).fit(texts)
    vectors = normalize(hstack([words.transform(texts), chars.transform(texts)]).tocsr())
    similarity = (vectors @ vectors.T).toarray()
    groups: List[Group] = []
    leaders: List[int] = []
    for index, (text, kind) in enumerate(messages):
        if leaders:
            scores = similarity[index, leaders]
            best = int(scores.argmax())
            if scores[best] > 0 and scores[best] >= threshold:
                groups[best].messages.append(text)
                groups[best].reply_types[kind] += 1
                continue
        leaders.append(index)
        groups.append(Group([text], Counter({kind: 1})))
    return sorted(groups, key=lambda group: -len(group.messages))


def nlu_yaml(intent: str, messages: Sequence[str]) -> str:
    """A group as Rasa NLU training data, ready to paste into a file of data/nlu/."""
    examples = "".join(f"- {' '.join(message.split())}\n" for message in dict.fromkeys(messages))

    class Literal(str):
        pass

    yaml.add_representer(
        Literal,
        lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|"),
        Dumper=yaml.SafeDumper,
    )
    return yaml.safe_dump(
        {"version": "3.1", "nlu": [{"intent": intent, "examples": Literal(examples)}]},
        sort_keys=False,
        allow_unicode=True,
    )


@dataclass
class Figures:
    per_day: List[Tuple[str, int]]
    turns: int
    answered_share: float
    clarify_share: float
    out_of_scope_share: float
    not_covered_share: float
    urgent_conversations: int
    crisis_conversations: int
    top_entries: List[Tuple[str, int]]
    helpful: Dict[str, Tuple[int, int]]  # kb_id → (helpful, total)


def figures(conversations: Sequence[Conversation], feedback: Sequence[Tuple[str, bool]]) -> Figures:
    per_day: Counter = Counter()
    kinds: Counter = Counter()
    entries: Counter = Counter()
    turns = 0
    for conversation in conversations:
        if conversation.started:
            per_day[conversation.started.date().isoformat()] += 1
        for turn in conversation.turns:
            turns += 1
            if turn.answered and not set(turn.reply_types) & {"urgent", "crisis"}:
                kinds["answered"] += 1
                entries.update(turn.answered[:1])
            for kind in UNANSWERED_TYPES:
                if kind in turn.reply_types:
                    kinds[kind] += 1
    helpful: Dict[str, List[int]] = defaultdict(lambda: [0, 0])
    for kb_id, was_helpful in feedback:
        helpful[kb_id][0] += int(was_helpful)
        helpful[kb_id][1] += 1
    share = (lambda n: n / turns) if turns else (lambda n: 0.0)
    return Figures(
        per_day=sorted(per_day.items()),
        turns=turns,
        answered_share=share(kinds["answered"]),
        clarify_share=share(kinds["clarify"]),
        out_of_scope_share=share(kinds["out_of_scope"]),
        not_covered_share=share(kinds["not_covered"]),
        urgent_conversations=sum("urgent" in c.flags for c in conversations),
        crisis_conversations=sum("crisis" in c.flags for c in conversations),
        top_entries=entries.most_common(10),
        helpful={kb: (counts[0], counts[1]) for kb, counts in sorted(helpful.items())},
    )


def last_days(days: int, today: dt.date) -> List[str]:
    return [(today - dt.timedelta(days=offset)).isoformat() for offset in range(days - 1, -1, -1)]
