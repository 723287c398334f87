"""`make bench`: SpineBot against a peer, Rasa's default configuration trained on the same data.

A speed figure means little on its own: it depends on the machine and on what else runs there. So
one run measures both bots on the same machine, one after the other, each served the same way
(`spinebot.local_servers.running_bot`: the real action server, the same endpoints.yml and
credentials.yml, SQLite, REST on loopback). The peer is what a team would get from `rasa init`
(scripts/peer_config.yml), trained into build/peer only when its inputs change.

For each bot: seconds until both servers answer; latency of single questions; p50/p95/p99 latency,
messages per second and errors with 1, 10, 20 and 50 conversations at once; peak resident memory of
each server; latency along one 100-turn conversation. Then both bots side by side, single questions
sent to each in turn (the one-patient ratio measured at the same moments, which a drifting machine
speed cannot skew). Then the safety check on its own. Every
count and every request's time is bounded. Results: results/bench.json, results/bench.md (printed
at the end) and results/bench_latency.png.
"""

from __future__ import annotations

import hashlib
import json
import math
import operator
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from functools import reduce
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

# What `make bench` exports, so that a direct run and the servers and `rasa train` it starts behave the same:
# no telemetry, no TensorFlow or deprecation chatter. Set before spaCy is imported (it imports TensorFlow).
for name, value in (
    ("RASA_TELEMETRY_ENABLED", "false"),
    ("TF_CPP_MIN_LOG_LEVEL", "3"),
    ("SQLALCHEMY_SILENCE_UBER_WARNING", "1"),
    ("PYTHONWARNINGS", "ignore"),
):
    os.environ.setdefault(name, value)

import matplotlib  # noqa: E402
import requests  # noqa: E402
import spacy  # noqa: E402
from tqdm import tqdm  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend: no display here)
from matplotlib.ticker import ScalarFormatter  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from spinebot import answering, paths  # noqa: E402
from spinebot.clinic import default_clinic_settings  # noqa: E402
from spinebot.local_servers import BIN, MODEL, running_bot  # noqa: E402
from spinebot.replies import default_replies  # noqa: E402
from spinebot.safety import safety_detector_for  # noqa: E402

QUESTIONS = [
    "what is failed back surgery syndrome",
    "how is laser spine surgery done?",
    "what are injections for?",
    "what is IDD therapy",
    "how much does it cost",
    "why do back operations fail",
    "hello",
    "can I speak to someone",
    "what are the treatments for asthma",
    "my legs are both numb",
]
# One patient's conversation with follow-ups that only make sense in context.
CONVERSATION = [
    "hello",
    "what is IDD therapy?",
    "is it painful?",
    "what is laser spine surgery?",
    "and the risks?",
    "thanks",
]
SINGLE_TURNS = 60
TURNS_PER_SENDER = 2
# Single turns sent to both bots running side by side, one question to each in turn.
INTERLEAVED_TURNS = 120
CONCURRENCY = (1, 10, 20, 50)  # 20: the throughput target
LONG_TURNS = 100
# Latency "at turn k" is the median of the three turns around k: one turn alone is too noisy.
LONG_CHECKPOINTS = {1: (1, 2, 3), 25: (24, 25, 26), 50: (49, 50, 51), 100: (98, 99, 100)}
SAFETY_CHECKS = 1000
REQUEST_TIMEOUT = 60.0
MEMORY_SAMPLE_SECONDS = 0.5
# First use loads code and data lazily in each server (~0.4 s for the first answer): not latency.
WARM_UP = ["hello", "what is IDD therapy"]
REQUESTS_PER_BOT = len(WARM_UP) + SINGLE_TURNS + LONG_TURNS + len(CONVERSATION) * sum(CONCURRENCY)

PEER_CONFIG = ROOT / "scripts" / "peer_config.yml"
PEER_DIR = ROOT / "build" / "peer"
PEER_MODEL = PEER_DIR / "peer.tar.gz"
PEER_FINGERPRINT = PEER_DIR / "fingerprint.json"
RESULTS = ROOT / "results"
BOTS = {"spinebot": "SpineBot", "peer": "Peer (Rasa default)"}


# ---------------------------------------------------------------- the peer model


def peer_inputs() -> List[Path]:
    """Everything the peer model is trained from: a change to any of these means retraining."""
    return [PEER_CONFIG, ROOT / "domain.yml", *sorted(p for p in (ROOT / "data").rglob("*") if p.is_file())]


def peer_fingerprint() -> str:
    """sha256 over the inputs' paths and contents (a renamed file changes it too)."""
    digest = hashlib.sha256()
    for path in peer_inputs():
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def ensure_peer_model() -> Tuple[float, bool]:
    """Train the peer unless the stored fingerprint matches; return (training seconds, trained now).

    Rasa's own output is shown as it trains (a few minutes), so that a long pause is not mistaken
    for a hang. When training is skipped, the seconds are those of the training that made the model.
    """
    fingerprint = peer_fingerprint()
    stored = json.loads(PEER_FINGERPRINT.read_text()) if PEER_FINGERPRINT.exists() else {}
    if PEER_MODEL.exists() and stored.get("sha256") == fingerprint:
        print(f"peer model up to date ({PEER_MODEL.relative_to(ROOT)}), not retrained")
        return stored["training_seconds"], False
    PEER_DIR.mkdir(parents=True, exist_ok=True)
    print("training the peer (Rasa's default configuration, scripts/peer_config.yml): a few minutes...", flush=True)
    started = time.perf_counter()
    subprocess.run(
        [
            str(BIN / "rasa"),
            "train",
            "--config",
            str(PEER_CONFIG),
            "--domain",
            "domain.yml",
            "--data",
            "data",
            "--fixed-model-name",
            "peer",
            "--out",
            str(PEER_DIR),
        ],
        cwd=ROOT,
        check=True,
    )
    seconds = round(time.perf_counter() - started, 1)
    PEER_FINGERPRINT.write_text(json.dumps({"sha256": fingerprint, "training_seconds": seconds}, indent=2))
    print(f"peer trained in {seconds} s", flush=True)
    return seconds, True


# ---------------------------------------------------------------- memory


def rss_mb(roots: Dict[str, int]) -> Dict[str, float]:
    """Resident memory of each root process plus its children (the rasa CLI may fork), in one /proc scan."""
    totals = {name: 0 for name in roots}
    owner = {pid: name for name, pid in roots.items()}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:  # the process ended while we looked
            continue
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        name = owner.get(int(fields.get("Pid", 0))) or owner.get(int(fields.get("PPid", 0)))
        if name:
            totals[name] += int(fields.get("VmRSS", "0 kB").split()[0])
    return {name: round(kb / 1024, 1) for name, kb in totals.items()}


class PeakMemory:
    """Samples /proc in a background thread: a single reading at the end would miss the peak under load."""

    def __init__(self, roots: Dict[str, int]) -> None:
        self._roots = roots
        self.peak_mb = {name: 0.0 for name in roots}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while True:
            for name, mb in rss_mb(self._roots).items():
                self.peak_mb[name] = max(self.peak_mb[name], mb)
            if self._stop.wait(MEMORY_SAMPLE_SECONDS):
                return

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()


# ---------------------------------------------------------------- talking to a bot


@dataclass(frozen=True)
class Turn:
    ms: float
    ok: bool  # HTTP 200 (anything else, or an exception, is an error)
    fault: bool  # the gate's apology (a 200): the turn failed or missed the gate's reply deadline


class Patients:
    """Sends messages to one bot's REST channel, timing each and counting it on the bot's progress bar.

    Errors are recorded, never raised: a benchmark under load must report them, not stop at the first.
    """

    def __init__(self, url: str, bar: tqdm) -> None:
        self._endpoint = f"{url}/webhooks/rest/webhook"
        self._bar = bar
        self._bar_lock = threading.Lock()
        self._fault = answering.fill_clinic(default_replies().gate["fault"], default_clinic_settings())

    def say(self, session: requests.Session, sender: str, text: str) -> Turn:
        start = time.perf_counter()
        ok = fault = False
        try:
            response = session.post(self._endpoint, json={"sender": sender, "message": text}, timeout=REQUEST_TIMEOUT)
            ok = response.status_code == 200
            fault = ok and any(reply.get("text") == self._fault for reply in response.json())
        except (requests.RequestException, ValueError):
            pass
        ms = (time.perf_counter() - start) * 1000
        with self._bar_lock:
            self._bar.update(1)
        return Turn(ms, ok, fault)

    def conversation(self, messages: Sequence[str]) -> List[Turn]:
        """One patient (a new sender, one keep-alive connection) saying `messages` in order."""
        sender = f"bench-{uuid.uuid4().hex[:12]}"
        with requests.Session() as session:
            return [self.say(session, sender, text) for text in messages]


def percentile(values: Sequence[float], share: float) -> Optional[float]:
    """Nearest-rank percentile; None when every request failed."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(share * len(ordered)) - 1)], 1)


def latency(turns: Sequence[Turn]) -> Dict[str, Any]:
    """p50/p95/p99 over the answered turns (errors have no meaningful latency), with the counts."""
    answered = [turn.ms for turn in turns if turn.ok]
    return {
        "p50_ms": percentile(answered, 0.50),
        "p95_ms": percentile(answered, 0.95),
        "p99_ms": percentile(answered, 0.99),
        "messages": len(turns),
        "errors": sum(not turn.ok for turn in turns),
        "fault_replies": sum(turn.fault for turn in turns),
    }


def single_turns(patients: Patients) -> Dict[str, Any]:
    """Questions one at a time, a new patient every two turns: the latency one patient feels."""
    turns: List[Turn] = []
    for first in range(0, SINGLE_TURNS, TURNS_PER_SENDER):
        count = min(TURNS_PER_SENDER, SINGLE_TURNS - first)
        turns += patients.conversation([QUESTIONS[(first + i) % len(QUESTIONS)] for i in range(count)])
    return latency(turns)


def concurrent_conversations(patients: Patients, count: int) -> Dict[str, Any]:
    """`count` patients start the same conversation at once; throughput counts answered messages."""
    started = time.perf_counter()
    with ThreadPoolExecutor(count) as pool:
        conversations = list(pool.map(lambda _: patients.conversation(CONVERSATION), range(count)))
    seconds = time.perf_counter() - started
    turns = [turn for conversation in conversations for turn in conversation]
    return {
        **latency(turns),
        "seconds": round(seconds, 1),
        "messages_per_second": round(sum(turn.ok for turn in turns) / seconds, 1),
    }


def long_conversation(patients: Patients) -> Dict[str, Any]:
    """One patient for 100 turns: does the growing conversation history slow the bot down?"""
    turns = patients.conversation([QUESTIONS[i % len(QUESTIONS)] for i in range(LONG_TURNS)])
    at_turn = {}
    for turn_number, window in LONG_CHECKPOINTS.items():
        answered = [turns[n - 1].ms for n in window if turns[n - 1].ok]
        at_turn[f"turn_{turn_number}_ms"] = round(statistics.median(answered), 1) if answered else None
    return {**at_turn, "errors": sum(not turn.ok for turn in turns), "fault_replies": sum(turn.fault for turn in turns)}


def bench_bot(name: str, model: Path) -> Dict[str, Any]:
    """Start `model` fresh, measure it, stop it. Memory is sampled from the moment both servers answer."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as workdir:
        print(f"starting {BOTS[name]}: action server and Rasa server...", flush=True)
        started = time.perf_counter()
        with running_bot(Path(workdir), None, model=model) as bot:
            ready_seconds = round(time.perf_counter() - started, 1)
            with PeakMemory(bot["pids"]) as memory, tqdm(total=REQUESTS_PER_BOT, desc=BOTS[name], unit="msg") as bar:
                patients = Patients(bot["rasa"], bar)
                patients.conversation(WARM_UP)
                single = single_turns(patients)
                long = long_conversation(patients)
                concurrent = {str(count): concurrent_conversations(patients, count) for count in CONCURRENCY}
    return {
        "ready_seconds": ready_seconds,
        "single_turn": single,
        "concurrent": concurrent,
        "peak_memory_mb": memory.peak_mb,
        "long_conversation": long,
    }


def interleaved_single_turns() -> Dict[str, Any]:
    """Both bots up at once and one question to each in turn, the order swapped every question.

    Why: the machine's speed drifts (another tenant, a slow phase) by as much as 2x within a minute,
    and each bot's own run is measured minutes apart, so the ratio of two separately measured
    medians moved between 1.8x and 5.9x over six runs of the same build. Questions sent in
    alternation meet the same moment's machine, as the issue's first measurement did.
    """
    turns: Dict[str, List[Turn]] = {name: [] for name in BOTS}
    with (
        tempfile.TemporaryDirectory(prefix="bench-ours-") as ours_dir,
        tempfile.TemporaryDirectory(prefix="bench-peer-") as peer_dir,
    ):
        print("starting both bots side by side for interleaved single turns...", flush=True)
        with (
            running_bot(Path(ours_dir), None, model=MODEL) as ours,
            running_bot(Path(peer_dir), None, model=PEER_MODEL) as theirs,
            tqdm(total=2 * (INTERLEAVED_TURNS + len(WARM_UP)), desc="interleaved", unit="msg") as bar,
        ):
            patients = {"spinebot": Patients(ours["rasa"], bar), "peer": Patients(theirs["rasa"], bar)}
            for each in patients.values():
                each.conversation(WARM_UP)
            for first in range(0, INTERLEAVED_TURNS, TURNS_PER_SENDER):
                sender = f"bench-{uuid.uuid4().hex[:12]}"
                sessions = {name: requests.Session() for name in BOTS}
                for i in range(first, min(first + TURNS_PER_SENDER, INTERLEAVED_TURNS)):
                    order = list(BOTS) if i % 2 == 0 else list(reversed(list(BOTS)))
                    for name in order:
                        turns[name].append(patients[name].say(sessions[name], sender, QUESTIONS[i % len(QUESTIONS)]))
                for session in sessions.values():
                    session.close()
    return {name: latency(bot_turns) for name, bot_turns in turns.items()}


def safety_check_ms_per_message() -> float:
    """SpineBot's own safety detector alone, without HTTP or Rasa: its share of each turn."""
    detector = safety_detector_for(spacy.load(paths.SPACY_MODEL_DIR))
    start = time.perf_counter()
    for i in range(SAFETY_CHECKS):
        detector.check(QUESTIONS[i % len(QUESTIONS)])
    return round((time.perf_counter() - start) * 1000 / SAFETY_CHECKS, 3)


# ---------------------------------------------------------------- reporting

Row = Tuple[str, Any, Any, str]  # label, SpineBot, peer, how to compare: "lower", "higher" or "none"


def table_rows(results: Dict[str, Any]) -> List[Row]:
    """The figures, in the order a reader asks about them."""

    def both(*keys: str) -> Tuple[Any, Any]:
        ours, theirs = (reduce(operator.getitem, keys, results["bots"][bot]) for bot in BOTS)
        return ours, theirs

    rows: List[Row] = [("Time to ready (s)", *both("ready_seconds"), "lower")]
    rows += [
        (f"1 patient, single turns: {share} (ms)", *both("single_turn", f"{share}_ms"), "lower")
        for share in ("p50", "p95", "p99")
    ]
    rows += [
        (
            f"1 patient, single turns interleaved with the peer: {share} (ms)",
            *both("interleaved_single_turn", f"{share}_ms"),
            "lower",
        )
        for share in ("p50", "p95")
    ]
    for count in map(str, CONCURRENCY):
        rows += [
            (f"{count} at once: {share} (ms)", *both("concurrent", count, f"{share}_ms"), "lower")
            for share in ("p50", "p95", "p99")
        ]
        rows.append((f"{count} at once: messages/s", *both("concurrent", count, "messages_per_second"), "higher"))
        errors, faults = both("concurrent", count, "errors"), both("concurrent", count, "fault_replies")
        rows.append(
            (
                f"{count} at once: errors / fault replies",
                f"{errors[0]} / {faults[0]}",
                f"{errors[1]} / {faults[1]}",
                "none",
            )
        )
    rows.append(("Peak memory, Rasa server (MB)", *both("peak_memory_mb", "rasa"), "lower"))
    rows.append(("Peak memory, action server (MB)", *both("peak_memory_mb", "actions"), "lower"))
    rows += [
        (f"100-turn conversation: turn {turn} (ms)", *both("long_conversation", f"turn_{turn}_ms"), "lower")
        for turn in LONG_CHECKPOINTS
    ]
    rows.append(("Safety check alone (ms per message)", results["safety_check_ms_per_message"], "–", "none"))
    return rows


def lead(ours: Any, theirs: Any, better: str) -> str:
    """SpineBot's lead as a ratio above 1 when it is ahead: peer/SpineBot for costs, SpineBot/peer for throughput."""
    if better == "none" or not ours or not theirs:
        return "–"
    return f"{(theirs / ours if better == 'lower' else ours / theirs):.1f}x"


def markdown(results: Dict[str, Any]) -> str:
    """The table with what a reader needs to trust it: when, on what machine, how measured, how to rerun."""
    lines = [
        "# SpineBot against Rasa's default configuration",
        "",
        f"Measured {results['date']} on a machine with {results['cpu_count']} cores, loopback only, "
        f"one bot after the other, each started fresh. Reproduce: `make bench`.",
        "",
        "Peer: the same domain.yml and data/ trained with Rasa 3.6's default configuration "
        "(`scripts/peer_config.yml`, as `rasa init` gives it, 5 epochs instead of 100: serving speed does not "
        "depend on training length). Both are served the same way: the same action server, endpoints.yml and "
        "credentials.yml, SQLite, REST.",
        "",
        "| Figure | SpineBot | Peer | SpineBot's lead |",
        "|---|---:|---:|---:|",
    ]
    for label, ours, theirs, better in table_rows(results):
        lines.append(f"| {label} | {format_value(ours)} | {format_value(theirs)} | {lead(ours, theirs, better)} |")
    lines += [
        "",
        "Lead: peer/SpineBot for times, latencies and memory; SpineBot/peer for messages per second. "
        f"Each bot first answers a warm-up conversation ({' / '.join(WARM_UP)}), not counted. "
        f"Single turns: {SINGLE_TURNS} questions, a new patient every {TURNS_PER_SENDER}. "
        f"Interleaved: both bots running side by side, {INTERLEAVED_TURNS} questions to each, one to each in "
        "turn (the order swapped every question), so both meet the same moment's machine speed. "
        f"N at once: N patients start the same {len(CONVERSATION)}-turn conversation together. "
        "Errors are non-200 replies or failed requests (left out of the latencies); fault replies are the "
        "gate's apology when a turn fails or misses its reply deadline (a 200, counted in the latencies). "
        f"Peak memory includes child processes, sampled every {MEMORY_SAMPLE_SECONDS} s from ready to the end. "
        "Turn k of the 100-turn conversation is the median of the three turns around it "
        "(1-3, 24-26, 49-51, 98-100).",
        "",
        f"Run took {results['run_seconds']:.0f} s; the peer "
        + (
            f"was trained in this run ({results['peer_training_seconds']:.0f} s)."
            if results["peer_trained_this_run"]
            else f"was not retrained (inputs unchanged; it took {results['peer_training_seconds']:.0f} s to train)."
        ),
    ]
    return "\n".join(lines) + "\n"


def format_value(value: Any) -> str:
    """About three significant figures: more would only show noise."""
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.0f}" if value >= 100 else f"{value:.1f}" if value >= 1 else f"{value:.3f}"
    return str(value)


def chart(results: Dict[str, Any], path: Path) -> None:
    """Two panels: latency under load, and latency along one long conversation."""
    figure, (load, history) = plt.subplots(1, 2, figsize=(12, 4.5))
    for index, bot in enumerate(BOTS):
        for share, style in (("p50", "-"), ("p95", "--")):
            values = [results["bots"][bot]["concurrent"][str(count)][f"{share}_ms"] for count in CONCURRENCY]
            load.plot(
                range(len(CONCURRENCY)), values, style, marker="o", color=f"C{index}", label=f"{BOTS[bot]} {share}"
            )
    load.set_xticks(range(len(CONCURRENCY)), [f"{count} at once" for count in CONCURRENCY])
    load.set_yscale("log")
    load.yaxis.set_major_formatter(ScalarFormatter())
    load.set_ylabel("latency (ms, log scale)")
    load.set_title("Latency under load (6-turn conversations)")
    load.legend(fontsize=8)
    for index, bot in enumerate(BOTS):
        values = [results["bots"][bot]["long_conversation"][f"turn_{turn}_ms"] for turn in LONG_CHECKPOINTS]
        history.plot(list(LONG_CHECKPOINTS), values, marker="o", color=f"C{index}", label=BOTS[bot])
    history.set_xticks(list(LONG_CHECKPOINTS))
    history.set_xlabel("turn of one conversation (median of 3 turns around it)")
    history.set_ylabel("latency (ms)")
    history.set_ylim(bottom=0)
    history.set_title("Latency along a 100-turn conversation")
    history.legend(fontsize=8)
    figure.suptitle(f"SpineBot vs Rasa's default configuration ({results['date']}, {results['cpu_count']} cores)")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def main() -> None:
    started = time.perf_counter()
    if not MODEL.exists():
        sys.exit(f"{MODEL.relative_to(ROOT)} is missing: run `make bench`, which trains it first")
    training_seconds, trained_now = ensure_peer_model()
    bots = {"spinebot": bench_bot("spinebot", MODEL), "peer": bench_bot("peer", PEER_MODEL)}
    for name, figures in interleaved_single_turns().items():
        bots[name]["interleaved_single_turn"] = figures
    results = {
        "date": datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "cpu_count": os.cpu_count(),
        "bots": bots,
        "safety_check_ms_per_message": safety_check_ms_per_message(),
        "peer_training_seconds": training_seconds,
        "peer_trained_this_run": trained_now,
    }
    results["run_seconds"] = round(time.perf_counter() - started, 1)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench.json").write_text(json.dumps(results, indent=2) + "\n")
    report = markdown(results)
    (RESULTS / "bench.md").write_text(report)
    chart(results, RESULTS / "bench_latency.png")
    print(report)


if __name__ == "__main__":
    main()
