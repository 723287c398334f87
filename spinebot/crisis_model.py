"""A learned second net for crisis language, beside the deterministic rules of patterns.yml.

Why: indirect crisis language ("I've rehomed the cat and written to the kids", "nobody will need
to look after me soon") takes endless forms. Each new author's first run showed the rules
catching only 58-88% of it, however they were generalised. Two logistic regressions, one over the
message's words (TF-IDF) and one over its sentence embedding (its meaning), trained on the
examples of `knowledge/safety/crisis_language.yml` and every ordinary training question, recognise
wording no rule names.

How it is kept safe: the model can only ADD the crisis reply (SafetyGuard adds its verdict to the
rules' verdict; nothing it says removes or lowers a rule's level), it is deterministic (fixed
weights, checked by hash, no sampling), and its operating point was chosen by leave-one-set-out
evaluation over twelve safety sets by different authors, before the next blind sets were read
(README "Safety"). The embedding is computed only when the cheap word model already sees some
resemblance (`gate`), so an ordinary question costs a fraction of a millisecond.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import yaml
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from spinebot.intent_classifier import (
    RowVectorizer,
    json_params,
    logistic_regression_from,
    vectorizer_data,
    vectorizer_from,
)
from spinebot.parse_data import CrisisModelData

Embed = Callable[[Sequence[str]], np.ndarray]

# Chosen by leave-one-set-out evaluation over the twelve safety sets (README "Safety"): with these,
# 96% of each held-out author's crisis messages scored above the threshold, 3% of their near-misses
# and 0.3% of ordinary questions.
DEFAULT_GATE = 0.1
DEFAULT_THRESHOLD = 0.55
# Regularisation of both regressions, as in the leave-one-set-out runs.
REGULARISATION = 4.0


# The files a trained model is saved in, inside the Rasa model's component folder.
SAVED_JSON = "crisis_model.json"
SAVED_ARRAYS = "crisis_model.npz"


class CrisisExamplesError(ValueError):
    """The examples file is malformed; the message names the file."""


@dataclass(frozen=True)
class CrisisExamples:
    crisis: Tuple[str, ...]
    not_crisis: Tuple[str, ...]


def load_crisis_examples(path: Path) -> CrisisExamples:
    """The reviewed examples, every entry a non-empty string, no text in both lists."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    lists: Dict[str, Tuple[str, ...]] = {}
    for key in ("crisis", "not_crisis"):
        values = data.get(key)
        if not isinstance(values, list) or not values or not all(isinstance(v, str) and v.strip() for v in values):
            raise CrisisExamplesError(f"{path}: '{key}' must be a non-empty list of messages")
        lists[key] = tuple(values)
    both = set(lists["crisis"]) & set(lists["not_crisis"])
    if both:
        raise CrisisExamplesError(f"{path}: in both lists: {sorted(both)[:3]}")
    return CrisisExamples(lists["crisis"], lists["not_crisis"])


def examples_fingerprint(path: Path) -> str:
    """Changes whenever the examples change, so that Rasa retrains the model."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


@dataclass
class CrisisLanguageModel:
    words: TfidfVectorizer
    wording: LogisticRegression  # over the words' TF-IDF
    meaning: LogisticRegression  # over the sentence embedding
    gate: float = DEFAULT_GATE
    threshold: float = DEFAULT_THRESHOLD

    def __post_init__(self) -> None:
        self._rows = RowVectorizer(self.words)

    @classmethod
    def fit(
        cls,
        crisis: Sequence[str],
        not_crisis: Sequence[str],
        embed: Embed,
        gate: float = DEFAULT_GATE,
        threshold: float = DEFAULT_THRESHOLD,
    ) -> "CrisisLanguageModel":
        texts = list(crisis) + list(not_crisis)
        labels = np.r_[np.ones(len(crisis)), np.zeros(len(not_crisis))]
        words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit(texts)
        # "balanced": crisis examples are a few hundred among thousands of ordinary questions
        params = dict(C=REGULARISATION, class_weight="balanced", max_iter=3000, random_state=42)
        wording = LogisticRegression(**params).fit(words.transform(texts), labels)
        meaning = LogisticRegression(**params).fit(embed(texts), labels)
        return cls(words, wording, meaning, gate, threshold)

    def probability(self, text: str, embed: Embed, embedding: Optional[np.ndarray] = None) -> float:
        """How much the message reads like crisis language, 0 to 1: the mean of both readings, or
        the word reading alone (halved, so it cannot reach the threshold by itself) below the gate."""
        text = (text or "").strip()
        if not text:
            return 0.0
        row = self._rows.row(text)
        by_words = _sigmoid(float(row.values @ self.wording.coef_[0][row.indices]) + float(self.wording.intercept_[0]))
        if by_words < self.gate:
            return by_words / 2
        vector = embedding if embedding is not None else embed([text])[0]
        by_meaning = _sigmoid(float(vector @ self.meaning.coef_[0]) + float(self.meaning.intercept_[0]))
        return (by_words + by_meaning) / 2

    def fires(self, text: str, embed: Embed, embedding: Optional[np.ndarray] = None) -> bool:
        return self.probability(text, embed, embedding) >= self.threshold

    def reading(self, text: str, embed: Embed, embedding: Optional[np.ndarray] = None) -> CrisisModelData:
        """What travels with the message (`crisis_model` in its parse data) for SafetyGuard and staff."""
        probability = self.probability(text, embed, embedding)
        return {"probability": round(probability, 3), "fired": probability >= self.threshold}

    def saved(self) -> Tuple[Dict[str, Any], Dict[str, np.ndarray]]:
        """Plain data (JSON and numpy arrays, nothing that runs code when loaded)."""
        data = {
            "words": vectorizer_data(self.words),
            "wording": {"params": json_params(self.wording), "classes": self.wording.classes_.tolist()},
            "meaning": {"params": json_params(self.meaning), "classes": self.meaning.classes_.tolist()},
            "gate": self.gate,
            "threshold": self.threshold,
        }
        arrays = {
            "words_idf": self.words.idf_,
            "wording_coef": self.wording.coef_,
            "wording_intercept": self.wording.intercept_,
            "meaning_coef": self.meaning.coef_,
            "meaning_intercept": self.meaning.intercept_,
        }
        return data, arrays

    @classmethod
    def from_saved(cls, data: Dict[str, Any], arrays: Any) -> "CrisisLanguageModel":
        return cls(
            words=vectorizer_from(data["words"], arrays["words_idf"]),
            wording=logistic_regression_from(data["wording"], arrays["wording_coef"], arrays["wording_intercept"]),
            meaning=logistic_regression_from(data["meaning"], arrays["meaning_coef"], arrays["meaning_intercept"]),
            gate=float(data["gate"]),
            threshold=float(data["threshold"]),
        )


def _sigmoid(logit: float) -> float:
    return float(1.0 / (1.0 + np.exp(-logit)))


def ordinary_questions(texts_and_intents: Sequence[Tuple[str, str]], safety_intents: Sequence[str]) -> List[str]:
    """Training questions of every other intent: what most patients write, none of it crisis."""
    return [text for text, intent in texts_and_intents if intent not in safety_intents and text.strip()]


def trained_crisis_model(archive: Path) -> CrisisLanguageModel:
    """The crisis-language model inside a trained Rasa model archive (`make train`), for the
    safety tests and evaluation scripts, which need the model without starting Rasa."""
    with tarfile.open(archive, "r:gz") as tar:
        members = {Path(member.name).name: member for member in tar.getmembers() if member.isfile()}
        if SAVED_JSON not in members or SAVED_ARRAYS not in members:
            raise FileNotFoundError(f"{archive}: no crisis-language model inside (retrain with `make train`)")
        data = json.loads(_read_member(tar, members[SAVED_JSON]))
        with np.load(io.BytesIO(_read_member(tar, members[SAVED_ARRAYS])), allow_pickle=False) as arrays:
            return CrisisLanguageModel.from_saved(data, arrays)


def _read_member(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    handle = tar.extractfile(member)
    if handle is None:
        raise FileNotFoundError(member.name)
    return handle.read()
