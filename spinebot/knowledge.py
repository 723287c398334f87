"""The curated knowledge base: loading, validating and looking up entries.

Knowledge is data: every answer lives in a YAML file under `knowledge/`, so correcting an answer
never means editing code. Loading is strict on purpose: a malformed entry must stop the bot from
starting (and fail the tests) rather than give a patient a half-formed answer. Every error names
the file and the field so that a non-programmer can fix it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

import yaml

from spinebot import paths

SOURCES_FILE = "sources.yml"
SUBJECTS_FILE = Path("conversation") / "subjects.yml"
REQUIRED_ENTRY_FIELDS = ("id", "title", "subject", "answer", "sources", "related", "last_reviewed")
OPTIONAL_ENTRY_FIELDS = ("terms", "followups", "intents", "kind", "offer_callback")
ENTRY_ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
FOLLOWUP_KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
MAX_ANSWER_WORDS = 150
ANSWER_KIND, SAFETY_KIND = "answer", "safety"
KINDS = (ANSWER_KIND, SAFETY_KIND)


class KnowledgeError(ValueError):
    """A knowledge file breaks the schema; the message names the file and the field."""


@dataclass(frozen=True)
class Source:
    """A document an answer is drawn from: a clinic document or a public authority's page."""

    key: str
    title: str
    file: Optional[str] = None
    url: Optional[str] = None
    publisher: Optional[str] = None

    def as_contract(self) -> Dict[str, str]:
        """The source as it travels in the reply contract (no empty fields)."""
        data = {"title": self.title, "file": self.file, "url": self.url, "publisher": self.publisher}
        return {name: value for name, value in data.items() if value}


@dataclass(frozen=True)
class Entry:
    """One answer of the knowledge base, with what is needed to find, cite and follow it up."""

    id: str
    title: str
    subject: str
    answer: str
    sources: Tuple[Source, ...]
    related: Tuple[str, ...]
    last_reviewed: dt.date
    terms: Tuple[str, ...] = ()
    followups: Tuple[str, ...] = ()
    intents: Tuple[str, ...] = ()
    kind: str = "answer"
    offer_callback: bool = False
    file: str = ""


@dataclass(frozen=True)
class Subject:
    """Something patients ask about: a treatment, a condition, the clinic. Follow-ups ("is it
    painful?") are resolved against it, and a question no entry answers is declined in its name."""

    id: str
    name: str
    overview: str
    terms: Tuple[str, ...] = ()
    # False for a treatment the documents only name ("laminotomy", "shockwave therapy"): asked what
    # it is, the honest reply is that they do not say, with the entry that names it offered.
    explained: bool = True


@dataclass
class KnowledgeBase:
    """All entries, indexed the ways the assistant needs to reach them."""

    entries: Dict[str, Entry]
    sources: Dict[str, Source]
    subjects: Dict[str, Subject] = field(default_factory=dict)
    by_intent: Dict[str, Entry] = field(default_factory=dict)
    by_followup: Dict[str, Entry] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for entry in self.entries.values():
            for intent in entry.intents:
                self.by_intent[intent] = entry
            for key in entry.followups:
                self.by_followup[key] = entry

    def get(self, entry_id: str) -> Optional[Entry]:
        return self.entries.get(entry_id)

    def __getitem__(self, entry_id: str) -> Entry:
        return self.entries[entry_id]

    def __contains__(self, entry_id: object) -> bool:
        return entry_id in self.entries

    def __iter__(self):
        return iter(self.entries.values())

    def __len__(self) -> int:
        return len(self.entries)

    def for_intent(self, intent: Optional[str]) -> Optional[Entry]:
        """The entry a knowledge intent asks for directly, if the intent is one."""
        return self.by_intent.get(intent or "")

    def for_followup(self, subject: Optional[str], facet: str) -> Optional[Entry]:
        """The entry that answers `facet` ("how_done", "downsides"...) about `subject`."""
        if not subject:
            return None
        return self.by_followup.get(f"{subject}.{facet}")

    def entries_with_facet(self, facet: str) -> List[Entry]:
        """Entries answering a facet for some subject, for clarifying an unresolved follow-up."""
        seen: Dict[str, Entry] = {}
        for key, entry in self.by_followup.items():
            if key.endswith(f".{facet}"):
                seen.setdefault(entry.id, entry)
        return list(seen.values())

    def subject_terms(self) -> Dict[str, List[str]]:
        """Every subject with the words patients use for it (feeds the spaCy entity ruler)."""
        terms: Dict[str, List[str]] = {}
        owners = [(entry.subject, entry.terms) for entry in self.entries.values()]
        owners += [(subject.id, subject.terms) for subject in self.subjects.values()]
        for subject_id, subject_terms in owners:
            bucket = terms.setdefault(subject_id, [])
            bucket.extend(term for term in subject_terms if term not in bucket)
        return {subject: words for subject, words in terms.items() if words}


LIST_ITEM = re.compile(r"^(?:[-*]|\d+\.)\s+")


def unwrap_answer(text: str) -> str:
    """Join lines wrapped for the YAML file back into paragraphs and list items.

    Writers wrap answers at a comfortable width in the YAML; a chat bubble must not show those
    breaks. A blank line starts a paragraph and `- ` or `1. ` starts a list item.
    """
    blocks: List[str] = []
    for raw_line in text.strip().splitlines():
        line = raw_line.strip()
        if not line:
            if blocks and blocks[-1] != "":
                blocks.append("")
        elif LIST_ITEM.match(line) or not blocks or blocks[-1] == "":
            blocks.append(line)
        else:
            blocks[-1] = f"{blocks[-1]} {line}"
    lines: List[str] = []
    for block in blocks:
        starts_item = bool(LIST_ITEM.match(block))
        if lines and block and not starts_item and lines[-1] != "":
            lines.append("")
        lines.append(block)
    return "\n".join(lines).replace("\n\n\n", "\n\n")


def plain_text(answer: str) -> str:
    """The answer without markdown, each list item a sentence: what a reader actually reads."""
    sentences = []
    for line in answer.splitlines():
        line = LIST_ITEM.sub("", line.replace("**", "")).strip()
        if line:
            # A list's lead-in ("Injections have some limits:") is read as a sentence of its own.
            sentences.append(line if line[-1] in ".!?" else line.rstrip(":") + ".")
    return " ".join(sentences)


def _fail(path: Path, where: str, problem: str) -> KnowledgeError:
    return KnowledgeError(f"{path.name}: {where}: {problem}")


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise KnowledgeError(f"{path.name}: not valid YAML: {error}") from error


def _load_sources(folder: Path) -> Dict[str, Source]:
    path = folder / SOURCES_FILE
    data = _read_yaml(path) or {}
    raw_sources = data.get("sources")
    if not isinstance(raw_sources, dict) or not raw_sources:
        raise _fail(path, "sources", "must be a mapping of source keys to documents")
    sources = {}
    for key, raw in raw_sources.items():
        if not isinstance(raw, dict) or not isinstance(raw.get("title"), str):
            raise _fail(path, f"sources.{key}.title", "every source needs a title")
        if not (raw.get("file") or raw.get("url")):
            raise _fail(path, f"sources.{key}", "needs a `file` (clinic document) or a `url`")
        unknown = set(raw) - {"title", "file", "url", "publisher"}
        if unknown:
            raise _fail(path, f"sources.{key}", f"unknown fields {sorted(unknown)}")
        sources[key] = Source(key=key, **raw)
    return sources


def _string_list(path: Path, where: str, value: Any) -> Tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise _fail(path, where, "must be a list of non-empty strings")
    return tuple(item.strip() for item in value)


def _default_intents(raw: Mapping[str, Any], entry_id: str, given: Tuple[str, ...]) -> Tuple[str, ...]:
    """An answer is asked for by the intent of its own name; safety entries by no intent at all
    (only the deterministic safety detector selects them)."""
    if given or raw.get("kind") == SAFETY_KIND:
        return given
    return (entry_id,)


def _parse_entry(path: Path, index: int, raw: Any, sources: Mapping[str, Source]) -> Entry:
    where = f"entries[{index}]"
    if not isinstance(raw, dict):
        raise _fail(path, where, "must be a mapping")
    entry_id = raw.get("id")
    if not isinstance(entry_id, str) or not ENTRY_ID_PATTERN.match(entry_id):
        raise _fail(path, f"{where}.id", "must be lower_snake_case text")
    where = f"entry '{entry_id}'"
    missing = [name for name in REQUIRED_ENTRY_FIELDS if name not in raw]
    if missing:
        raise _fail(path, where, f"missing fields {missing}")
    unknown = set(raw) - set(REQUIRED_ENTRY_FIELDS) - set(OPTIONAL_ENTRY_FIELDS)
    if unknown:
        raise _fail(path, where, f"unknown fields {sorted(unknown)}")
    for name in ("title", "subject", "answer"):
        if not isinstance(raw[name], str) or not raw[name].strip():
            raise _fail(path, f"{where}.{name}", "must be non-empty text")
    if not ENTRY_ID_PATTERN.match(raw["subject"]):
        raise _fail(path, f"{where}.subject", "must be lower_snake_case text")
    words = len(re.sub(r"\{[a-z_]+\}", "x", raw["answer"]).split())
    if words > MAX_ANSWER_WORDS:
        raise _fail(path, f"{where}.answer", f"{words} words; keep answers to {MAX_ANSWER_WORDS}")
    source_keys = _string_list(path, f"{where}.sources", raw["sources"])
    if not source_keys:
        raise _fail(path, f"{where}.sources", "every entry must cite at least one source")
    unknown_sources = [key for key in source_keys if key not in sources]
    if unknown_sources:
        raise _fail(path, f"{where}.sources", f"unknown source keys {unknown_sources} (see {SOURCES_FILE})")
    if raw.get("kind", ANSWER_KIND) not in KINDS:
        raise _fail(path, f"{where}.kind", f"must be one of {list(KINDS)}")
    reviewed = raw["last_reviewed"]
    if not isinstance(reviewed, dt.date):
        raise _fail(path, f"{where}.last_reviewed", "must be a date written YYYY-MM-DD")
    followups = _string_list(path, f"{where}.followups", raw.get("followups"))
    bad_keys = [key for key in followups if not FOLLOWUP_KEY_PATTERN.match(key)]
    if bad_keys:
        raise _fail(path, f"{where}.followups", f"{bad_keys} must look like subject.facet")
    return Entry(
        id=entry_id,
        title=raw["title"].strip(),
        subject=raw["subject"],
        answer=unwrap_answer(raw["answer"]),
        sources=tuple(sources[key] for key in source_keys),
        related=_string_list(path, f"{where}.related", raw["related"]),
        last_reviewed=reviewed,
        terms=_string_list(path, f"{where}.terms", raw.get("terms")),
        followups=followups,
        intents=_default_intents(raw, entry_id, _string_list(path, f"{where}.intents", raw.get("intents"))),
        kind=str(raw.get("kind", ANSWER_KIND)),
        offer_callback=bool(raw.get("offer_callback", False)),
        file=path.name,
    )


def _check_links(entries: Mapping[str, Entry]) -> None:
    """Related ids must resolve and one follow-up key must lead to exactly one entry."""
    owners: Dict[str, str] = {}
    intents: Dict[str, str] = {}
    for entry in entries.values():
        for related in entry.related:
            if related not in entries:
                raise KnowledgeError(f"{entry.file}: entry '{entry.id}'.related: unknown entry '{related}'")
            if related == entry.id:
                raise KnowledgeError(f"{entry.file}: entry '{entry.id}'.related: an entry cannot relate to itself")
        for key in entry.followups:
            if key in owners:
                raise KnowledgeError(
                    f"{entry.file}: entry '{entry.id}'.followups: '{key}' is already answered by '{owners[key]}'"
                )
            owners[key] = entry.id
        for intent in entry.intents:
            if intent in intents:
                raise KnowledgeError(
                    f"{entry.file}: entry '{entry.id}'.intents: '{intent}' already leads to '{intents[intent]}'"
                )
            intents[intent] = entry.id


def _load_subjects(folder: Path) -> Dict[str, Subject]:
    path = folder / SUBJECTS_FILE
    data = _read_yaml(path) or {}
    raw_subjects = data.get("subjects") if isinstance(data, dict) else None
    if not isinstance(raw_subjects, dict) or not raw_subjects:
        raise _fail(path, "subjects", "must be a mapping of subject ids to a name and an overview entry")
    subjects = {}
    for key, raw in raw_subjects.items():
        where = f"subjects.{key}"
        if not ENTRY_ID_PATTERN.match(str(key)) or not isinstance(raw, dict):
            raise _fail(path, where, "must be a lower_snake_case id mapping to `name` and `overview`")
        unknown = set(raw) - {"name", "overview", "terms", "explained"}
        if unknown:
            raise _fail(path, where, f"unknown fields {sorted(unknown)}")
        for name in ("name", "overview"):
            if not isinstance(raw.get(name), str) or not raw[name].strip():
                raise _fail(path, f"{where}.{name}", "must be non-empty text")
        terms = _string_list(path, f"{where}.terms", raw.get("terms"))
        explained = raw.get("explained", True)
        if not isinstance(explained, bool):
            raise _fail(path, f"{where}.explained", "must be true or false")
        subjects[key] = Subject(
            id=key, name=raw["name"].strip(), overview=raw["overview"].strip(), terms=terms, explained=explained
        )
    return subjects


def _check_subjects(entries: Mapping[str, Entry], subjects: Mapping[str, Subject]) -> None:
    """Every subject used by an entry or a follow-up key is registered, and its overview exists."""
    for entry in entries.values():
        used = [entry.subject] + [key.split(".", 1)[0] for key in entry.followups]
        for name in used:
            if name not in subjects:
                raise KnowledgeError(f"{entry.file}: entry '{entry.id}': subject '{name}' is not in {SUBJECTS_FILE}")
    for subject in subjects.values():
        if subject.overview not in entries:
            raise KnowledgeError(f"{SUBJECTS_FILE}: subjects.{subject.id}.overview: unknown entry '{subject.overview}'")


def load_knowledge_base(folder: Optional[Path] = None) -> KnowledgeBase:
    """Read and validate every `*.yml` file of the knowledge folder."""
    folder = Path(folder or paths.KNOWLEDGE_DIR)
    sources = _load_sources(folder)
    entries: Dict[str, Entry] = {}
    for path in sorted(folder.glob("*.yml")):
        if path.name == SOURCES_FILE:
            continue
        data = _read_yaml(path) or {}
        raw_entries = data.get("entries") if isinstance(data, dict) else None
        if not isinstance(raw_entries, list):
            raise _fail(path, "entries", "must be a list of entries")
        for index, raw in enumerate(raw_entries):
            entry = _parse_entry(path, index, raw, sources)
            if entry.id in entries:
                raise _fail(path, f"entry '{entry.id}'", f"duplicate id (also in {entries[entry.id].file})")
            entries[entry.id] = entry
    _check_links(entries)
    subjects = _load_subjects(folder)
    _check_subjects(entries, subjects)
    return KnowledgeBase(entries=entries, sources=sources, subjects=subjects)


@lru_cache(maxsize=1)
def default_knowledge_base() -> KnowledgeBase:
    """The project's knowledge base, read once per process."""
    return load_knowledge_base(paths.KNOWLEDGE_DIR)


def all_terms(knowledge: KnowledgeBase) -> Iterable[Tuple[str, str]]:
    """(subject, term) pairs, for building the entity ruler."""
    for subject, terms in knowledge.subject_terms().items():
        for term in terms:
            yield subject, term
