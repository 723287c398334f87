"""Custom Rasa NLU graph components that use the project's own spaCy pipeline.

`SubjectEntityExtractor` turns the entity ruler's `SUBJECT` spans into Rasa entities named
`subject` whose value is the knowledge base's subject id ("laser_surgery"), not the words the
patient typed ("laser op"): follow-up questions are then resolved against a stable id.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text, Type

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import SPACY_DOCS
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from spinebot.nlp import SUBJECT_LABEL

SUBJECT_ENTITY = "subject"


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


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False, model_from="SpacyNLP"
)
class SubjectEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Tags knowledge-base subjects found by the spaCy entity ruler."""

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
    ) -> "SubjectEntityExtractor":
        return cls()

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

    def process_training_data(self, training_data: TrainingData, model: Optional[SpacyModel] = None) -> TrainingData:
        # Training examples carry no subject annotations; nothing to learn, nothing to add.
        return training_data
