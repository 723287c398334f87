"""The project's own spaCy pipeline, built at install time (no pretrained model can be downloaded).

Blank English gives tokens; the lookup lemmatizer (tables from `spacy-lookups-data`) gives lemmas,
so "injections" and "injection" or "wiped" and "wipe" match the same patterns; an entity ruler tags
the subject terms of the knowledge base as `SUBJECT` entities whose `ent_id_` is the subject id.
Rasa's `SpacyNLP` loads the saved folder.

    python -m spinebot.nlp build [OUTPUT_DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

import spacy
from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc

from spinebot import paths
from spinebot.knowledge import KnowledgeBase, all_terms, load_knowledge_base

SUBJECT_LABEL = "SUBJECT"
COMMON_WORDS_TABLE = "spinebot_common_words"
# Words at least this frequent (log probability in spacy-lookups-data) count as real English words,
# which the safety detector never "corrects" as misspellings. Rarer ones ("bladda") may be.
COMMON_WORD_MIN_LOG_PROB = -15.0
FINGERPRINT_FILE = "spinebot_fingerprint.json"
# Changed whenever the way patterns are built changes, so that `make install` rebuilds the pipeline.
PATTERN_LAYOUT = "spelt-out variants, 2026-11-25"


def blank_pipeline() -> Language:
    """Blank English with a lookup lemmatizer, initialised so that lemmas exist for later components."""
    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    # initialize() loads the lookup tables; phrase patterns added afterwards run the pipeline
    # and would fail with E1004 before it.
    nlp.initialize()
    return nlp


def term_variants(nlp: Language, term: str, plural_lemmas_only: bool = False) -> List[Tuple[str, ...]]:
    """Every lower-case word sequence `term` matches: each word as written or as its lemma.

    Spelt out in full so that matching compares plain token attributes: a set-membership
    pattern ({"IN": [...]}) is checked in Python for every token, which made matching the
    scope lists the costliest step of reading a message.

    `plural_lemmas_only` keeps a lemma only when the word is its regular plural ("allergies" ->
    "allergy"): the lookup table gives "liver" the lemma "live" and "hearing" the lemma "hear",
    so "learn to live with the pain" and "I hear laser surgery is good" were another area of
    medicine.
    """
    doc = nlp.get_pipe("lemmatizer")(nlp.make_doc(term))
    choices = [
        sorted({token.lower_, token.lemma_.lower()})
        if token.is_alpha and (not plural_lemmas_only or is_regular_plural(token.lower_, token.lemma_.lower()))
        else [token.lower_]
        for token in doc
    ]
    return list(itertools.product(*choices))


def is_regular_plural(word: str, lemma: str) -> bool:
    return word in (lemma + "s", lemma + "es") or (lemma.endswith("y") and word == lemma[:-1] + "ies")


def variant_patterns(
    nlp: Language, terms: Iterable[str], plural_lemmas_only: bool = False
) -> List[List[Dict[str, str]]]:
    """Token patterns for every variant of every term, each variant once."""
    variants = dict.fromkeys(
        variant for term in terms for variant in term_variants(nlp, term, plural_lemmas_only) if variant
    )
    return [[{"LOWER": word} for word in variant] for variant in variants]


def subject_patterns(nlp: Language, terms: Iterable[Tuple[str, str]]) -> List[Dict]:
    """Entity-ruler patterns: each term labelled SUBJECT, with the subject id as the pattern id."""
    by_subject: Dict[str, List[str]] = {}
    for subject, term in terms:
        by_subject.setdefault(subject, []).append(term)
    return [
        {"label": SUBJECT_LABEL, "pattern": pattern, "id": subject}
        for subject, subject_terms in by_subject.items()
        for pattern in variant_patterns(nlp, subject_terms)
    ]


def term_matcher(
    nlp: Language, terms_by_label: Mapping[str, Iterable[str]], plural_lemmas_only: Iterable[str] = ()
) -> Matcher:
    """A spaCy Matcher finding each label's terms as whole words, in any case or inflection
    (for the labels in `plural_lemmas_only`, in singular or regular plural only)."""
    matcher = Matcher(nlp.vocab)
    strict = set(plural_lemmas_only)
    for label, terms in terms_by_label.items():
        patterns = variant_patterns(nlp, terms, label in strict)
        if patterns:
            matcher.add(label, patterns)
    return matcher


def matched_terms(matcher: Matcher, doc: Doc) -> Dict[str, List[str]]:
    """The words of `doc` each label matched, for decisions that must be explainable."""
    found: Dict[str, List[str]] = {}
    for match_id, start, end in matcher(doc):
        found.setdefault(doc.vocab.strings[match_id], []).append(doc[start:end].text)
    return found


def build_pipeline(knowledge: KnowledgeBase) -> Language:
    """The full pipeline: tokens, lemmas and knowledge-base subject entities."""
    nlp = blank_pipeline()
    patterns = subject_patterns(nlp, all_terms(knowledge))
    ruler: Any = nlp.add_pipe("entity_ruler", config={"overwrite_ents": True})
    ruler.add_patterns(patterns)
    add_common_words(nlp)
    nlp.meta["name"] = "spinebot_en"
    nlp.meta["description"] = "SpineBot's own pipeline: blank English, lookup lemmas, knowledge-base subject terms"
    return nlp


def add_common_words(nlp: Language) -> None:
    """Store the set of common English words inside the pipeline (saved with its vocab).

    The full frequency table takes seconds and hundreds of megabytes to load; the few tens of
    thousands of common words the safety detector needs are kept instead.
    """
    import spacy_lookups_data
    import srsly

    table_file = Path(spacy_lookups_data.__file__).parent / "data" / "en_lexeme_prob.json.gz"
    probabilities = srsly.read_gzip_json(table_file)
    common = {
        word.lower(): 1 for word, prob in probabilities.items() if prob >= COMMON_WORD_MIN_LOG_PROB and word.isalpha()
    }
    nlp.vocab.lookups.add_table(COMMON_WORDS_TABLE, common)


def knowledge_fingerprint(knowledge: KnowledgeBase) -> str:
    """A hash of everything the pipeline is built from, to rebuild only when it changed."""
    material = json.dumps(sorted(all_terms(knowledge)), ensure_ascii=False) + spacy.__version__
    material += f"{COMMON_WORD_MIN_LOG_PROB}{PATTERN_LAYOUT}"
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def is_up_to_date(output: Path, knowledge: KnowledgeBase) -> bool:
    stamp = output / FINGERPRINT_FILE
    if not stamp.exists():
        return False
    return json.loads(stamp.read_text()).get("fingerprint") == knowledge_fingerprint(knowledge)


def build_and_save(output: Optional[Path] = None, force: bool = False) -> Path:
    """Build the pipeline to `output` unless an identical one is already there."""
    output = Path(output or paths.SPACY_MODEL_DIR)
    knowledge = load_knowledge_base()
    if not force and is_up_to_date(output, knowledge):
        print(f"spaCy pipeline up to date: {output}")
        return output
    nlp = build_pipeline(knowledge)
    output.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(output)
    (output / FINGERPRINT_FILE).write_text(json.dumps({"fingerprint": knowledge_fingerprint(knowledge)}))
    ruler: Any = nlp.get_pipe("entity_ruler")
    print(f"spaCy pipeline built: {output} ({len(ruler)} subject patterns)")
    return output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["build"])
    parser.add_argument("output", nargs="?", type=Path, default=None)
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args()
    build_and_save(args.output, force=args.force)


if __name__ == "__main__":
    main()
