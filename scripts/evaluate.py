"""`make eval`: SpineBot on the blind question sets, over the real servers, against a TF-IDF search box.

Every set under tests/eval/blind/ (never used to change the bot) and tests/eval/regression/ (blind
sets that have since been used to improve it) is sent turn by turn to the REST channel, each
dialogue with a sender of its own. The reply contract says what the patient got. Writes
results/eval.md (a table per set), results/eval.json (every turn) and results/eval_confusion.png.

Usage: python scripts/evaluate.py [--sets DIR ...] [--out results]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, List, Sequence

import requests
import yaml

from spinebot import evaluation as ev
from spinebot import paths
from spinebot.answering import render_answer
from spinebot.clinic import default_clinic_settings
from spinebot.knowledge import default_knowledge_base
from spinebot.local_servers import running_bot

EVAL_DIR = paths.PROJECT_ROOT / "tests" / "eval"
DEFAULT_FOLDERS = [EVAL_DIR / "blind", EVAL_DIR / "regression"]
WORKERS = 4


def send(url: str, sender: str, text: str) -> List[dict]:
    response = requests.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=60)
    response.raise_for_status()
    return response.json()


def callback_prompt() -> str:
    """The call-back form's first question, as domain.yml words it."""
    domain = yaml.safe_load((paths.PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    return str(domain["responses"]["utter_ask_callback_name"][0]["text"])


def run_dialogue(url: str, eval_set: ev.EvalSet, dialogue: ev.Dialogue, prompt: str) -> List[ev.Scored]:
    sender = f"eval-{eval_set.name}-{dialogue.id}-{uuid.uuid4().hex[:8]}"
    scored = []
    for index, turn in enumerate(dialogue.turns):
        reply = ev.read_reply(send(url, sender, turn.text), prompt)
        outcome, in_buttons = ev.score_turn(turn, reply)
        scored.append(ev.Scored(eval_set.name, dialogue.id, index, turn, reply, outcome, in_buttons))
    return scored


def baseline_scores(baseline: ev.TfidfBaseline, eval_set: ev.EvalSet) -> List[ev.Scored]:
    scored = []
    for dialogue in eval_set.dialogues:
        for index, turn in enumerate(dialogue.turns):
            reply = baseline.reply(turn.text)
            outcome, in_buttons = ev.score_turn(turn, reply)
            scored.append(ev.Scored(eval_set.name, dialogue.id, index, turn, reply, outcome, in_buttons))
    return scored


def knowledge_documents() -> Dict[str, str]:
    knowledge, clinic = default_knowledge_base(), default_clinic_settings()
    return {entry.id: f"{entry.title}\n{render_answer(entry, clinic)}" for entry in knowledge if entry.kind == "answer"}


def confusion_png(results: Sequence[ev.Scored], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    expected = sorted({r.turn.expect for r in results})
    predicted = sorted({r.reply.label for r in results} | set(expected))
    grid = np.zeros((len(expected), len(predicted)))
    for r in results:
        grid[expected.index(r.turn.expect), predicted.index(r.reply.label)] += 1
    shares = grid / np.maximum(grid.sum(axis=1, keepdims=True), 1)
    figure, axis = plt.subplots(figsize=(max(10, len(predicted) * 0.42), max(8, len(expected) * 0.38)))
    axis.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    axis.set_xticks(range(len(predicted)), predicted, rotation=90, fontsize=7)
    axis.set_yticks(range(len(expected)), expected, fontsize=7)
    for (row, column), count in np.ndenumerate(grid):
        if count:
            axis.text(
                column,
                row,
                int(count),
                ha="center",
                va="center",
                fontsize=6,
                color="white" if shares[row, column] > 0.5 else "black",
            )
    axis.set_xlabel("what SpineBot replied (entry, clarify, out_of_scope, not_covered, safety)")
    axis.set_ylabel("what a good reply is")
    axis.set_title("SpineBot on the blind evaluation sets (all sets together)")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def report(
    sets: Sequence[ev.EvalSet], bot: Dict[str, List[ev.Scored]], base: Dict[str, List[ev.Scored]], seconds: float
) -> str:
    rows, base_rows, lead_rows = [], [], []
    for eval_set in sets:
        mine, theirs = ev.summarise(bot[eval_set.name]), ev.summarise(base[eval_set.name])
        rows += ev.summary_rows(eval_set.name, mine)
        base_rows += ev.summary_rows(eval_set.name, theirs)
        for category in ("in_scope", "follow_up", "no_answer", "out_of_scope"):
            if category in mine:
                ours = mine[category].share(ev.RIGHT, ev.HONEST)
                search = theirs[category].share(ev.RIGHT, ev.HONEST)
                lead_rows.append(
                    [eval_set.name, category, f"{ours:.1%}", f"{search:.1%}", f"{(ours - search) * 100:+.1f} points"]
                )
    # A blind set's misses are not listed: reading them would make it a development set.
    errors = [
        r for s in sets if s.path.parent.name != "blind" for r in bot[s.name] if r.outcome in (ev.WRONG, ev.DECLINED)
    ]
    lines = [
        "# SpineBot blind evaluation (`make eval`)",
        "",
        f"{sum(len(bot[s.name]) for s in sets)} turns in {len(sets)} sets, over the REST channel of the real servers, in {seconds:.0f} s.",
        "Right = the reply contract names an acceptable entry (for `no_answer`: an honest not-covered or out-of-scope reply; "
        "for `out_of_scope`: the out-of-scope or not-covered reply). Declined = an in-scope question answered as not covered "
        "or out of scope. Clarified = asked which entry was meant; 'right button' = the right entry was among the buttons.",
        "",
        "## SpineBot",
        "",
        ev.markdown_table(rows),
        "",
        "## TF-IDF search over the knowledge entries (the FAQ search-box baseline)",
        "",
        ev.markdown_table(base_rows),
        "",
        "## SpineBot's lead over the search box",
        "",
        ev.markdown_table(lead_rows, ["set", "category", "SpineBot right", "search right", "lead"]),
        "",
        "## Misses (wrong or declined; regression sets only)",
        "",
    ]
    lines += [
        f'- [{r.set_name} {r.dialogue_id}/{r.turn_index}] "{r.turn.text}" expected {r.turn.expect}, got {r.reply.label}'
        for r in errors
    ]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sets", nargs="*", type=Path, default=DEFAULT_FOLDERS, help="folders or files of question sets"
    )
    parser.add_argument("--out", type=Path, default=paths.PROJECT_ROOT / "results")
    args = parser.parse_args(list(argv) or None)
    files = [f for p in args.sets for f in ([p] if p.is_file() else sorted(p.glob("*.yml")))]
    sets = [ev.load_eval_set(f) for f in files]
    if not sets:
        print("no question sets found", file=sys.stderr)
        return 2
    known = [entry.id for entry in default_knowledge_base()] + ["opening_hours"]
    bad = {s.name: ev.check_labels(s, known) for s in sets if ev.check_labels(s, known)}
    if bad:
        print(f"unknown labels in question sets: {bad}", file=sys.stderr)
        return 2
    baseline = ev.TfidfBaseline(knowledge_documents())
    base = {s.name: baseline_scores(baseline, s) for s in sets}
    bot: Dict[str, List[ev.Scored]] = defaultdict(list)
    prompt = callback_prompt()
    with running_bot(Path(tempfile.mkdtemp(prefix="spinebot-eval-"))) as servers:
        started = time.perf_counter()
        for s in sets:
            with ThreadPoolExecutor(WORKERS) as pool:
                for scored in pool.map(lambda d, s=s: run_dialogue(servers["rasa"], s, d, prompt), s.dialogues):
                    bot[s.name] += scored
            print(f"  {s.name}: {len(bot[s.name])} turns", flush=True)
        seconds = time.perf_counter() - started
    args.out.mkdir(parents=True, exist_ok=True)
    text = report(sets, bot, base, seconds)
    (args.out / "eval.md").write_text(text)
    everything = [r for s in sets for r in bot[s.name]]
    (args.out / "eval.json").write_text(
        json.dumps(
            [
                {
                    "set": r.set_name,
                    "dialogue": r.dialogue_id,
                    "turn": r.turn_index,
                    "text": r.turn.text,
                    "expect": r.turn.expect,
                    "also_ok": list(r.turn.also_ok),
                    "got": r.reply.label,
                    "options": list(r.reply.options),
                    "outcome": r.outcome,
                }
                for r in everything
            ],
            indent=1,
        )
    )
    confusion_png(everything, args.out / "eval_confusion.png")
    print(text.split("## Misses")[0])
    print(f"outcomes over all sets: {dict(Counter(r.outcome for r in everything))}")
    print(f"written: {args.out / 'eval.md'}, eval.json, eval_confusion.png")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
