"""Custom Rasa NLU graph components that use the project's own spaCy pipeline.

`SubjectEntityExtractor` turns the entity ruler's `SUBJECT` spans into Rasa entities named
`subject` whose value is the knowledge base's subject id ("laser_surgery"), not the words the
patient typed ("laser op"): follow-up questions are then resolved against a stable id.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Text, Tuple, Type, TypeVar, Union

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import SPACY_DOCS
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from spacy.tokens import Doc

from spinebot import paths
from spinebot.crisis_model import (
    SAVED_ARRAYS,
    SAVED_JSON,
    CrisisLanguageModel,
    examples_fingerprint,
    load_crisis_examples,
    ordinary_questions,
)
from spinebot.embeddings import shared_encoder
from spinebot.handoff import load_stop_requests
from spinebot.intents import CANCEL_INTENT, CONVERSATION_INTENTS, OUT_OF_SCOPE_INTENT, SERVICE_INTENTS
from spinebot.knowledge import default_knowledge_base
from spinebot.nlp import COMMON_WORDS_TABLE, SUBJECT_LABEL
from spinebot.parse_data import (
    CRISIS_MODEL_KEY,
    SAFETY_KEY,
    SCOPE_KEY,
    SPELLING_KEY,
    STOP_KEY,
    TEXT_EMBEDDING_KEY,
    SafetyData,
    ScopeData,
    StopData,
)
from spinebot.safety import SafetyDetector, load_safety_patterns, with_crisis_model
from spinebot.scope import ScopeChecker, load_scope_terms
from spinebot.spelling import SpellingCorrector, vocabulary_counts

SUBJECT_ENTITY = "subject"
SAFETY_INTENTS = ("urgent_emergency", "urgent_same_day", "crisis_support", "crisis_emergency")
T = TypeVar("T")


def subject_entities(doc: Any) -> List[Dict[Text, Any]]:
    """Rasa entity dicts for the subject spans of a spaCy doc."""
    return [
        {
            "entity": SUBJECT_ENTITY,
            "value": span.ent_id_,
            "start": span.start_char,
            "end": span.end_char,
            "text": span.text,
            "confidence": 1.0,
        }
        for span in doc.ents
        if span.label_ == SUBJECT_LABEL and span.ent_id_
    ]


def configured_path(config: Dict[Text, Any], key: Text, default: Path) -> Path:
    """A file named in the component's configuration (config.yml, relative to the project root),
    else the settings module's default, which follows SPINEBOT_KNOWLEDGE_DIR."""
    value = config.get(key)
    if not value:
        return default
    path = Path(value)
    return path if path.is_absolute() else paths.PROJECT_ROOT / path


class UntrainedSpacyComponent(GraphComponent):
    """Base of the project's components: nothing to train, they only read the spaCy pipeline.

    Each reads its files from its configuration when the model loads, so that a broken file stops
    the server at start-up naming itself, not at the first patient's message.
    """

    def __init__(self, config: Dict[Text, Any]) -> None:
        self.config = config
        self._per_pipeline: Dict[int, Any] = {}

    def _for_pipeline(self, nlp: Any, build: Callable[[Any], T]) -> T:
        """What `build` makes from a spaCy pipeline, made once per pipeline at its first message
        (a matcher needs the pipeline's vocabulary, which the component gets only then)."""
        if id(nlp) not in self._per_pipeline:
            self._per_pipeline[id(nlp)] = build(nlp)
        return self._per_pipeline[id(nlp)]

    @classmethod
    def required_components(cls) -> List[Type]:
        return [SpacyNLP]

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "UntrainedSpacyComponent":
        return cls({**cls.get_default_config(), **config})

    def process_training_data(self, training_data: TrainingData, model: Optional[SpacyModel] = None) -> TrainingData:
        return training_data


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False, model_from="SpacyNLP")
class SubjectEntityExtractor(UntrainedSpacyComponent, EntityExtractorMixin):
    """Tags knowledge-base subjects found by the spaCy entity ruler."""

    def process(self, messages: List[Message], model: Optional[SpacyModel] = None) -> List[Message]:
        for message in messages:
            doc = message.get(SPACY_DOCS[TEXT])
            if doc is None:
                if model is None or not message.get(TEXT):
                    continue
                doc = model.model(message.get(TEXT))
            found = self.add_extractor_name(subject_entities(doc))
            message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages


def override_intent(
    message: Message, intent_name: str, reason: Union[SafetyData, ScopeData, StopData], key: Text
) -> None:
    """Replace the predicted intent, keeping the classifier's ranking below it and saying why."""
    ranking = [item for item in message.get(INTENT_RANKING_KEY) or [] if item.get("name") != intent_name]
    chosen = {"name": intent_name, "confidence": 1.0}
    message.set(INTENT, chosen, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [chosen] + ranking, add_to_output=True)
    message.set(key, reason, add_to_output=True)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False, model_from="SpacyNLP")
class ScopeGuard(UntrainedSpacyComponent):
    """Marks a message out of scope when it names another topic and nothing spine-specific.

    Placed after the classifiers, so its verdict holds whatever the model predicted; the words
    that decided it travel with the message (`scope`) for staff review.
    """

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"scope_file": None}

    def __init__(self, config: Dict[Text, Any]) -> None:
        super().__init__(config)
        self.terms = load_scope_terms(configured_path(config, "scope_file", paths.SCOPE_FILE))

    def process(self, messages: List[Message], model: SpacyModel) -> List[Message]:
        checker = self._for_pipeline(model.model, lambda nlp: ScopeChecker(nlp, self.terms))
        for message in messages:
            doc = message.get(SPACY_DOCS[TEXT])
            intent = (message.get(INTENT) or {}).get("name")
            if doc is None:
                continue
            verdict = checker.check(doc)
            if verdict.other_language:
                # whatever the model made of words it was never trained on ("Bonjour" as a greeting)
                reason: ScopeData = {"other_language": True, "replaced_intent": intent}
                override_intent(message, OUT_OF_SCOPE_INTENT, reason, key=SCOPE_KEY)
            elif intent in CONVERSATION_INTENTS:
                continue
            elif verdict.out_of_scope:
                reason = {"foreign_words": list(verdict.foreign_words), "replaced_intent": intent}
                override_intent(message, OUT_OF_SCOPE_INTENT, reason, key=SCOPE_KEY)
            elif verdict.uncovered_condition and intent not in SERVICE_INTENTS:
                reason = {"uncovered_words": list(dict.fromkeys(verdict.uncovered_words)), "replaced_intent": intent}
                override_intent(message, OUT_OF_SCOPE_INTENT, reason, key=SCOPE_KEY)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False, model_from="SpacyNLP")
class SmallTalkGuard(UntrainedSpacyComponent):
    """A question is never taken for "yes", "hello" or "start again" on a weak reading.

    Small-talk intents are trained on a few short phrases, so a long question that shares one of
    their words ("and is some pain at the START normal?" read as `restart`, "Is correct?" as
    `affirm`) can reach them; `restart` would then wipe the conversation. When the model is unsure
    of such an intent and the message is long or names a subject, the small-talk readings are
    dropped and the next reading stands, with its own confidence, for the fallback to judge.
    """

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "intents": [
                "affirm",
                "deny",
                "greet",
                "goodbye",
                "thanks",
                "restart",
                "bot_challenge",
                "feedback_positive",
            ],
            "max_confidence": 0.6,
            "min_words": 6,
        }

    def process(self, messages: List[Message], model: Optional[SpacyModel] = None) -> List[Message]:
        small_talk = set(self.config["intents"])
        for message in messages:
            intent = message.get(INTENT) or {}
            if (
                intent.get("name") not in small_talk
                or (intent.get("confidence") or 0.0) >= self.config["max_confidence"]
            ):
                continue
            names_subject = any(entity.get("entity") == SUBJECT_ENTITY for entity in message.get(ENTITIES) or [])
            if not names_subject and len((message.get(TEXT) or "").split()) < self.config["min_words"]:
                continue
            ranking = [item for item in message.get(INTENT_RANKING_KEY) or [] if item.get("name") not in small_talk]
            if ranking:
                message.set(INTENT, dict(ranking[0]), add_to_output=True)
                message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False, model_from="SpacyNLP")
class StopRequestGuard(UntrainedSpacyComponent):
    """`cancel` only for a clear request to stop (knowledge/conversation/stop_requests.yml).

    Inside the call-back form, a patient's answer is taken as the answer unless the intent is
    `cancel`; a classifier that reads "Ann Stopes" as "stop" would throw the request away. So the
    intent is `cancel` exactly when the message is a stop phrase with nothing but filler words.
    """

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"knowledge_dir": None}

    def __init__(self, config: Dict[Text, Any]) -> None:
        super().__init__(config)
        self.stops = load_stop_requests(configured_path(config, "knowledge_dir", paths.KNOWLEDGE_DIR))

    def process(self, messages: List[Message], model: Optional[SpacyModel] = None) -> List[Message]:
        for message in messages:
            intent = (message.get(INTENT) or {}).get("name")
            is_stop = self.stops.is_stop_request(message.get(TEXT) or "")
            if is_stop and intent != CANCEL_INTENT:
                override_intent(message, CANCEL_INTENT, StopData(reason="stop phrase"), key=STOP_KEY)
            elif intent == CANCEL_INTENT and not is_stop:
                ranking = [item for item in message.get(INTENT_RANKING_KEY) or [] if item.get("name") != CANCEL_INTENT]
                best = ranking[0] if ranking else {"name": None, "confidence": 0.0}
                message.set(INTENT, best, add_to_output=True)
                message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False, model_from="SpacyNLP")
class SafetyGuard(UntrainedSpacyComponent):
    """Urgent symptoms and crisis language override whatever intent was predicted.

    Placed last in the pipeline, so no classifier, fallback or scope decision can hide an
    emergency; it also runs mid-form and mid-topic because every message passes through NLU.
    The verdict (level, rules and matched words) travels with the message as `safety`, stored in
    the tracker for staff review.
    """

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"patterns_file": None}

    def __init__(self, config: Dict[Text, Any]) -> None:
        super().__init__(config)
        self.patterns = load_safety_patterns(configured_path(config, "patterns_file", paths.SAFETY_PATTERNS_FILE))

    def process(self, messages: List[Message], model: SpacyModel) -> List[Message]:
        detector = self._for_pipeline(model.model, lambda nlp: SafetyDetector(nlp, self.patterns))
        for message in messages:
            verdict = with_crisis_model(detector.check(message.get(TEXT) or ""), message.get(CRISIS_MODEL_KEY))
            if verdict.level is None:  # nothing fired
                continue
            replaced = dict(message.get(INTENT) or {})
            reason = verdict.as_dict()
            reason["replaced_intent"] = replaced.get("name")
            reason["replaced_confidence"] = replaced.get("confidence")
            override_intent(message, verdict.level, reason, key=SAFETY_KEY)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class CrisisLanguageDetector(GraphComponent):
    """Reads how much each message sounds like crisis language (spinebot/crisis_model.py).

    Sets `crisis_model` on the message; SafetyGuard, after it, adds the crisis reply when it fired.
    Trained on `knowledge/safety/crisis_language.yml` and every ordinary training question.
    """

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"examples_file": None, "gate": None, "threshold": None}

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage, self._resource = model_storage, resource
        self.examples_file = configured_path(self.config, "examples_file", paths.CRISIS_EXAMPLES_FILE)
        self.model: Optional[CrisisLanguageModel] = None

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "CrisisLanguageDetector":
        return cls(config, model_storage, resource)

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        """The examples file is not training data Rasa knows of: a change to it must retrain."""
        return examples_fingerprint(configured_path(config, "examples_file", paths.CRISIS_EXAMPLES_FILE))

    def _embed(self, texts: Any) -> np.ndarray:
        return shared_encoder().encode(texts)

    def train(self, training_data: TrainingData) -> Resource:
        examples = load_crisis_examples(self.examples_file)
        questions = [(e.get(TEXT) or "", e.get(INTENT) or "") for e in training_data.intent_examples]
        not_crisis = list(dict.fromkeys(list(examples.not_crisis) + ordinary_questions(questions, SAFETY_INTENTS)))
        not_crisis = [text for text in not_crisis if text not in set(examples.crisis)]
        tuning = {key: float(self.config[key]) for key in ("gate", "threshold") if self.config[key] is not None}
        self.model = CrisisLanguageModel.fit(
            examples.crisis,
            not_crisis,
            lambda texts: shared_encoder().encode_cached(list(texts), paths.EMBEDDING_CACHE_FILE),
            **tuning,
        )
        data, arrays = self.model.saved()
        with self._model_storage.write_to(self._resource) as model_dir:
            (model_dir / SAVED_JSON).write_text(json.dumps(data), encoding="utf-8")
            np.savez(model_dir / SAVED_ARRAYS, **arrays)
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "CrisisLanguageDetector":
        component = cls(config, model_storage, resource)
        with model_storage.read_from(resource) as model_dir:
            data = json.loads((model_dir / SAVED_JSON).read_text(encoding="utf-8"))
            with np.load(model_dir / SAVED_ARRAYS, allow_pickle=False) as arrays:
                component.model = CrisisLanguageModel.from_saved(data, arrays)
        shared_encoder()  # loaded at start-up: a missing or altered encoder stops the server here
        return component

    def process(self, messages: List[Message]) -> List[Message]:
        if self.model is None:
            return messages
        for message in messages:
            reading = self.model.reading(message.get(TEXT) or "", self._embed, message.get(TEXT_EMBEDDING_KEY))
            message.set(CRISIS_MODEL_KEY, reading, add_to_output=True)
        return messages


SPELLING_FILE = "spelling_vocabulary.json"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True, model_from="SpacyNLP")
class SpellingNormaliser(GraphComponent):
    """Reads misspelt words as the words the bot was trained on, before anything else reads the
    message's spaCy doc (spinebot/spelling.py): "wat is revishun surgry" is then read as
    "revision surgery" by the classifier and the subject terms.

    The message's text is left as the patient wrote it: the safety check, the crisis model and the
    character features read the original (the safety check corrects its own words), and the
    corrections travel with the message (`spelling`) for staff review.
    """

    def __init__(self, model_storage: ModelStorage, resource: Resource) -> None:
        self._model_storage, self._resource = model_storage, resource
        self.vocabulary: Dict[str, int] = {}
        self.term_words: List[str] = []
        self._correctors: Dict[int, SpellingCorrector] = {}

    @classmethod
    def required_components(cls) -> List[Type]:
        return [SpacyNLP]

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "SpellingNormaliser":
        return cls(model_storage, resource)

    @staticmethod
    def _entry_texts() -> List[str]:
        return [text for entry in default_knowledge_base() for text in [entry.title, *entry.terms]]

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        """The knowledge base's titles and terms are vocabulary Rasa does not know of: retrain on a change."""
        return hashlib.sha256(json.dumps(cls._entry_texts()).encode("utf-8")).hexdigest()

    def train(self, training_data: TrainingData, model: Optional[SpacyModel] = None) -> Resource:
        entry_texts = self._entry_texts()
        examples = [e.get(TEXT) or "" for e in training_data.training_examples]
        self.vocabulary = dict(vocabulary_counts(examples + entry_texts))
        self.term_words = sorted(vocabulary_counts(entry_texts))
        with self._model_storage.write_to(self._resource) as model_dir:
            saved = {"vocabulary": self.vocabulary, "term_words": self.term_words}
            (model_dir / SPELLING_FILE).write_text(json.dumps(saved), encoding="utf-8")
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "SpellingNormaliser":
        component = cls(model_storage, resource)
        with model_storage.read_from(resource) as model_dir:
            saved = json.loads((model_dir / SPELLING_FILE).read_text(encoding="utf-8"))
        component.vocabulary, component.term_words = saved["vocabulary"], saved["term_words"]
        return component

    def _corrector(self, nlp: Any) -> SpellingCorrector:
        if id(nlp) not in self._correctors:
            known = (
                [nlp.vocab.lookups.get_table(COMMON_WORDS_TABLE)]
                if nlp.vocab.lookups.has_table(COMMON_WORDS_TABLE)
                else []
            )
            if "lemmatizer" in nlp.pipe_names:
                known.append(nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup"))
            self._correctors[id(nlp)] = SpellingCorrector(self.vocabulary, known, self.term_words)
        return self._correctors[id(nlp)]

    def process_training_data(self, training_data: TrainingData, model: Optional[SpacyModel] = None) -> TrainingData:
        return training_data  # the training examples are the vocabulary: nothing to correct

    def process(self, messages: List[Message], model: Optional[SpacyModel] = None) -> List[Message]:
        if model is None or not self.vocabulary:
            return messages
        for message in messages:
            doc = message.get(SPACY_DOCS[TEXT])
            if doc is None:
                continue
            corrected, corrections = corrected_doc(model.model, doc, self._corrector(model.model))
            if corrections:
                message.set(SPACY_DOCS[TEXT], corrected)
                message.set(SPELLING_KEY, corrections, add_to_output=True)
        return messages


def corrected_doc(nlp: Any, doc: Any, corrector: SpellingCorrector) -> Tuple[Any, Dict[str, str]]:
    """`doc` with its misspelt words replaced, run through the pipeline again (lemmas, subjects)."""
    words, corrections = corrector.correct([token.text for token in doc], [token.whitespace_ for token in doc])
    if not corrections:
        return doc, {}
    new_doc = Doc(nlp.vocab, words=[word for word, _ in words], spaces=[bool(space) for _, space in words])
    for _name, component in nlp.pipeline:
        new_doc = component(new_doc)
    return new_doc, corrections
