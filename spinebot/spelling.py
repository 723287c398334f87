"""Misspelt words read as the words the bot knows, before the intent and subject are found.

Patients type "wat is revishun surgry", "my bak opperashun", "re vision surgery" (dictation):
the classifier's word features and the subject terms then see nothing they know, and the bot
declines a question it can answer. A word is corrected only when it is unknown (not a common
English word, not in the lemma tables, not in the bot's own vocabulary) and close to a word of
the bot's vocabulary (the training examples and the knowledge base's terms and titles) that
starts with the same letter; two words are joined when together they are a word of that
vocabulary ("re vision", "micro discectomy"). Real words are never changed, so a correctly
written message reads exactly as before.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from typing import Collection, Container, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

# A corrected word must be at least this similar (difflib ratio) to its replacement.
MIN_SIMILARITY = 0.78
# Shorter unknown words are corrected only by one missing letter ("bak" -> "back").
MIN_FUZZY_LENGTH = 4
MIN_JOINED_LENGTH = 7
MAX_CORRECTIONS = 12
CACHE_SIZE = 20_000
MIN_TARGET_COUNT = 2
# Over this share of unknown words (and at least this many), a message is not English to correct.
MAX_UNKNOWN_SHARE = 0.4
MIN_FOREIGN_WORDS = 3
SENTENCE_ENDS = frozenset({".", "!", "?", "\n"})
WORD = re.compile(r"[a-z]+")
# How English words are often spelt by ear ("fisio", "opperashun", "sindrome"): both the typed word
# and each candidate are also compared in this rough sound-alike form.
SOUND_RULES = [
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"(tion|sion|shun|tian|shon)", "shn"),
        (r"^wr", "r"),
        (r"^kn", "n"),
        (r"ph", "f"),
        (r"ck", "k"),
        (r"q", "k"),
        (r"x", "ks"),
        (r"z", "s"),
        (r"c(?=[eiy])", "s"),
        (r"c", "k"),
        (r"y", "i"),
        (r"(.)\1+", r"\1"),
    )
]


def sound_alike(word: str) -> str:
    for pattern, replacement in SOUND_RULES:
        word = pattern.sub(replacement, word)
    return word


def vocabulary_counts(texts: Iterable[str]) -> Counter:
    """How often each lower-case word occurs in `texts`: the bot's own vocabulary."""
    counts: Counter = Counter()
    for text in texts:
        counts.update(WORD.findall(text.lower()))
    return counts


class SpellingCorrector:
    """Maps an unknown word to the likeliest word of the vocabulary, remembered per word."""

    def __init__(
        self,
        vocabulary: Mapping[str, int],
        known_words: Sequence[Container[str]] = (),
        term_words: Collection[str] = frozenset(),
    ) -> None:
        # `known_words` may hold spaCy lookups tables: they answer `in` for strings (keys are hashes)
        self._counts = {word: int(count) for word, count in vocabulary.items() if word.isalpha()}
        self._known = list(known_words)
        # the knowledge base's own words ("revision", "microdiscectomy"): two real words may be
        # joined only into one of these ("re vision"), never into "awaiting" or "everyday"
        self._term_words = frozenset(term_words)
        self._by_initial: Dict[str, List[Tuple[str, str]]] = {}
        for word in sorted(self._counts):
            # a word the vocabulary has once may itself be a slip; a correction needs a settled word
            if len(word) >= MIN_FUZZY_LENGTH - 1 and (
                self._counts[word] >= MIN_TARGET_COUNT or word in self._term_words
            ):
                for initial in {word[0], sound_alike(word)[0]}:
                    self._by_initial.setdefault(initial, []).append((word, sound_alike(word)))
        self._cache: Dict[str, Optional[str]] = {}

    def is_known(self, word: str) -> bool:
        return word in self._counts or any(word in known for known in self._known)

    def closest(self, word: str) -> Optional[str]:
        """The vocabulary word `word` is likely a misspelling of, or None."""
        if word in self._cache:
            return self._cache[word]
        found = self._search(word)
        if len(self._cache) >= CACHE_SIZE:
            self._cache.clear()
        self._cache[word] = found
        return found

    def _search(self, word: str) -> Optional[str]:
        if not word.isalpha() or self.is_known(word) or len(word) < MIN_FUZZY_LENGTH - 1:
            return None
        sound = sound_alike(word)
        candidates = dict(self._by_initial.get(word[0], []) + self._by_initial.get(sound[0], []))
        if len(word) < MIN_FUZZY_LENGTH:
            # "bak" -> "back": only a word with one more letter that contains it in order
            scored = {c: 1.0 for c in candidates if len(c) == len(word) + 1 and _one_insertion(word, c)}
        else:
            scored = {
                c: max(_similarity(word, c), _similarity(sound, c_sound))
                for c, c_sound in candidates.items()
                if abs(len(c) - len(word)) <= 3
            }
        close = [c for c, score in scored.items() if score >= MIN_SIMILARITY]
        if not close:
            return None
        return max(close, key=lambda c: (round(scored[c], 2), self._counts[c]))

    def joined(self, first: str, second: str) -> Optional[str]:
        """ "re" + "vision" -> "revision", when the joined word is in the vocabulary."""
        together = first + second
        if len(together) < MIN_JOINED_LENGTH or not (first.isalpha() and second.isalpha()):
            return None
        if together in self._term_words or (
            together in self._counts and not (self.is_known(first) and self.is_known(second))
        ):
            return together
        return None

    def correct(
        self, words: Sequence[str], spaces: Optional[Sequence[str]] = None
    ) -> Tuple[List[Tuple[str, str]], Dict[str, str]]:
        """Each (word, following space) with misspellings replaced (a joined pair becomes one
        word), and what changed. A message mostly of unknown words is another language, or
        names: it is left alone."""
        spaces = list(spaces) if spaces is not None else [" "] * len(words)
        unchanged = list(zip(words, spaces, strict=True))
        alphabetic = [word.lower() for word in words if word.isalpha()]
        unknown = [word for word in alphabetic if not self.is_known(word)]
        if len(unknown) >= MIN_FOREIGN_WORDS and len(unknown) > MAX_UNKNOWN_SHARE * len(alphabetic):
            return unchanged, {}
        result: List[Tuple[str, str]] = []
        corrections: Dict[str, str] = {}
        index = 0
        while index < len(words):
            word, lower = words[index], words[index].lower()
            if len(corrections) < MAX_CORRECTIONS and index + 1 < len(words) and spaces[index]:
                joined = self.joined(lower, words[index + 1].lower())
                if joined:
                    corrections[f"{word} {words[index + 1]}"] = joined
                    result.append((joined, spaces[index + 1]))
                    index += 2
                    continue
            # a capitalised word inside a sentence is a name ("Exeter", "Lagos"), not a slip
            is_name = index > 0 and word[:1].isupper() and words[index - 1] not in SENTENCE_ENDS
            close = self.closest(lower) if len(corrections) < MAX_CORRECTIONS and not is_name else None
            if close:
                corrections[word] = close
            result.append((close or word, spaces[index]))
            index += 1
        return (result, corrections) if corrections else (unchanged, {})


def _similarity(first: str, second: str) -> float:
    return difflib.SequenceMatcher(None, first, second).ratio()


def _one_insertion(short: str, long: str) -> bool:
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))
