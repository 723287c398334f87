"""Deterministic detection of urgent symptoms and crisis language.

A statistical intent model will sometimes misread "I can't feel it when I wipe"; this detector
does not guess. It reads patterns that a clinician can review (`knowledge/safety/patterns.yml`),
matches them on spaCy tokens normalised to lower-case lemmas ("weeing" -> "wee", "can't" ->
"can not"), with phonetic and dialect spellings respelt from the reviewed `spellings` map
("carnt" -> "can't", "masel" -> "myself"), a dropped final g restored ("tinglin" -> "tingling"),
close misspellings of unknown words corrected ("bladda" -> "bladder"), and reports every rule
that fired with the words that made it fire, so that staff can see why.

Recall comes first. The only reasons to ignore a matched term are a clear negation right next to
it ("no numbness", "my bowels are fine") and a message that is a general question about no real
person ("what is cauda equina?"); crisis language is never ignored.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Set, Tuple

import yaml
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from spinebot import paths
from spinebot.nlp import COMMON_WORDS_TABLE
from spinebot.parse_data import CrisisModelData, FiringData, SafetyData
from spinebot.text import one_line

BLOCKER = "__BLOCKER"
SENTENCE_BREAK = "__SENTENCE_BREAK"
NEGATION_WINDOW_BEFORE = 3
NEGATION_WINDOW_AFTER = 3
FUZZY_MIN_LENGTH = 5
FUZZY_CUTOFF = 0.75
MAX_CHARS = 5000
# Spelling correction is the costly part of a check: a message full of unknown words (nonsense, another
# language) corrects at most this many distinct words, so one message cannot hold up every other patient.
MAX_CORRECTED_WORDS = 40
CORRECTION_CACHE_SIZE = 20000
# spaCy splits "can't" into "ca" + "n't": read it as "can not", as a patient who types "can not" means.
CONTRACTION_STEMS = {"ca": "can", "wo": "will", "sha": "shall"}
SENTENCE_ENDS = frozenset({".", "!", "?", "\n"})  # a longer message is checked in full, in slices of this size


class SafetyPatternError(ValueError):
    """The safety patterns file is malformed; the message names the rule or concept."""


@dataclass(frozen=True)
class Rule:
    id: str
    level: str
    says: str
    concepts: Tuple[str, ...]
    never_ignored: bool = False
    # The concepts' words must stand within this many words of each other (0: anywhere).
    within: int = 0
    # For clinical review (docs/clinical-review.md): the authority it rests on and a message it catches.
    source: str = ""
    example: str = ""


@dataclass(frozen=True)
class Firing:
    """One rule that fired, with the words that matched each of its concepts."""

    rule_id: str
    level: str
    says: str
    matched: Mapping[str, Tuple[str, ...]]

    def as_dict(self) -> FiringData:
        return {
            "rule": self.rule_id,
            "level": self.level,
            "says": self.says,
            "matched": {concept: list(words) for concept, words in self.matched.items()},
        }


@dataclass(frozen=True)
class SafetyVerdict:
    firings: Tuple[Firing, ...] = ()
    corrections: Mapping[str, str] = field(default_factory=dict)
    general_question: bool = False
    level_order: Tuple[str, ...] = ()

    @property
    def fired(self) -> bool:
        return bool(self.firings)

    @property
    def levels(self) -> List[str]:
        """Levels that fired, most urgent first."""
        found = {firing.level for firing in self.firings}
        return [level for level in self.level_order if level in found]

    @property
    def level(self) -> Optional[str]:
        levels = self.levels
        return levels[0] if levels else None

    def as_dict(self) -> SafetyData:
        return {
            "level": self.level,
            "levels": self.levels,
            "firings": [firing.as_dict() for firing in self.firings],
            "corrections": dict(self.corrections),
        }


@dataclass(frozen=True)
class NegationGroup:
    """Cues that cancel a matched term of the concepts they apply to."""

    name: str
    before: Tuple[str, ...]
    after: Tuple[str, ...]
    applies_to: frozenset
    # How far a cue may stand from the term; with `whole_sentence`, anywhere in the same sentence
    # ("numb in both legs in 2019, but it fully recovered"), ignoring the blockers.
    window: int = 0
    whole_sentence: bool = False
    # Phrases that void the group's cues wherever they stand in the message: "for years" says a
    # symptom is old, unless the patient adds "but never this"; "wore off" is no comfort in
    # "it's not wearing off".
    unless: Tuple[str, ...] = ()


@dataclass(frozen=True)
class SafetyPatterns:
    levels: Tuple[str, ...]
    concepts: Mapping[str, Tuple[str, ...]]
    rules: Tuple[Rule, ...]
    negation_groups: Tuple[NegationGroup, ...]
    negation_blockers: Tuple[str, ...]
    question_starts: Tuple[str, ...]
    personal_words: frozenset
    exact_concepts: frozenset = frozenset()
    # Real words the spelling check must leave alone ("hayfever" is not a misspelt "fever").
    known_words: frozenset = frozenset()
    # Phonetic, dialect and second-language spellings of whole words or phrases, and the standard
    # words they stand for ("carnt": "can't", "going week": "going weak"), applied before matching.
    spellings: Mapping[str, str] = field(default_factory=dict)


def load_safety_patterns(path: Optional[Path] = None) -> SafetyPatterns:
    """Read and check the clinician-reviewable patterns file."""
    path = Path(path or paths.SAFETY_PATTERNS_FILE)
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    levels = tuple(data.get("levels") or ())
    concepts = {name: tuple(str(term) for term in terms) for name, terms in (data.get("concepts") or {}).items()}
    rules = []
    for raw in data.get("rules") or []:
        missing = [name for name in ("id", "level", "says", "all", "source", "example") if not raw.get(name)]
        if missing:
            raise SafetyPatternError(f"{path.name}: rule '{raw.get('id', '?')}': missing {missing}")
        rule = Rule(
            id=raw["id"],
            level=raw["level"],
            says=raw["says"],
            concepts=tuple(raw["all"]),
            never_ignored=bool(raw.get("never_ignored", False)),
            within=int(raw.get("within") or 0),
            source=str(raw["source"]),
            example=str(raw["example"]),
        )
        if rule.level not in levels:
            raise SafetyPatternError(f"{path.name}: rule '{rule.id}': unknown level '{rule.level}'")
        unknown = [name for name in rule.concepts if name not in concepts]
        if unknown or not rule.concepts:
            raise SafetyPatternError(f"{path.name}: rule '{rule.id}': unknown or missing concepts {unknown}")
        rules.append(rule)
    empty = [name for name, terms in concepts.items() if not terms]
    if empty or not rules:
        raise SafetyPatternError(f"{path.name}: concepts without terms {empty}, or no rules")
    negation = data.get("negation") or {}
    groups = tuple(
        NegationGroup(
            name=str(raw.get("name", index)),
            before=tuple(raw.get("before") or ()),
            after=tuple(raw.get("after") or ()),
            applies_to=frozenset(raw.get("applies_to") or ()),
            window=int(raw.get("window") or 0),
            whole_sentence=bool(raw.get("whole_sentence", False)),
            unless=tuple(raw.get("unless") or ()),
        )
        for index, raw in enumerate(negation.get("groups") or ())
    )
    for group in groups:
        unknown = sorted(group.applies_to - set(concepts))
        if unknown:
            raise SafetyPatternError(f"{path.name}: negation group '{group.name}': unknown concepts {unknown}")
    question = data.get("general_question") or {}
    spellings = load_spellings(data.get("spellings"), concepts, path.name)
    return SafetyPatterns(
        levels=levels,
        concepts=concepts,
        rules=tuple(rules),
        negation_groups=groups,
        negation_blockers=tuple(negation.get("blockers") or ()),
        question_starts=tuple(question.get("starts") or ()),
        personal_words=frozenset(str(word).lower() for word in question.get("personal_words") or ()),
        known_words=frozenset(str(word).lower() for word in data.get("known_words") or ()),
        exact_concepts=frozenset(data.get("exact_concepts") or ()),
        spellings=spellings,
    )


def load_spellings(raw: Any, concepts: Mapping[str, Tuple[str, ...]], file_name: str) -> Dict[str, str]:
    """The `spellings` map checked: misspelt word or phrase -> standard word(s), both plain text.

    A single word that the terms themselves use is refused ("wee" is a term, not a misspelling of
    "we"): a real word may only be respelt inside a phrase that gives it its meaning ("going week").
    """
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise SafetyPatternError(
            f"{file_name}: spellings must be a map of misspelt word -> standard word(s), not {type(raw).__name__}"
        )
    term_words = {word for terms in concepts.values() for term in terms for word in clean_text(term).lower().split()}
    terms = {clean_text(term).lower() for terms in concepts.values() for term in terms}
    spellings: Dict[str, str] = {}
    for wrong, right in raw.items():
        if not isinstance(wrong, str) or not isinstance(right, str) or not wrong.strip() or not right.strip():
            raise SafetyPatternError(
                f"{file_name}: spellings: {wrong!r} -> {right!r}: both sides must be non-empty text "
                "(quote words that YAML reads as something else, such as no, yes, on, off or numbers)"
            )
        key, value = clean_text(wrong).lower(), clean_text(right).lower()
        if key in spellings:
            raise SafetyPatternError(f"{file_name}: spellings: '{wrong}' is listed twice")
        if key == value:
            raise SafetyPatternError(f"{file_name}: spellings: '{wrong}' is mapped to itself")
        if key in terms or (" " not in key and key in term_words):
            raise SafetyPatternError(
                f"{file_name}: spellings: '{wrong}' is a word of the safety terms; respell it only inside a phrase"
            )
        spellings[key] = value
    return spellings


def clean_text(text: str) -> str:
    """Typographic quotes to plain ones and runs of whitespace to one space, nothing else."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    return one_line(text)


class TermMatcher:
    """Every occurrence of every term, in text order: exact words (lower case) or normalised words.

    Each term is a plain sequence of words, so spaCy's PhraseMatcher (one hash lookup per token)
    finds exactly what a token-pattern Matcher would; the Matcher tried each of the patterns at every
    token and cost about 3 ms of each message's safety check.
    """

    def __init__(self, nlp: Language) -> None:
        self._vocab = nlp.vocab
        self._by_norm = PhraseMatcher(nlp.vocab, attr="NORM")
        self._by_lower = PhraseMatcher(nlp.vocab, attr="LOWER")

    def add(self, label: str, token_lists: Iterable[List[str]], exact: bool = False) -> None:
        docs = [self._pattern(tokens, exact) for tokens in token_lists if tokens]
        if docs:
            (self._by_lower if exact else self._by_norm).add(label, docs)

    def _pattern(self, tokens: List[str], exact: bool) -> Doc:
        doc = Doc(self._vocab, words=tokens)
        if not exact:
            for token, norm in zip(doc, tokens, strict=True):
                token.norm_ = norm
        return doc

    def __call__(self, doc: Doc) -> List[Tuple[str, int, int]]:
        strings = self._vocab.strings
        found = {(strings[match_id], start, end) for match_id, start, end in self._by_norm(doc) + self._by_lower(doc)}
        return sorted(found, key=lambda match: (match[1], match[2], match[0]))


class SafetyDetector:
    """Finds urgent symptoms and crisis language in one message, explaining every decision."""

    def __init__(self, nlp: Language, patterns: SafetyPatterns) -> None:
        self._nlp = nlp
        self._patterns = patterns
        lemmatizer: Any = nlp.get_pipe("lemmatizer")  # spaCy types pipes as the Pipe protocol
        self._lemmas = lemmatizer.lookups.get_table("lemma_lookup")
        self._common_words = (
            nlp.vocab.lookups.get_table(COMMON_WORDS_TABLE) if nlp.vocab.lookups.has_table(COMMON_WORDS_TABLE) else {}
        )
        self._terms = TermMatcher(nlp)
        term_norms: Set[str] = set()
        for concept, terms in patterns.concepts.items():
            if concept in patterns.exact_concepts:
                words = [[token.lower_ for token in nlp.make_doc(clean_text(term))] for term in terms]
                self._terms.add(concept, words, exact=True)
                continue
            token_lists = [self._normalised_tokens(term) for term in terms]
            term_norms.update(norm for tokens in token_lists for norm in tokens)
            self._terms.add(concept, token_lists)
        self._add_terms(BLOCKER, patterns.negation_blockers)
        for index, group in enumerate(patterns.negation_groups):
            self._add_terms(f"__NEG{index}_BEFORE", group.before)
            self._add_terms(f"__NEG{index}_AFTER", group.after)
            self._add_terms(f"__NEG{index}_UNLESS", group.unless)
        self._fuzzy_targets = sorted(norm for norm in term_norms if len(norm) >= FUZZY_MIN_LENGTH and norm.isalpha())
        self._targets_by_length: Dict[int, List[str]] = {}
        for target in self._fuzzy_targets:
            self._targets_by_length.setdefault(len(target), []).append(target)
        self._corrections: Dict[str, Optional[str]] = {}
        # Respellings by their first word: (words of the misspelling, standard words, spaces after
        # them, the standard text), longest misspelling first, so one dictionary lookup per token.
        self._spellings: Dict[str, List[Tuple[Tuple[str, ...], List[str], List[bool], str]]] = {}
        for wrong, right in patterns.spellings.items():
            key = tuple(token.lower_ for token in nlp.make_doc(wrong))
            standard = nlp.make_doc(right)
            self._spellings.setdefault(key[0], []).append(
                (key, [token.text for token in standard], [bool(token.whitespace_) for token in standard], right)
            )
        for options in self._spellings.values():
            options.sort(key=lambda option: -len(option[0]))
        # A dropped final g ("tinglin", "pourin") is restored only when it gives an -ing form of a
        # word the terms use ("tingling" -> "tingle"): "thin", "skin" or "ruin" are left alone.
        self._term_norms = frozenset(term_norms)
        self._question_starts = [self._normalised_tokens(start) for start in patterns.question_starts]

    def _add_terms(self, label: str, terms: Iterable[str]) -> None:
        self._terms.add(label, [self._normalised_tokens(term) for term in terms])

    def _norm(self, word: str) -> str:
        lower = word.lower()
        return CONTRACTION_STEMS.get(lower) or self._lemmas.get(lower, lower)

    def _normalised_tokens(self, text: str) -> List[str]:
        return [self._norm(token.text) for token in self._nlp.make_doc(clean_text(text))]

    def _is_known_word(self, lower: str) -> bool:
        """Real words are never 'corrected': only unknown ones may be misspellings."""
        return (
            lower in self._common_words
            or lower in self._lemmas
            or lower in self._fuzzy_targets
            or lower in self._patterns.known_words
        )

    def _closest_term(self, lower: str) -> Optional[str]:
        """The safety term an unknown word is a likely misspelling of, remembered per word.

        Only targets of a length that could reach the cutoff are compared (difflib's ratio is at
        most 2 * shorter / (both lengths)), which gives the same answer as comparing them all.
        """
        if lower in self._corrections:
            return self._corrections[lower]
        size = len(lower)
        lowest, highest = size * FUZZY_CUTOFF / (2 - FUZZY_CUTOFF), size * (2 - FUZZY_CUTOFF) / FUZZY_CUTOFF
        candidates = [
            target
            for length, targets in self._targets_by_length.items()
            if lowest <= length <= highest
            for target in targets
        ]
        close = difflib.get_close_matches(lower, candidates, n=1, cutoff=FUZZY_CUTOFF)
        if len(self._corrections) >= CORRECTION_CACHE_SIZE:
            self._corrections.clear()
        self._corrections[lower] = close[0] if close else None
        return self._corrections[lower]

    def _normalise(self, doc: Doc) -> Dict[str, str]:
        """Set each token's NORM to its lower-case lemma, correcting close misspellings."""
        corrections: Dict[str, str] = {}
        looked_up: Set[str] = set()
        for token in doc:
            norm = self._norm(token.text)
            lower = token.lower_
            if token.is_alpha and len(lower) >= FUZZY_MIN_LENGTH and not self._is_known_word(lower):
                if lower in looked_up or len(looked_up) < MAX_CORRECTED_WORDS:
                    looked_up.add(lower)
                    close = self._closest_term(lower)
                    if close:
                        norm = close
                        corrections[token.text] = norm
            token.norm_ = norm
        return corrections

    def _restored_g(self, lower: str) -> Optional[str]:
        """'tinglin' -> 'tingling' when that is an inflected form of a word the terms use."""
        full = lower + "g"
        lemma = self._lemmas.get(full)
        return full if lemma and lemma != full and lemma in self._term_norms else None

    def _respell(self, doc: Doc) -> Tuple[Doc, List[Tuple[int, int]], Dict[str, str]]:
        """`doc` with the `spellings` map and dropped g's applied to whole words, the span of
        original tokens each new token stands for, and what was respelt (original -> standard).

        One dictionary lookup per token; a message with nothing to respell is returned as it is."""
        lowers = [token.lower_ for token in doc]
        words = [
            (self._restored_g(lower) or lower) if len(lower) > 3 and lower[-2:] == "in" and lower.isalpha() else lower
            for lower in lowers
        ]
        spellings = self._spellings
        replaced: List[Tuple[int, int, List[str], List[bool], str]] = []
        index, size = 0, len(words)
        while index < size:
            word = words[index]
            options = spellings.get(word)
            if options:
                for key, standard, spaces, right in options:
                    end = index + len(key)
                    if tuple(words[index:end]) == key:
                        replaced.append((index, end, standard, spaces, right))
                        index = end
                        break
                else:
                    options = None
                if options:
                    continue
            if word != lowers[index]:
                replaced.append((index, index + 1, [word], [True], word))
            index += 1
        if not replaced:
            return doc, [], {}
        new_words: List[str] = []
        new_spaces: List[bool] = []
        origin: List[Tuple[int, int]] = []
        corrections: Dict[str, str] = {}
        position = 0
        for start, end, standard, spaces, right in replaced:
            for token in doc[position:start]:
                new_words.append(token.text)
                new_spaces.append(bool(token.whitespace_))
                origin.append((token.i, token.i + 1))
            new_words += standard
            new_spaces += spaces[:-1] + [bool(doc[end - 1].whitespace_)]
            origin += [(start, end)] * len(standard)
            corrections[doc[start:end].text] = right
            position = end
        for token in doc[position:]:
            new_words.append(token.text)
            new_spaces.append(bool(token.whitespace_))
            origin.append((token.i, token.i + 1))
        return Doc(doc.vocab, words=new_words, spaces=new_spaces), origin, corrections

    def _is_general_question(self, doc: Doc) -> bool:
        norms = [token.norm_ for token in doc]
        starts = any(norms[: len(start)] == start for start in self._question_starts if start)
        personal = any(token.lower_ in self._patterns.personal_words for token in doc)
        return starts and not personal

    def _negated(self, concept: str, start: int, end: int, spans: Mapping[str, List[Tuple[int, int]]]) -> bool:
        """Whether a clear negation cue of a group covering `concept` stands right next to the term."""
        blockers = spans.get(BLOCKER, [])

        def overlaps_blocker(lo: int, hi: int) -> bool:
            return any(b_start < hi and lo < b_end for b_start, b_end in blockers)

        for index, group in enumerate(self._patterns.negation_groups):
            if concept not in group.applies_to or spans.get(f"__NEG{index}_UNLESS"):
                continue
            if group.whole_sentence:
                if self._cue_in_sentence(index, start, end, spans, group.window):
                    return True
                continue
            for cue_start, cue_end in spans.get(f"__NEG{index}_BEFORE", []):
                # "can't" normalises to "can not": a cue inside a blocker is no negation.
                if overlaps_blocker(cue_start, cue_end):
                    continue
                if (
                    cue_end <= start
                    and start - cue_end < NEGATION_WINDOW_BEFORE
                    and not overlaps_blocker(cue_end, start)
                ):
                    return True
            for cue_start, _cue_end in spans.get(f"__NEG{index}_AFTER", []):
                if (
                    cue_start >= end
                    and cue_start - end < NEGATION_WINDOW_AFTER
                    and not overlaps_blocker(end, cue_start)
                ):
                    return True
        return False

    def _cue_in_sentence(
        self, index: int, start: int, end: int, spans: Mapping[str, List[Tuple[int, int]]], window: int
    ) -> bool:
        """A cue of negation group `index` in the same sentence as the term, within `window` words."""
        breaks = [start for start, _ in spans.get(SENTENCE_BREAK, [])]
        gaps = [(cue_end, start) for cue_start, cue_end in spans.get(f"__NEG{index}_BEFORE", []) if cue_end <= start]
        gaps += [(end, cue_start) for cue_start, cue_end in spans.get(f"__NEG{index}_AFTER", []) if cue_start >= end]
        return any(hi - lo <= window and not any(lo <= b < hi for b in breaks) for lo, hi in gaps)

    @staticmethod
    def _close_together(spans_per_concept: List[List[Tuple[int, int]]], window: int) -> bool:
        """Some match of every concept lies within `window` words of a match of the first one."""
        for anchor_start, anchor_end in spans_per_concept[0]:
            if all(
                any(start - anchor_end <= window and anchor_start - end <= window for start, end in spans)
                for spans in spans_per_concept[1:]
            ):
                return True
        return False

    def check(self, text: str) -> SafetyVerdict:
        """Every rule that fires on `text`, most urgent level first."""
        text = clean_text(text or "")
        if not text:
            return SafetyVerdict(level_order=self._patterns.levels)
        firings: Dict[str, Firing] = {}
        corrections: Dict[str, str] = {}
        general = False
        for offset in range(0, len(text), MAX_CHARS):
            verdict = self._check_slice(text[offset : offset + MAX_CHARS])
            corrections.update(verdict.corrections)
            general = general or verdict.general_question
            for firing in verdict.firings:
                firings.setdefault(firing.rule_id, firing)
        return SafetyVerdict(
            firings=tuple(firings.values()),
            corrections=corrections,
            general_question=general,
            level_order=self._patterns.levels,
        )

    def _check_slice(self, text: str) -> SafetyVerdict:
        written = self._nlp.make_doc(text)
        doc, origin, corrections = self._respell(written)
        corrections.update(self._normalise(doc))

        def as_written(start: int, end: int) -> str:
            """The patient's own words for a matched span of the respelt message."""
            return written[origin[start][0] : origin[end - 1][1]].text if origin else doc[start:end].text

        spans: Dict[str, List[Tuple[int, int]]] = {
            SENTENCE_BREAK: [(token.i, token.i + 1) for token in doc if token.text in SENTENCE_ENDS]
        }
        for label, start, end in self._terms(doc):
            spans.setdefault(label, []).append((start, end))
        general = self._is_general_question(doc)
        firings = []
        for rule in self._patterns.rules:
            if general and not rule.never_ignored:
                continue
            found: Dict[str, List[Tuple[int, int]]] = {}
            for concept in rule.concepts:
                kept = [
                    (start, end)
                    for start, end in spans.get(concept, [])
                    if rule.never_ignored or not self._negated(concept, start, end, spans)
                ]
                if not kept:
                    break
                found[concept] = kept
            else:
                if rule.within and not self._close_together(list(found.values()), rule.within):
                    continue
                matched = {
                    concept: tuple(dict.fromkeys(as_written(a, b) for a, b in where))
                    for concept, where in found.items()
                }
                firings.append(Firing(rule.id, rule.level, rule.says, matched))
        return SafetyVerdict(
            firings=tuple(firings), corrections=corrections, general_question=general, level_order=self._patterns.levels
        )


CRISIS_LEVELS = frozenset({"crisis_support", "crisis_emergency"})
CRISIS_MODEL_RULE = "crisis_language_model"


def with_crisis_model(verdict: SafetyVerdict, reading: Optional[CrisisModelData]) -> SafetyVerdict:
    """The rules' verdict, plus the crisis reply when the crisis-language model fired and no rule
    gave one: the model can add a level, never remove one."""
    if not reading or not reading.get("fired") or CRISIS_LEVELS & set(verdict.levels):
        return verdict
    firing = Firing(
        CRISIS_MODEL_RULE,
        "crisis_support",
        "Wording like the crisis messages the clinic's reviewed examples teach (crisis-language model)",
        {"probability": (f"{reading['probability']:.2f}",)},
    )
    return replace(verdict, firings=verdict.firings + (firing,))


@lru_cache(maxsize=4)
def safety_detector_for(nlp: Language) -> SafetyDetector:
    """One detector per loaded spaCy pipeline (building the matcher takes a moment)."""
    return SafetyDetector(nlp, load_safety_patterns())
