"""Patient-facing wording is data: no sentence a patient can read is written in Python, and the
replies file that holds it is loaded strictly.

Correcting what the bot says must mean editing knowledge/conversation/replies.yml (or domain.yml),
never code. This reads the modules that build replies with `ast` and fails on any string that
could reach a patient: 4 or more words of literal text, a button title, or a message's `text`.
Docstrings, logging calls and exception messages are for developers and operators, so they are
left out; comments are not in the syntax tree at all.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any, Iterator, List, Set, Tuple

import pytest
import yaml

from spinebot import paths
from spinebot.replies import REPLIES_FILE, RepliesError, load_replies

REPLY_MODULES = sorted((paths.PROJECT_ROOT / "actions").glob("*.py")) + [
    paths.PROJECT_ROOT / "spinebot" / "clinic.py",
    paths.PROJECT_ROOT / "spinebot" / "knowledge.py",
    paths.PROJECT_ROOT / "spinebot" / "replies.py",
    paths.PROJECT_ROOT / "spinebot" / "answering.py",
    paths.PROJECT_ROOT / "spinebot" / "handoff.py",
]
# spinebot/channels.py is left out: its sentences are HTTP 400 bodies for the developer of a client
# (the widget never shows them); what its gate says to a patient is in replies.yml (`gate`).
MAX_WORDS = 3
LOGGERS = {"logger", "logging"}
DOCUMENTED = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
# Words the bot listens for, never says (a patient skipping the call-back topic).
LISTENED_FOR = {"prefer not to say"}


def words(text: str) -> int:
    """Whitespace-separated tokens with a letter in them: '09:00' and '{}' are not words."""
    return sum(1 for token in text.split() if re.search(r"[A-Za-z]", token))


def literal_text(node: Any) -> str:
    """The text a string node contributes itself: an f-string's literal parts, its values as {}."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(str(part.value) if isinstance(part, ast.Constant) else "{}" for part in node.values)
    return ""


def is_string(node: ast.AST) -> bool:
    return isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str))


def not_for_patients(tree: ast.AST) -> Set[int]:
    """Ids of nodes whose strings only developers see: docstrings, log lines, exceptions."""
    skipped: Set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, DOCUMENTED) and ast.get_docstring(node):
            skipped.add(id(node.body[0]))
        elif isinstance(node, ast.Raise):
            skipped.add(id(node))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in LOGGERS
        ):
            skipped.add(id(node))
    return skipped


def strings_for_patients(tree: ast.AST) -> Iterator[Any]:
    """Every string node outside docstrings, log lines and exceptions: an f-string as one node,
    and the strings inside its {expressions} as nodes of their own."""
    skipped = not_for_patients(tree)

    def visit(node: ast.AST) -> Iterator[ast.AST]:
        if id(node) in skipped:
            return
        if is_string(node):
            yield node
        children = (
            [part.value for part in node.values if isinstance(part, ast.FormattedValue)]
            if isinstance(node, ast.JoinedStr)
            else list(ast.iter_child_nodes(node))
        )
        for child in children:
            yield from visit(child)

    yield from visit(tree)


def labelled_strings(tree: ast.AST) -> Iterator[Tuple[str, Any]]:
    """Strings given as a button `title` or a message `text`, in a dict literal or a call."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            pairs = [
                (key.value, value)
                for key, value in zip(node.keys, node.values, strict=True)
                if isinstance(key, ast.Constant) and isinstance(key.value, str)
            ]
        elif isinstance(node, ast.Call):
            pairs = [(keyword.arg, keyword.value) for keyword in node.keywords if keyword.arg]
        else:
            continue
        for label, value in pairs:
            if label in ("title", "text") and is_string(value):
                yield label, value


def wording_in_code(path: Path) -> List[str]:
    """Where a module holds text a patient could read, as 'file:line: text'."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    where = path.relative_to(paths.PROJECT_ROOT)
    found = [
        f"{where}:{node.lineno}: {literal_text(node)!r}"
        for node in strings_for_patients(tree)
        if words(literal_text(node)) > MAX_WORDS and literal_text(node) not in LISTENED_FOR
    ]
    found += [
        f"{where}:{node.lineno}: {label} {literal_text(node)!r}"
        for label, node in labelled_strings(tree)
        if words(literal_text(node)) > 0
    ]
    return sorted(set(found))


def test_the_rule_sees_sentences_titles_and_f_strings():
    """The checker itself: what it must catch, and what it must leave alone."""
    caught = ast.parse(
        'x = f"OK, let\'s change your {field}."\nb = {"title": "No"}\nsend(text="Hi")\n'
        "y = f\"{'Sorry, that did not work' if failed else name}\"\n"
    )
    assert len([n for n in strings_for_patients(caught) if words(literal_text(n)) > MAX_WORDS]) == 2
    assert [label for label, _ in labelled_strings(caught)] == ["title", "text"]
    allowed = ast.parse(
        '"""A docstring of many words."""\nlogger.info("stored the feedback for later")\n'
        'raise ValueError("the file needs a list of phrases")\n'
    )
    assert [n for n in strings_for_patients(allowed) if words(literal_text(n)) > MAX_WORDS] == []


@pytest.mark.parametrize("path", REPLY_MODULES, ids=lambda path: path.name)
def test_no_patient_wording_in_python(path: Path):
    found = wording_in_code(path)
    assert found == [], (
        "Patient-facing wording belongs in knowledge/conversation/replies.yml "
        "(or domain.yml), not in Python:\n" + "\n".join(found)
    )


@pytest.mark.parametrize(
    "missing",
    [
        "answers.related",
        "feedback.not_helpful",
        "handoff.closed_until",
        "callback.saved",
        "callback_fields.callback_phone.summary",
        "buttons.callback",
    ],
)
def test_a_missing_sentence_stops_the_bot_naming_it(tmp_path: Path, missing: str):
    data = yaml.safe_load((paths.KNOWLEDGE_DIR / REPLIES_FILE).read_text(encoding="utf-8"))
    *sections, key = missing.split(".")
    parent = data
    for section in sections:
        parent = parent[section]
    del parent[key]
    (tmp_path / REPLIES_FILE).parent.mkdir()
    (tmp_path / REPLIES_FILE).write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(RepliesError, match=rf"replies.yml: {re.escape(missing)}: must be non-empty text"):
        load_replies(tmp_path)
