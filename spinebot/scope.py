"""Is a message about the spine clinic's subjects at all?

A statistical classifier trained on spine questions maps "What are the treatments for heart
failure?" onto the nearest spine answer with high confidence. This deterministic check reads the
words of the message (knowledge/scope/topics.yml plus the knowledge base's subject terms): a
message that names another area of medicine, or another subject altogether, and nothing specific
to the spine, is out of scope, whatever the classifier thought.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Container, Dict, List, Optional, Sequence, Set

import yaml
from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc

from spinebot import paths
from spinebot.knowledge import KnowledgeBase, default_knowledge_base
from spinebot.nlp import COMMON_WORDS_TABLE, matched_terms, term_matcher

SCOPE_FILE = paths.SCOPE_FILE
# A message of at least this many words, with no English function word, and either this share of its
# words unknown in English or this many function words of another language, is in another language
# (ScopeChecker._written_in_another_language).
MIN_WORDS_FOR_LANGUAGE = 4
OTHER_LANGUAGE_SHARE = 0.4
MIN_FOREIGN_FUNCTION_WORDS = 2


def is_latin(word: str) -> bool:
    """Whether every letter of `word` is a Latin letter (English, French, Polish... but not Arabic)."""
    return all(unicodedata.name(char, "").startswith("LATIN") for char in word if char.isalpha())


SPINE, FOREIGN, UNCOVERED, CONTEXT = "SPINE", "FOREIGN", "UNCOVERED", "CONTEXT"


@dataclass(frozen=True)
class ScopeVerdict:
    """What the message names: spine-specific words and words of other topics."""

    spine_words: Sequence[str]
    foreign_words: Sequence[str]
    uncovered_words: Sequence[str] = ()
    covered_words: Sequence[str] = ()

    other_language: bool = False

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
    english_function_words: List[str] = field(default_factory=list)
    foreign_function_words: List[str] = field(default_factory=list)


class KnownWords:
    """A word is known when the common-English table or the project's own vocabulary has it."""

    def __init__(self, common: Container[str], own: Set[str]) -> None:
        self._common, self._own = common, own

    def __contains__(self, word: object) -> bool:
        return word in self._own or word in self._common


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
        english_function_words=[str(word).lower() for word in data.get("english_function_words") or []],
        foreign_function_words=[str(word).lower() for word in data.get("foreign_function_words") or []],
    )


class ScopeChecker:
    """Matches a message's words against the scope lists with the project's spaCy pipeline."""

    def __init__(self, nlp: Language, terms: ScopeTerms) -> None:
        lookups = nlp.vocab.lookups
        common = lookups.get_table(COMMON_WORDS_TABLE) if lookups.has_table(COMMON_WORDS_TABLE) else {}
        own = {
            word
            for term in terms.spine + terms.foreign + terms.uncovered + terms.covered
            for word in term.lower().split()
        }
        self._known_words: Container[str] = KnownWords(common, own)
        self._function_words = frozenset(terms.english_function_words)
        self._foreign_function_words = frozenset(terms.foreign_function_words) - self._function_words
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
            other_language=self._written_in_another_language(doc),
        )

    def _written_in_another_language(self, doc: Doc) -> bool:
        """The message is not written in English ("Bonjour, je voudrais un rendez-vous").

        None of its words is a common English function word ("the", "is", "my", "how"...), and
        either at least 40% of them are neither common English words (the list the safety check's
        spelling correction uses) nor words of the scope lists and the knowledge base, or are in
        another script, or two of them are function words of another European language. Messages
        under four words are left alone: a name ("Nguyen Thi Minh"), "IDD cost?". Checked on 11,511 English messages (training data, evaluation and
        safety sets, consumer questions, 107 names): 1 flagged ("hallux rigidus big toe stiff").
        """
        words = [token.lower_ for token in doc if token.is_alpha]
        if len(words) < MIN_WORDS_FOR_LANGUAGE or any(word in self._function_words for word in words):
            return False
        unknown = [word for word in words if not is_latin(word) or word not in self._known_words]
        # the common-word list knows many foreign words ("una", "para", "mi"): their own function
        # words are the other signal ("Hola, necesito una cita para mi espalda")
        foreign_function = [word for word in words if word in self._foreign_function_words]
        return len(unknown) / len(words) >= OTHER_LANGUAGE_SHARE or len(foreign_function) >= MIN_FOREIGN_FUNCTION_WORDS
