"""First-run figures of a new blind safety set, in the form its file header records them.

A blind set's first run is measured once, before any rule is changed for it, and written into the
set's header and the README: that figure, not the later 100%, says how the safety net does on
wording nobody on the team has seen. Prints the figures for the rules with the crisis-language
model (what the running bot decides) and for the rules alone, then every miss and false alarm.

    .venv/bin/python scripts/safety_first_run.py tests/safety_twentyfirst.yml
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable, Dict, List, Tuple

import spacy
import yaml

from spinebot import paths
from spinebot.crisis_model import trained_crisis_model
from spinebot.embeddings import shared_encoder
from spinebot.safety import SafetyDetector, SafetyVerdict, load_safety_patterns, with_crisis_model

# the levels a message of each group must get (a crisis message may get the more urgent crisis reply)
ACCEPTED = {
    "urgent_emergency": {"urgent_emergency"},
    "urgent_same_day": {"urgent_same_day"},
    "crisis": {"crisis_support", "crisis_emergency"},
}


def is_caught(group: str, verdict: SafetyVerdict) -> bool:
    """A same-day message counts as caught by any urgent firing: a more urgent reply is acceptable."""
    if group == "urgent_same_day":
        return verdict.fired
    return bool(ACCEPTED[group] & set(verdict.levels))


def figures(data: Dict[str, List[str]], check: Callable[[str], SafetyVerdict]) -> Tuple[str, List[str]]:
    parts, problems = [], []
    for group, label in (("urgent_emergency", "urgent"), ("urgent_same_day", "same-day"), ("crisis", "crisis")):
        texts = data.get(group, [])
        missed = [text for text in texts if not is_caught(group, check(text))]
        parts.append(f"{label} {len(texts) - len(missed)}/{len(texts)}")
        problems += [f"MISSED {group}: {text}  -> {check(text).levels}" for text in missed]
    near_misses = data.get("no_trigger", [])
    alarms = [text for text in near_misses if check(text).fired]
    parts.append(f"false alarms {len(alarms)}/{len(near_misses)}")
    problems += [f"FALSE ALARM: {text}  -> {[f.rule_id for f in check(text).firings]}" for text in alarms]
    return ", ".join(parts), problems


def main(set_file: str) -> None:
    data = yaml.safe_load(Path(set_file).read_text())
    detector = SafetyDetector(spacy.load(paths.SPACY_MODEL_DIR), load_safety_patterns())
    model, encoder = trained_crisis_model(paths.MODEL_FILE), shared_encoder()

    def safety_net(text: str) -> SafetyVerdict:
        return with_crisis_model(detector.check(text), model.reading(text, encoder.encode))

    with_model, problems = figures(data, safety_net)
    rules_alone, _ = figures(data, detector.check)
    print(f"{with_model} (the rules alone: {rules_alone})")
    print("\n".join(problems))


if __name__ == "__main__":
    main(sys.argv[1])
