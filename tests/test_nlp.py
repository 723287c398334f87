"""The project's own spaCy pipeline builds offline and tags knowledge-base subjects."""

from __future__ import annotations

import pytest
import spacy

from spinebot import paths
from spinebot.nlp import build_pipeline, is_up_to_date


@pytest.fixture(scope="module")
def nlp(knowledge):
    return build_pipeline(knowledge)


@pytest.mark.parametrize(
    "text, subject",
    [
        ("How is laser spine surgery done?", "laser_surgery"),
        ("are steroid injections worth it", "injections"),
        ("tell me about IDD", "idd"),
        ("my physio said to rest", "physiotherapy"),
        ("will the scars hurt", "scar_tissue"),
        ("what is FBSS", "fbss"),
        ("can I have a second operation", "revision_surgery"),
    ],
)
def test_subject_terms_are_tagged_in_any_form(nlp, text, subject):
    assert subject in [ent.ent_id_ for ent in nlp(text).ents]


def test_lemmas_come_from_the_lookup_tables(nlp):
    assert [t.lemma_ for t in nlp("injections were given")][:3] == ["injection", "be", "give"]


def test_installed_pipeline_is_current_and_loads(knowledge):
    assert is_up_to_date(paths.SPACY_MODEL_DIR, knowledge), "run `make install` to rebuild the spaCy pipeline"
    loaded = spacy.load(paths.SPACY_MODEL_DIR)
    assert loaded.pipe_names == ["lemmatizer", "entity_ruler"]
