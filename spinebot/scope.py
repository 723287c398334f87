"""Is a message about the spine clinic's subjects at all?

A statistical classifier trained on spine questions maps "What are the treatments for heart
failure?" onto the nearest spine answer with high confidence. This deterministic check reads the
words of the message (knowledge/scope/topics.yml plus the knowledge base's subject terms): a
message that names another area of medicine, or another subject altogether, and nothing specific
to the spine, is out of scope, whatever the classifier thought.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import yaml
from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc

from spinebot import paths
from spinebot.knowledge import KnowledgeBase, default_knowledge_base
from spinebot.nlp import matched_terms, term_matcher

SCOPE_FILE = paths.SCOPE_FILE
SPINE, FOREIGN, UNCOVERED, CONTEXT = "SPINE", "FOREIGN", "UNCOVERED", "CONTEXT"


@dataclass(frozen=True)
class ScopeVerdict:
    """What the message names: spine-specific words and words of other topics."""

    spine_words: Sequence[str]
    foreign_words: Sequence[str]
    uncovered_words: Sequence[str] = ()
    covered_words: Sequence[str] = ()

    @property
    def out_of_scope(self) -> bool:
        return bool(self.foreign_words) and not self.spine_words

    @property
    def uncovered_condition(self) -> bool:
        """Names a spine condition the knowledge base does not cover, and nothing that it does."""
        return bool(self.uncovered_words) and not self.covered_words


@dataclass(frozen=True)
class ScopeTerms:
    spine: List[str]
    foreign: List[str]
    uncovered: List[str]
    covered: List[str]


def load_scope_terms(path: Optional[Path] = None, knowledge: Optional[KnowledgeBase] = None) -> ScopeTerms:
    """Spine-specific words (the file's and the knowledge base's, minus generic ones) and foreign topics."""
    data = yaml.safe_load(Path(path or SCOPE_FILE).read_text(encoding="utf-8")) or {}
    knowledge = knowledge or default_knowledge_base()
    generic = {term.lower() for term in data.get("generic_terms") or []}
    spine = list(data.get("spine_terms") or [])
    spine += [term for _, terms in knowledge.subject_terms().items() for term in terms if term.lower() not in generic]
    foreign = list(data.get("out_of_scope_topics") or [])
    uncovered = list(data.get("uncovered_spine_topics") or [])
    kb_terms = [term for _, terms in knowledge.subject_terms().items() for term in terms]
    covered = kb_terms + list(data.get("context_terms") or [])
    if not spine or not foreign:
        raise ValueError(f"{SCOPE_FILE.name}: needs spine_terms and out_of_scope_topics")
    return ScopeTerms(
        spine=sorted(set(spine)),
        foreign=sorted(set(foreign)),
        uncovered=sorted(set(uncovered)),
        covered=sorted(set(covered)),
    )


class ScopeChecker:
    """Matches a message's words against the scope lists with the project's spaCy pipeline."""

    def __init__(self, nlp: Language, terms: ScopeTerms) -> None:
        # Other areas' words match in singular or plural only: their lemmas mislead ("liver" -> "live").
        self._matcher: Matcher = term_matcher(
            nlp,
            {SPINE: terms.spine, FOREIGN: terms.foreign, UNCOVERED: terms.uncovered, CONTEXT: terms.covered},
            plural_lemmas_only=(FOREIGN,),
        )

    def check(self, doc: Doc) -> ScopeVerdict:
        found: Dict[str, List[str]] = matched_terms(self._matcher, doc)
        return ScopeVerdict(
            spine_words=tuple(found.get(SPINE, ())),
            foreign_words=tuple(found.get(FOREIGN, ())),
            uncovered_words=tuple(found.get(UNCOVERED, ())),
            covered_words=tuple(found.get(CONTEXT, ())),
        )
