"""Every knowledge entry is valid, cited, linked, readable and reachable."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
import textstat
import yaml

from spinebot import paths
from spinebot.answering import render_answer
from spinebot.knowledge import KnowledgeError, load_knowledge_base, plain_text
from tests.conftest import report

CONTRACT_IDS = """
fbss_overview fbss_causes fbss_symptoms surgery_success_rates scar_tissue when_surgery_failed
fbss_treatment_options recurrence_after_surgery revision_surgery_overview laser_surgery_overview
laser_surgery_procedure revision_procedures pain_management_overview patient_pathway
injections_overview injections_limitations coping_strategies rehab_after_revision rehab_importance
return_to_work idd_therapy clinic_therapies physiotherapy clinic_contact booking costs personal_advice
""".split()

# Flesch-Kincaid grade limits, justified in the README ("Reading level").
MAX_GRADE = 10.0
MAX_MEAN_GRADE = 8.0
CONVERSATION_INTENTS = {"greet", "goodbye", "thanks", "bot_challenge", "restart", "out_of_scope"}
MIN_EXAMPLES = 15
# action_human_handoff answers `booking` with the booking entry plus open/closed wording.
ANSWERING_ACTIONS = ("action_answer", "action_human_handoff")


def nlu_examples() -> dict:
    """Every intent's training examples, over all NLU files of data/ (split by topic)."""
    examples: dict = {}
    for path in sorted((paths.PROJECT_ROOT / "data").rglob("*.yml")):
        for block in (yaml.safe_load(path.read_text()) or {}).get("nlu") or []:
            if "intent" in block:
                lines = [line[2:] for line in block["examples"].splitlines() if line.startswith("- ")]
                examples.setdefault(block["intent"], []).extend(lines)
    return examples


def test_every_contract_id_exists(knowledge):
    missing = [entry_id for entry_id in CONTRACT_IDS if entry_id not in knowledge]
    assert not missing, f"entries missing from knowledge/: {missing}"


def test_related_links_resolve_and_offer_follow_ups(knowledge):
    for entry in knowledge:
        assert entry.related, f"{entry.id} offers no related entries"
        assert all(related in knowledge for related in entry.related)


def test_sources_name_real_documents(knowledge, shared_dir):
    titles = (shared_dir / "sources" / "README.md").read_text()
    for source in knowledge.sources.values():
        if source.file:
            document = shared_dir / "sources" / source.file
            assert document.is_file(), f"{source.key}: {source.file} is not in ../shared/sources/"
            assert source.title in titles or source.title.split(" (")[0] in document.read_text()
        else:
            assert source.url and source.url.startswith("https://"), f"{source.key} needs a file or an https url"


def test_answers_are_not_copied_from_the_sources(knowledge, shared_dir):
    """Facts carry over, sentences do not: no run of 8 words may appear in a source document."""
    source_text = " ".join(p.read_text().lower() for p in (shared_dir / "sources").glob("*.txt"))
    source_words = re.findall(r"[a-z']+", source_text)
    source_runs = {" ".join(source_words[i : i + 8]) for i in range(len(source_words) - 7)}
    for entry in knowledge:
        words = re.findall(r"[a-z']+", plain_text(entry.answer).lower())
        copied = [
            " ".join(words[i : i + 8]) for i in range(len(words) - 7) if " ".join(words[i : i + 8]) in source_runs
        ]
        assert not copied, f"{entry.id} copies the source: {copied[0]!r}"


def test_reading_level(knowledge, clinic):
    grades = {}
    for entry in knowledge:
        grades[entry.id] = textstat.flesch_kincaid_grade(plain_text(render_answer(entry, clinic)))
    too_hard = {entry_id: round(grade, 1) for entry_id, grade in grades.items() if grade > MAX_GRADE}
    mean = sum(grades.values()) / len(grades)
    report(f"reading level: mean Flesch-Kincaid grade {mean:.1f}, hardest {max(grades.values()):.1f}")
    assert not too_hard, f"answers above grade {MAX_GRADE}: {too_hard}"
    assert mean <= MAX_MEAN_GRADE


def test_answers_fill_every_clinic_placeholder(knowledge, clinic):
    for entry in knowledge:
        rendered = render_answer(entry, clinic)
        assert not re.search(r"\{[a-z_]+\}", rendered), f"{entry.id} has an unfilled placeholder"


def test_no_outcome_promises(knowledge):
    promise = re.compile(r"\b(guarantee[sd]?|will cure|cures|100 ?%|always works|definitely)\b", re.I)
    for entry in knowledge:
        assert not promise.search(entry.answer), f"{entry.id} promises an outcome"


def test_every_knowledge_intent_is_trained_and_has_a_rule(knowledge):
    examples = nlu_examples()
    rules = (paths.PROJECT_ROOT / "data" / "rules.yml").read_text()
    for entry in knowledge:
        for intent in entry.intents:
            assert len(examples.get(intent, [])) >= MIN_EXAMPLES, f"{intent}: fewer than {MIN_EXAMPLES} examples"
            answered = any(f"- intent: {intent}\n  - action: {action}" in rules for action in ANSWERING_ACTIONS)
            assert answered, f"{intent} has no answering rule"


def dialogue_intents() -> set:
    """Intents that a rule or story of data/ responds to."""
    text = "".join((paths.PROJECT_ROOT / "data" / name).read_text() for name in ("rules.yml", "stories.yml"))
    return set(re.findall(r"- intent: (\w+)", text))


def test_no_orphan_intents(knowledge):
    """Every trained intent leads somewhere: an entry, a follow-up facet, or a rule or story."""
    facets = {key.split(".")[1] for entry in knowledge for key in entry.followups}
    followups = {f"followup_{facet}" for facet in facets} | {"followup_more"}
    rasa_defaults = {"restart"}  # answered by Rasa's own action_restart (utter_restart)
    known = {intent for entry in knowledge for intent in entry.intents} | followups | dialogue_intents() | rasa_defaults
    orphans = set(nlu_examples()) - known
    assert not orphans, f"intents that no entry, follow-up, rule or story answers: {sorted(orphans)}"
    domain = yaml.safe_load((paths.PROJECT_ROOT / "domain.yml").read_text())
    assert set(nlu_examples()) <= set(domain["intents"])
    assert CONVERSATION_INTENTS - rasa_defaults <= dialogue_intents()


def write_knowledge(tmp_path: Path, entry_yaml: str) -> Path:
    (tmp_path / "sources.yml").write_text("sources:\n  doc:\n    title: A document\n    file: doc.txt\n")
    (tmp_path / "topic.yml").write_text(textwrap.dedent(entry_yaml))
    (tmp_path / "conversation").mkdir(exist_ok=True)
    (tmp_path / "conversation" / "subjects.yml").write_text("subjects:\n  thing: {name: the thing, overview: one}\n")
    return tmp_path


GOOD_ENTRY = """
entries:
  - id: one
    title: One
    subject: thing
    answer: A short answer.
    sources: [doc]
    related: []
    last_reviewed: 2026-01-01
"""


def test_loader_accepts_a_minimal_entry(tmp_path):
    assert load_knowledge_base(write_knowledge(tmp_path, GOOD_ENTRY))["one"].title == "One"


@pytest.mark.parametrize(
    "change, message",
    [
        (("sources: [doc]", "sources: [nowhere]"), "topic.yml: entry 'one'.sources"),
        (("sources: [doc]", "sources: []"), "topic.yml: entry 'one'.sources"),
        (("related: []", "related: [ghost]"), "topic.yml: entry 'one'.related"),
        (("last_reviewed: 2026-01-01", "last_reviewed: soon"), "topic.yml: entry 'one'.last_reviewed"),
        (("    title: One\n", ""), "topic.yml: entry 'one': missing fields ['title']"),
        (("id: one", "id: One Two"), "topic.yml: entries[0].id"),
        (("answer: A short answer.", "answer: " + "word " * 151), "topic.yml: entry 'one'.answer"),
        (
            ("subject: thing", "subject: other"),
            "topic.yml: entry 'one': subject 'other' is not in conversation/subjects.yml",
        ),
    ],
)
def test_loader_errors_name_the_file_and_field(tmp_path, change, message):
    broken = GOOD_ENTRY.replace(*change)
    with pytest.raises(KnowledgeError) as error:
        load_knowledge_base(write_knowledge(tmp_path, broken))
    assert message in str(error.value)


WAITING = re.compile(r"\b\d+\s*(?:to|-)\s*\d+\s*weeks\b|\b\d+\s*months\b|\bwait\b", re.IGNORECASE)


def test_answers_that_mention_waiting_say_when_not_to_wait(knowledge):
    """A patient told that pain may take weeks or months to settle must also read which symptoms
    mean "don't wait" (issue 10's review: `when_surgery_failed` and `scar_tissue` did not say)."""
    silent = [
        entry.id
        for entry in knowledge
        if entry.kind == "answer"
        and WAITING.search(entry.answer)
        and not ("Don't wait" in entry.answer or "999" in entry.answer)
    ]
    assert silent == []


@pytest.mark.parametrize(
    "entry_id, wording",
    [
        ("clinic_contact", "does not publish an email"),
        ("surgery_success_rates", "a few thousand people a year"),
        ("physiotherapy", "fully tried first"),
        ("injections_limitations", "But they are **not trained**"),
        ("rehab_importance", "as much as the operation itself"),
        ("revision_surgery_overview", "more often now"),
        ("idd_therapy", "This takes pressure off"),
        ("fbss_symptoms", "burning, tingling or shooting"),
        ("revision_procedures", "removing a small part of the bone"),
    ],
)
def test_source_review_corrections_stay_made(knowledge, entry_id, wording):
    """Each phrase said more than its source (issue 10's review); none may come back."""
    assert wording not in knowledge[entry_id].answer


def test_clinic_settings_claim_nothing_the_sources_do_not_say(clinic):
    assert all(not phone.label for phone in clinic.phone_numbers)
    assert clinic.address.startswith("The Harley Street Medical Centre")
    assert "traction" not in [term.lower() for term in load_knowledge_base()["idd_therapy"].terms]
