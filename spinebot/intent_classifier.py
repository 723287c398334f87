"""SpineBot's intent classifier: TF-IDF over lemmas and character n-grams, logistic regression,
a focus on the question itself in long messages, and sentence embeddings where words fall short.

Why not Rasa's LogisticRegressionClassifier on Rasa's featurizers: patients often tell a story of
several sentences before the question ("I had my op in 2019, my husband ... What is IDD?"). A
bag of words over the whole message is then mostly story. This classifier owns its features, so
it can also score the question sentences on their own and weigh them more; and it needs no other
featurizer in the pipeline, which keeps a turn cheap.

Why sentence embeddings, and only for unsure messages: TF-IDF knows the words of the training
examples, and blind sets written by strangers use other words ("the stretching machine", "my op
didn't take"). A second logistic regression over the same TF-IDF plus an all-MiniLM-L6-v2
sentence embedding (spinebot/embeddings.py) reads those paraphrases better. Encoding a message
costs 13-30 ms, as much as the rest of a turn, so it is done only when the TF-IDF model is unsure
(`embed_below`); a message the TF-IDF model reads clearly is classified exactly as before. The two
readings of an unsure message are averaged (`embedding_mix`) rather than the embedded one taken
alone: alone it is more confident, and a short follow-up ("is it permanent?") then got a confident
entry instead of being read in the conversation's context (regression dialogues: 37 more wrong).
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Text, Tuple, Type

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import SPACY_DOCS
from rasa.nlu.utils.spacy_utils import SpacyNLP
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from spinebot import paths
from spinebot.embeddings import shared_encoder
from spinebot.parse_data import TEXT_EMBEDDING_KEY

logger = logging.getLogger(__name__)

SENTENCE_BREAK = re.compile(r"(?<=[.?!])\s+|\n+")
QUESTION_START = re.compile(
    r"^(what|whats|how|why|when|where|who|which|is|are|can|could|do|does|did|will|would|should|has|have|"
    r"any|tell|explain|please|pls|so|and|but|i want to know|i'd like to know|i would like to know)\b",
    re.IGNORECASE,
)
RANKING_LENGTH = 10


def sentences(text: str) -> List[str]:
    return [part.strip() for part in SENTENCE_BREAK.split(text) if part and part.strip()]


def question_focus(text: str, min_words: int, min_sentences: int = 2) -> Optional[str]:
    """The question sentences of a long message (or its last sentence), None for a short one."""
    parts = sentences(text)
    if len(parts) < min_sentences or len(text.split()) < min_words:
        return None
    questions = [part for part in parts if part.endswith("?") or QUESTION_START.match(part)]
    focus = " ".join(questions[-2:]) if questions else parts[-1]
    return focus if focus != text.strip() else None


def lemma_text(message: Message, text: Optional[str] = None) -> str:
    """Lower-case lemmas of the message's words (its spaCy doc), or of `text` split simply."""
    doc = message.get(SPACY_DOCS[TEXT]) if text is None else None
    if doc is not None:
        return " ".join(
            (token.lemma_ or token.text).lower() for token in doc if not token.is_punct and not token.is_space
        )
    return " ".join(re.findall(r"[a-z0-9']+", (text if text is not None else message.get(TEXT) or "").lower()))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class FocusedIntentClassifier(IntentClassifier, GraphComponent):
    """Intent = the likeliest under logistic regression over word and character TF-IDF; in a long
    message, the question sentences' scores count for `focus_weight` of the total."""

    @classmethod
    def required_components(cls) -> List[Type]:
        return [SpacyNLP]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "C": 10.0,
            "max_iter": 2000,
            "word_ngrams": [1, 2],
            "char_ngrams": [2, 5],
            "focus_weight": 0.6,
            "focus_min_words": 18,
            # a TF-IDF reading under this confidence is read again with the sentence embedding;
            # 0 turns embeddings off (nothing is encoded, in training or serving)
            "embed_below": 0.5,
            # a shorter message leans on the conversation ("is it permanent?"): its unsure reading is
            # left to the context logic of the answering actions, as before
            "embed_min_words": 9,
            "embedding_scale": 1.0,
            # how much the embedded reading counts against the TF-IDF one in an unsure message
            "embedding_mix": 0.5,
        }

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage, self._resource = model_storage, resource
        self.words: Optional[TfidfVectorizer] = None
        self.chars: Optional[TfidfVectorizer] = None
        self._rows: Optional[Tuple["RowVectorizer", "RowVectorizer"]] = None
        self.model: Optional[LogisticRegression] = None
        # TF-IDF + sentence embedding, same classes in the same order (None: embeddings off)
        self.embedded: Optional[LogisticRegression] = None
        self._weights: Dict[int, np.ndarray] = {}  # each model's weights, transposed once (_row_probabilities)

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "FocusedIntentClassifier":
        return cls(config, model_storage, resource)

    def _features(self, lemmas: Sequence[str], texts: Sequence[str]) -> Any:
        assert self.words is not None and self.chars is not None
        return hstack([self.words.transform(lemmas), self.chars.transform([t.lower() for t in texts])]).tocsr()

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and (e.get(TEXT) or "").strip()]
        if not examples:
            return self._resource
        lemmas = [lemma_text(e) for e in examples]
        texts = [e.get(TEXT) for e in examples]
        self.words = TfidfVectorizer(
            analyzer="word",
            ngram_range=tuple(self.config["word_ngrams"]),
            sublinear_tf=True,
            token_pattern=r"(?u)\b\w+\b",
        )
        self.chars = TfidfVectorizer(
            analyzer="char_wb", ngram_range=tuple(self.config["char_ngrams"]), sublinear_tf=True, min_df=2
        )
        self._rows = None
        self.words.fit(lemmas)
        self.chars.fit([t.lower() for t in texts])
        self.model = LogisticRegression(
            C=self.config["C"], max_iter=self.config["max_iter"], class_weight="balanced", random_state=42
        )
        features, intents = self._features(lemmas, texts), [e.get(INTENT) for e in examples]
        self.model.fit(features, intents)
        self.embedded = None
        if self.uses_embeddings:
            vectors = shared_encoder().encode_cached(texts, paths.EMBEDDING_CACHE_FILE)
            self.embedded = LogisticRegression(**self.model.get_params())
            self.embedded.fit(hstack([features, csr_matrix(vectors * self.config["embedding_scale"])]).tocsr(), intents)
            assert list(self.embedded.classes_) == list(self.model.classes_)
        self._weights = {}
        self.persist()
        return self._resource

    @property
    def uses_embeddings(self) -> bool:
        return float(self.config["embed_below"]) > 0

    def probabilities(self, message: Message) -> Optional[np.ndarray]:
        """Class probabilities for a message, the question focus weighted in; None without words.

        An unsure TF-IDF reading of a longer message is averaged with the reading that also sees
        the sentence embedding."""
        text = (message.get(TEXT) or "").strip()
        if self.model is None or not text:
            return None
        whole = self._message_row(lemma_text(message), text)
        if not whole.indices.size:
            return None
        focus = question_focus(text, self.config["focus_min_words"])
        focused = self._message_row(lemma_text(message, focus), focus) if focus else None
        parts = [(whole, text)] + ([(focused, focus)] if focused is not None and focused.indices.size else [])
        scores = self._weighted([self._row_probabilities(self.model, row) for row, _ in parts])
        if (
            self.embedded is not None
            and scores.max() < self.config["embed_below"]
            and len(text.split()) >= self.config["embed_min_words"]
        ):
            vectors = shared_encoder().encode([part for _, part in parts])
            message.set(TEXT_EMBEDDING_KEY, vectors[0])
            embedded = self._weighted(
                [
                    self._row_probabilities(self.embedded, row, vector)
                    for (row, _), vector in zip(parts, vectors, strict=True)
                ]
            )
            mix = self.config["embedding_mix"]
            scores = (1 - mix) * scores + mix * embedded
        return scores

    def _weighted(self, scores: List[np.ndarray]) -> np.ndarray:
        """The whole message's scores, or mixed with its question focus's."""
        if len(scores) == 1:
            return scores[0]
        weight = self.config["focus_weight"]
        return (1 - weight) * scores[0] + weight * scores[1]

    def _message_row(self, lemmas: str, text: str) -> "FeatureRow":
        """One message's features, as `_features` gives them, without building sparse matrices.

        scikit-learn's `transform` is made for many documents at once; for one message, building
        and stacking its sparse matrices cost more than the arithmetic (about 10% of a turn).
        """
        assert self.words is not None and self.chars is not None
        if self._rows is None:
            self._rows = (RowVectorizer(self.words), RowVectorizer(self.chars, offset=len(self.words.vocabulary_)))
        words, chars = self._rows
        return words.row(lemmas).followed_by(chars.row(text.lower()))

    def _row_probabilities(
        self, model: LogisticRegression, row: "FeatureRow", embedding: Optional[np.ndarray] = None
    ) -> np.ndarray:
        """`LogisticRegression.predict_proba` for one message, without its per-call cost.

        scikit-learn multiplies the sparse features by the transposed (non-contiguous) weight
        matrix, which copies it on every call: 5 ms a message. The softmax of the same product with
        a contiguous copy made once gives the same probabilities (tests/test_nlu.py) in 0.05 ms.
        `embedding` (for the embedded model) fills the columns after the TF-IDF ones.
        """
        if embedding is not None:
            row = row.followed_by(self._embedding_row(embedding))
        multinomial = (
            len(model.classes_) > 2
            and getattr(model, "multi_class", "auto") in ("auto", "multinomial")
            and model.solver != "liblinear"
        )
        if not multinomial:
            return model.predict_proba(row.as_matrix(model.n_features_in_))[0]
        weights = self._weights.get(id(model))
        if weights is None:
            weights = self._weights[id(model)] = np.ascontiguousarray(model.coef_.T)
            model.coef_ = weights.T  # the same numbers as a view: one copy of the weights in memory, not two
        logits = row.values @ weights[row.indices] + model.intercept_
        exp = np.exp(logits - logits.max())
        return exp / exp.sum()

    def _embedding_row(self, embedding: np.ndarray) -> "FeatureRow":
        assert self.model is not None
        start = self.model.n_features_in_
        columns = np.arange(start, start + embedding.shape[0], dtype=np.intp)
        return FeatureRow(columns, embedding.astype(np.float64) * self.config["embedding_scale"])

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            scores = self.probabilities(message)
            if scores is None:  # empty or no known word: no intent, the fallback asks
                message.set(INTENT, {"name": None, "confidence": 0.0}, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [], add_to_output=True)
                continue
            order = np.argsort(-scores)[:RANKING_LENGTH]
            assert self.model is not None
            ranking = [{"name": str(self.model.classes_[i]), "confidence": float(scores[i])} for i in order]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        """The saved format's version: a model trained with an older format is retrained, not loaded."""
        return f"classifier-format-{SAVED_FORMAT}"

    def persist(self) -> None:
        """Save as plain data: JSON (parameters, vocabularies, classes) and numpy arrays (no pickle).

        Nothing in the files can run code when loaded. Rasa's own classifiers use skops for the same
        reason, but importing skops.io after TensorFlow takes about 8 s (it scans every loaded module
        for each numpy function): most of the server's start-up time.
        """
        assert self.words is not None and self.chars is not None and self.model is not None
        with self._model_storage.write_to(self._resource) as model_dir:
            saved = {
                "format": SAVED_FORMAT,
                "words": vectorizer_data(self.words),
                "chars": vectorizer_data(self.chars),
                "model": {"params": json_params(self.model), "classes": [str(c) for c in self.model.classes_]},
                "embedded": None
                if self.embedded is None
                else {"params": json_params(self.embedded), "classes": [str(c) for c in self.embedded.classes_]},
            }
            (model_dir / CLASSIFIER_FILE).write_text(json.dumps(saved), encoding="utf-8")
            np.savez(
                model_dir / ARRAYS_FILE,
                words_idf=self.words.idf_,
                chars_idf=self.chars.idf_,
                coef=self.model.coef_,
                intercept=self.model.intercept_,
                **(
                    {}
                    if self.embedded is None
                    else {"embedded_coef": self.embedded.coef_, "embedded_intercept": self.embedded.intercept_}
                ),
            )

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "FocusedIntentClassifier":
        component = cls(config, model_storage, resource)
        try:
            with model_storage.read_from(resource) as model_dir:
                saved = json.loads((model_dir / CLASSIFIER_FILE).read_text(encoding="utf-8"))
                with np.load(model_dir / ARRAYS_FILE, allow_pickle=False) as arrays:
                    component.words = vectorizer_from(saved["words"], arrays["words_idf"])
                    component.chars = vectorizer_from(saved["chars"], arrays["chars_idf"])
                    component.model = logistic_regression_from(saved["model"], arrays["coef"], arrays["intercept"])
                    if saved.get("embedded") and component.uses_embeddings:
                        component.embedded = logistic_regression_from(
                            saved["embedded"], arrays["embedded_coef"], arrays["embedded_intercept"]
                        )
            if component.embedded is not None:
                shared_encoder()  # loaded at start-up: a missing or altered model stops it here
        except (ValueError, FileNotFoundError):
            logger.warning("FocusedIntentClassifier: no trained model found; every message will get no intent")
        return component


SAVED_FORMAT = 3
CLASSIFIER_FILE = "classifier.json"
ARRAYS_FILE = "classifier.npz"


def json_params(estimator: Any) -> Dict[str, Any]:
    """An estimator's parameters that JSON can hold (all but `dtype`, which stays the default)."""
    params: Dict[str, Any] = {}
    for name, value in estimator.get_params().items():
        if value is None or isinstance(value, (str, int, float, bool)):
            params[name] = value
        elif isinstance(value, tuple):
            params[name] = list(value)
    return params


def vectorizer_data(vectorizer: TfidfVectorizer) -> Dict[str, Any]:
    return {
        "params": json_params(vectorizer),
        "vocabulary": {term: int(index) for term, index in vectorizer.vocabulary_.items()},
    }


def vectorizer_from(data: Dict[str, Any], idf: np.ndarray) -> TfidfVectorizer:
    params = dict(data["params"])
    params["ngram_range"] = tuple(params["ngram_range"])
    vectorizer = TfidfVectorizer(**params)
    vectorizer.vocabulary_ = dict(data["vocabulary"])
    vectorizer.idf_ = idf
    return vectorizer


def logistic_regression_from(data: Dict[str, Any], coef: np.ndarray, intercept: np.ndarray) -> LogisticRegression:
    model = LogisticRegression(**data["params"])
    model.classes_ = np.array(data["classes"])
    model.coef_, model.intercept_ = coef, intercept
    model.n_features_in_ = coef.shape[1]
    return model


class FeatureRow(NamedTuple):
    """One message's non-zero features: column numbers and their TF-IDF values."""

    indices: np.ndarray
    values: np.ndarray

    def followed_by(self, other: "FeatureRow") -> "FeatureRow":
        return FeatureRow(np.concatenate([self.indices, other.indices]), np.concatenate([self.values, other.values]))

    def as_matrix(self, width: int) -> csr_matrix:
        return csr_matrix((self.values, self.indices, [0, len(self.indices)]), shape=(1, width))


class RowVectorizer:
    """`TfidfVectorizer.transform` for a single document, with the fitted vectorizer's numbers.

    Counts the analyzer's known terms, takes 1 + log of each count when the vectorizer is
    sublinear, multiplies by the idf and scales to unit length: the steps of scikit-learn's
    CountVectorizer and TfidfTransformer (l2 norm), in the same order.
    """

    def __init__(self, vectorizer: TfidfVectorizer, offset: int = 0) -> None:
        if vectorizer.norm != "l2" or not vectorizer.use_idf or vectorizer.binary:
            raise ValueError("RowVectorizer supports l2-normalised TF-IDF with idf and counts only")
        self._analyze = vectorizer.build_analyzer()
        self._vocabulary: Dict[str, int] = vectorizer.vocabulary_
        self._idf: np.ndarray = vectorizer.idf_
        self._sublinear = vectorizer.sublinear_tf
        self._offset = offset

    def row(self, document: str) -> FeatureRow:
        vocabulary = self._vocabulary
        counts = Counter(vocabulary[term] for term in self._analyze(document) if term in vocabulary)
        if not counts:
            return FeatureRow(np.empty(0, dtype=np.intp), np.empty(0))
        order = sorted(counts)
        columns = np.fromiter(order, dtype=np.intp, count=len(order))
        tf = np.fromiter((counts[column] for column in order), dtype=np.float64, count=len(order))
        values = (np.log(tf) + 1 if self._sublinear else tf) * self._idf[columns]
        values /= np.sqrt(np.dot(values, values))
        return FeatureRow(columns + self._offset, values)
