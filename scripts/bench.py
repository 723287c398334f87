"""`make bench`: how fast SpineBot starts, how much memory it takes, how quickly it answers.

Starts the real action server and Rasa server on free ports (SQLite in a temporary folder), then
measures: seconds until both answer; resident memory of each; latency of single questions
(p50/p95 over 100 turns); throughput with 10 patients at once; the safety detector on its own.
Loopback only, bounded in count and time. Results: printed and in results/bench.json.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from spinebot.local_servers import running_bot  # noqa: E402

QUESTIONS = ["what is failed back surgery syndrome", "how is laser spine surgery done?", "what are injections for?",
             "what is IDD therapy", "how much does it cost", "why do back operations fail", "hello",
             "can I speak to someone", "what are the treatments for asthma", "my legs are both numb"]
SEQUENTIAL_TURNS = 100
CONCURRENT_USERS, CONCURRENT_TURNS = 10, 200


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (the rasa CLI may fork)."""
    total = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        if int(fields.get("Pid", 0)) == pid or int(fields.get("PPid", 0)) == pid:
            total += int(fields.get("VmRSS", "0 kB").split()[0])
    return round(total / 1024, 1)


def turn(url: str, sender: str, text: str) -> float:
    start = time.perf_counter()
    response = requests.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=60)
    response.raise_for_status()
    return (time.perf_counter() - start) * 1000


def percentile(values, share: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 1)


def main() -> None:
    results = {}
    started = time.perf_counter()
    with running_bot(Path(tempfile.mkdtemp())) as bot:
        results["ready_seconds"] = round(time.perf_counter() - started, 1)
        url = bot["rasa"]
        turn(url, "warm-up", "hello")
        latencies = [turn(url, f"seq-{i % 10}", QUESTIONS[i % len(QUESTIONS)]) for i in range(SEQUENTIAL_TURNS)]
        results["single_user_ms"] = {"p50": percentile(latencies, 0.5), "p95": percentile(latencies, 0.95),
                                     "mean": round(statistics.mean(latencies), 1)}
        start = time.perf_counter()
        with ThreadPoolExecutor(CONCURRENT_USERS) as pool:
            parallel = list(pool.map(lambda i: turn(url, f"user-{i % CONCURRENT_USERS}-{uuid.uuid4().hex[:4]}",
                                                    QUESTIONS[i % len(QUESTIONS)]), range(CONCURRENT_TURNS)))
        elapsed = time.perf_counter() - start
        results[f"{CONCURRENT_USERS}_users"] = {"messages_per_second": round(CONCURRENT_TURNS / elapsed, 1),
                                                "p95_ms": percentile(parallel, 0.95)}
        results["memory_mb"] = {name: rss_mb(pid) for name, pid in bot["pids"].items()}
    import spacy
    from spinebot import paths
    from spinebot.safety import SafetyDetector, load_safety_patterns
    detector = SafetyDetector(spacy.load(paths.SPACY_MODEL_DIR), load_safety_patterns())
    start = time.perf_counter()
    for i in range(1000):
        detector.check(QUESTIONS[i % len(QUESTIONS)])
    results["safety_check_ms_per_message"] = round((time.perf_counter() - start), 3)
    out = ROOT / "results" / "bench.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
