"""How well the trained model understands questions it was never trained on.

- tests/nlu_heldout.yml: written separately from data/nlu.yml, never trained on;
- ../shared/eval/external_questions.tsv: real consumer health questions nobody here wrote
  (evaluation only; skipped where ../shared/ is absent).
Reports go to test-artifacts/ and the figures are printed in `make test`'s output.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from typing import Dict, List, Tuple

import pytest
import yaml

from spinebot import paths
from spinebot.answering import clarify_candidates
from tests.conftest import report

# The first answer is the right one for at least this share of held-out questions. Measured
# 92.7% when this was set; 88% leaves room for retraining noise while still catching a real
# regression (see README "Understanding, measured blind").
MIN_HELDOUT_FIRST_ANSWER_ACCURACY = 0.88
MIN_OFF_TOPIC_KEPT_OUT = 0.95


# Intents that get the same reply: action_human_handoff answers both (booking entry, open/closed
# wording, call-back offer), so telling them apart does not change what the patient sees.
SAME_REPLY = {"human_handoff": "booking"}


def same_reply(intent: str) -> str:
    return SAME_REPLY.get(intent, intent)


def heldout_examples() -> List[Tuple[str, str]]:
    data = yaml.safe_load((paths.PROJECT_ROOT / "tests" / "nlu_heldout.yml").read_text())
    return [
        (block["intent"], line[2:])
        for block in data["nlu"]
        for line in block["examples"].splitlines()
        if line.startswith("- ")
    ]


def test_heldout_set_is_never_trained_on():
    trained = {
        line.strip()[2:].lower()
        for path in (paths.PROJECT_ROOT / "data").rglob("*.yml")
        for line in path.read_text().splitlines()
        if line.strip().startswith("- ")
    }
    leaked = [text for _, text in heldout_examples() if text.lower() in trained]
    assert not leaked, f"held-out examples found in the training data: {leaked[:5]}"


def test_heldout_accuracy(parse, artifacts_dir):
    rows = []
    for expected, text in heldout_examples():
        result = parse(text)
        rows.append(
            {
                "text": text,
                "expected": expected,
                "predicted": result["intent"]["name"],
                "confidence": round(result["intent"]["confidence"], 3),
            }
        )
    total = len(rows)
    right = sum(same_reply(row["predicted"]) == same_reply(row["expected"]) for row in rows)
    clarified = sum(row["predicted"] == "nlu_fallback" for row in rows)
    accuracy = right / total
    (artifacts_dir / "nlu_heldout_report.json").write_text(
        json.dumps(
            {
                "accuracy": accuracy,
                "total": total,
                "clarified": clarified,
                "errors": [row for row in rows if same_reply(row["predicted"]) != same_reply(row["expected"])],
            },
            indent=2,
        )
    )
    report(f"held-out NLU: {right}/{total} first answers right ({accuracy:.1%}), {clarified} asked to clarify")
    assert accuracy >= MIN_HELDOUT_FIRST_ANSWER_ACCURACY


def external_questions(shared_dir) -> List[Dict[str, str]]:
    with open(shared_dir / "eval" / "external_questions.tsv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def reply_kind(result, knowledge) -> str:
    intent = result["intent"]["name"]
    if intent == "out_of_scope":
        return "out_of_scope"
    if intent == "nlu_fallback":
        return "clarify" if clarify_candidates(knowledge, result["intent_ranking"]) else "out_of_scope"
    return intent


def test_external_off_topic_questions_are_out_of_scope(parse, knowledge, shared_dir, artifacts_dir):
    rows = [row for row in external_questions(shared_dir) if row["topic_hint"].startswith("off_topic:")]
    misses = [(row["question"], reply_kind(parse(row["question"]), knowledge)) for row in rows]
    misses = [miss for miss in misses if miss[1] != "out_of_scope"]
    report(
        f"external off-topic questions answered as out of scope: {len(rows) - len(misses)}/{len(rows)}"
        + (f"; missed: {misses}" if misses else "")
    )
    # Issue 9's target: at least 95% kept out of scope. These questions are evaluation only: a miss
    # is reported, never fixed by adding its words to the data.
    assert (len(rows) - len(misses)) / len(rows) >= MIN_OFF_TOPIC_KEPT_OUT, misses


def test_external_questions_never_break_understanding(parse, knowledge, shared_dir, artifacts_dir):
    """Long, messy real questions parse; what they get is written out for review."""
    rows = [row for row in external_questions(shared_dir) if not row["topic_hint"].startswith("off_topic:")]
    results = [parse(row["question"]) for row in rows]
    kinds = Counter(reply_kind(result, knowledge) for result in results)
    (artifacts_dir / "external_in_scope_replies.json").write_text(json.dumps(kinds.most_common(), indent=2))
    report(f"external spine-related questions ({len(rows)}): {dict(kinds.most_common(6))}")
    intents = set(yaml.safe_load((paths.PROJECT_ROOT / "domain.yml").read_text())["intents"]) | {"nlu_fallback"}
    for row, result in zip(rows, results, strict=True):
        # every message gets an intent the dialogue knows, with confidences that are probabilities
        assert result["intent"]["name"] in intents, row["question"]
        assert all(0.0 <= r["confidence"] <= 1.0 for r in [result["intent"], *result.get("intent_ranking", [])])


@pytest.mark.parametrize(
    "text, intent",
    [
        ("what are the treatments for heart failure", "out_of_scope"),
        ("how do i make a victoria sponge cake", "out_of_scope"),
        ("how is laser spine surgery done?", "laser_surgery_procedure"),
        ("IDD?", "idd_therapy"),
        ("phone number", "clinic_contact"),
        ("hello", "greet"),
        # "liver" and "hearing" name other areas, but their lemmas are "live" and "hear"
        (
            "are there ways my dad can learn to live with his pain a bit better, not just more pills?",
            "coping_strategies",
        ),
        ("what is my liver for", "out_of_scope"),
    ],
)
def test_clear_cases(parse, text, intent):
    assert parse(text)["intent"]["name"] == intent


@pytest.mark.parametrize(
    "text, other",
    [
        ("Bonjour, je voudrais prendre rendez-vous pour mon dos", True),
        ("Guten Tag, ich habe seit meiner Operation starke Rückenschmerzen", True),
        ("Dzień dobry, czy mogę umówić wizytę?", True),
        ("مرحبا، كم تكلفة العلاج؟", True),
        ("Hola, necesito una cita para mi espalda por favor", True),  # words the English list knows
        ("Bună ziua, am dureri de spate după operație", True),
        ("wat is the lazer opp", False),  # typos, not another language
        ("Nguyen Thi Minh", False),  # a name in the call-back form
        ("perineural fibrosis post discectomy", False),  # clinicians' shorthand
        ("hablo poco inglés, what is IDD therapy please?", False),  # asked in English
    ],
)
def test_a_message_in_another_language_is_out_of_scope_as_such(parse, text, other):
    result = parse(text)
    assert bool((result.get("scope") or {}).get("other_language")) == other, result.get("scope")
    if other:
        assert result["intent"]["name"] == "out_of_scope"


@pytest.mark.parametrize(
    "text, covered",
    [
        ("what are the symptoms of scoliosis", False),
        ("what is spinal stenosis?", False),
        ("does a microdiscectomy help sciatica?", True),  # a surgery the knowledge base covers
        ("my sciatica is back after the operation, what now", True),
    ],
)
def test_uncovered_conditions_get_an_honest_reply(parse, text, covered):
    """A spine condition the knowledge base does not cover gets "I don't have information about
    it", not the nearest wrong answer; with an operation or treatment we cover, it is answered."""
    result = parse(text)
    assert (result["intent"]["name"] != "out_of_scope") == covered, result["intent"]
    if not covered:
        assert result["scope"]["uncovered_words"]


def test_the_classifier_saved_as_plain_data_loads_with_the_same_probabilities(tmp_path):
    """Saved as JSON and numpy arrays (no pickle, no skops: start-up speed), loaded back it gives the
    same numbers; and the one-message path, which replaces scikit-learn's transform and
    predict_proba for speed, gives scikit-learn's features and probabilities."""
    import numpy as np
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.constants import INTENT, TEXT
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData
    from scipy.sparse import csr_matrix, hstack

    from spinebot.embeddings import shared_encoder
    from spinebot.intent_classifier import ARRAYS_FILE, CLASSIFIER_FILE, FocusedIntentClassifier

    examples = {
        "idd_therapy": ["what is IDD therapy", "tell me about idd", "how does IDD treatment work"],
        "costs": ["how much does it cost", "what are your prices", "is it covered by insurance"],
        "injections_overview": ["what are injections for", "do spinal injections help", "epidural injection"],
    }
    data = TrainingData([Message(data={TEXT: t, INTENT: i}) for i, texts in examples.items() for t in texts])
    storage, resource = LocalModelStorage(tmp_path), Resource("classifier")
    context = ExecutionContext(GraphSchema({}), "test")
    trained = FocusedIntentClassifier.create({}, storage, resource, context)
    trained.train(data)
    with storage.read_from(resource) as folder:
        assert sorted(p.name for p in folder.iterdir()) == sorted([CLASSIFIER_FILE, ARRAYS_FILE])
    loaded = FocusedIntentClassifier.load({}, storage, resource, context)
    assert loaded.model is not None and list(loaded.model.classes_) == list(trained.model.classes_)
    for text in ("what is IDD therapy?", "how much are injections", "zzz", "is my treatment covered? it's idd"):
        message = Message(data={TEXT: text})
        before, after = trained.probabilities(message), loaded.probabilities(message)
        assert (before is None and after is None) or np.array_equal(before, after), text
        features = loaded._features([text.lower()], [text])
        row = loaded._message_row(text.lower(), text)
        assert np.allclose(row.as_matrix(features.shape[1]).toarray(), features.toarray(), atol=1e-15), text
        if features.nnz:
            expected = loaded.model.predict_proba(features)[0]
            assert np.allclose(loaded._row_probabilities(loaded.model, row), expected, atol=1e-12), text
            assert loaded.embedded is not None
            vector = shared_encoder().encode([text])
            with_vector = hstack([features, csr_matrix(vector)]).tocsr()
            expected = loaded.embedded.predict_proba(with_vector)[0]
            assert np.allclose(loaded._row_probabilities(loaded.embedded, row, vector[0]), expected, atol=1e-12), text


def _message(text: str, ranking: List[Tuple[str, float]], subject: str = ""):
    from rasa.shared.nlu.training_data.message import Message

    items = [{"name": name, "confidence": confidence} for name, confidence in ranking]
    entities = [{"entity": "subject", "value": subject}] if subject else []
    return Message(data={"text": text, "intent": dict(items[0]), "intent_ranking": items, "entities": entities})


@pytest.mark.parametrize(
    "text, ranking, subject, expected",
    [
        # a question that shares a word with "start again" must not restart the conversation
        (
            "and is some pain at the start normal?",
            [("restart", 0.33), ("patient_pathway", 0.18)],
            "",
            "patient_pathway",
        ),
        ("is correct about failed back surgery?", [("affirm", 0.54), ("fbss_overview", 0.22)], "fbss", "fbss_overview"),
        ("yes please", [("affirm", 0.54), ("fbss_overview", 0.22)], "", "affirm"),  # short: stands
        ("thank you so much for all of that help", [("thanks", 0.9), ("costs", 0.02)], "", "thanks"),  # sure
    ],
)
def test_small_talk_needs_a_clear_reading_on_a_question(text, ranking, subject, expected):
    from spinebot.nlu_components import SmallTalkGuard

    guard = SmallTalkGuard.create({}, None, None, None)  # type: ignore[arg-type]
    (message,) = guard.process([_message(text, ranking, subject)])
    assert message.get("intent")["name"] == expected
    assert message.get("intent_ranking")[0]["name"] == expected
