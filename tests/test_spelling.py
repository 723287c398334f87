"""Misspelt words are read as the bot's own words; real words, names and other languages are not."""

from __future__ import annotations

import pytest
import spacy

from spinebot import paths
from spinebot.nlp import COMMON_WORDS_TABLE
from spinebot.nlu_components import corrected_doc
from spinebot.spelling import SpellingCorrector, sound_alike

VOCABULARY = {
    "revision": 12,
    "surgery": 40,
    "syndrome": 9,
    "injections": 15,
    "injection": 20,
    "operations": 6,
    "physio": 11,
    "fusion": 8,
    "microdiscectomy": 5,
    "back": 60,
    "wrong": 5,
    "laminotomy": 2,
}
TERM_WORDS = {"revision", "microdiscectomy", "laminotomy", "fusion", "physio"}


@pytest.fixture(scope="module")
def nlp():
    return spacy.load(paths.SPACY_MODEL_DIR)


@pytest.fixture(scope="module")
def corrector(nlp):
    known = [
        nlp.vocab.lookups.get_table(COMMON_WORDS_TABLE),
        nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup"),
    ]
    return SpellingCorrector(VOCABULARY, known, TERM_WORDS)


def words_of(corrector: SpellingCorrector, text: str) -> str:
    result, _ = corrector.correct(text.split())
    return " ".join(word for word, _ in result)


@pytest.mark.parametrize(
    "typed, read",
    [
        ("wat is revishun surgry", "wat is revision surgery"),
        ("do the injecshuns work", "do the injections work"),
        ("my opperashuns failed", "my operations failed"),
        ("is fisio better", "is physio better"),  # by sound: not "fusion"
        ("failed bak surgery sindrome", "failed back surgery syndrome"),
        ("what is re vision surgery", "what is revision surgery"),  # dictation splits a word
        ("a micro discectomy", "a microdiscectomy"),
        ("what is a lamin otomy", "what is a laminotomy"),
    ],
)
def test_misspellings_are_read_as_the_bots_words(corrector, typed, read):
    assert words_of(corrector, typed) == read


@pytest.mark.parametrize(
    "text",
    [
        "I am on a waiting list for surgery",  # "a waiting" is not "awaiting"
        "I walk every day",  # two real words stay two
        "My husband went to Exeter hospital",  # a name inside a sentence
        "the session went fine",
        "Je voudrais prendre rendez-vous pour mon dos demain matin",  # another language
    ],
)
def test_real_words_names_and_other_languages_are_left_alone(corrector, text):
    result, corrections = corrector.correct(text.split())
    assert corrections == {} and [word for word, _ in result] == text.split()


def test_the_sound_alike_form_hears_common_spellings_by_ear():
    assert sound_alike("physio") == sound_alike("fisio")
    assert sound_alike("operations") == sound_alike("operashuns")


def test_a_corrected_doc_gets_the_lemmas_and_subjects_of_the_right_words(nlp, corrector):
    doc = nlp("wat is revishun surgry")
    corrected, corrections = corrected_doc(nlp, doc, corrector)
    assert corrections == {"revishun": "revision", "surgry": "surgery"}
    assert corrected.text == "wat is revision surgery"
    assert [ent.ent_id_ for ent in corrected.ents] == ["revision_surgery"]
    assert not list(doc.ents)  # the misspelt words named no subject


def test_a_message_with_nothing_to_correct_keeps_its_doc(nlp, corrector):
    doc = nlp("what is revision surgery")
    assert corrected_doc(nlp, doc, corrector) == (doc, {})
