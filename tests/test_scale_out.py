"""Scale-out on real engines: two Rasa replicas and two action servers sharing one PostgreSQL tracker
store and Rasa's RedisLockStore, behind nginx (docs/deployment.md describes the same layout).

Needs PostgreSQL (SPINEBOT_TEST_POSTGRES_URL), redis-server and nginx; `.ci/run` installs all three
from Debian's packages. Skipped, visibly, where they are missing.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest
import socketio
import sqlalchemy as sa

from spinebot.local_servers import free_port, running_bot, stop
from tests.conftest import report
from tests.helpers import say

pytestmark = pytest.mark.e2e
POSTGRES_URL = os.environ.get("SPINEBOT_TEST_POSTGRES_URL", "")

# One conversation: questions, follow-ups that only make sense with the turn before, a greeting and thanks.
SCRIPT = [
    "hello",
    "what is IDD therapy?",
    "is it painful?",
    "what is laser spine surgery?",
    "and the risks?",
    "what are facet joint injections?",
    "how long does the relief last?",
    "what is failed back surgery syndrome?",
    "what causes it?",
    "thanks",
]
FOLLOW_UPS = {2, 4, 6, 8}  # turn index → must stay on the subject of the turn before
CONVERSATIONS = 200
RACES = 80  # conversations whose next two messages reach both replicas at the same moment


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"nothing listening on {port} after {timeout}s")


@contextmanager
def serving(command: List[str], log: Path, port: int) -> Iterator[None]:
    """A server process in its own process group, up once its port answers, stopped afterwards."""
    process = subprocess.Popen(command, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for_port(port)
        yield
    finally:
        stop(process)


@contextmanager
def redis_server(workdir: Path) -> Iterator[str]:
    port = free_port()
    with serving(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        workdir / "redis.log",
        port,
    ):
        yield f"redis://127.0.0.1:{port}/1"


NGINX_CONF = """
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {work}/body; proxy_temp_path {work}/proxy;
  fastcgi_temp_path {work}/fastcgi; uwsgi_temp_path {work}/uwsgi; scgi_temp_path {work}/scgi;
  client_max_body_size 1m;
  # REST: any replica can answer any turn (the conversation lives in PostgreSQL, the lock in Redis).
  upstream rasa_rest {{ {servers} }}
  # socket.io keeps a connection on one replica: sticky by client address.
  upstream rasa_socketio {{ ip_hash; {servers} }}
  map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
  server {{
    listen 127.0.0.1:{port};
    location /socket.io/ {{
      proxy_pass http://rasa_socketio; proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection $connection_upgrade;
      proxy_set_header X-Forwarded-For $remote_addr; proxy_read_timeout 120s;
    }}
    location / {{ proxy_pass http://rasa_rest; proxy_set_header X-Forwarded-For $remote_addr; }}
  }}
}}
"""


@contextmanager
def nginx_in_front(workdir: Path, rasa_urls: List[str]) -> Iterator[str]:
    port = free_port()
    for folder in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (workdir / folder).mkdir(exist_ok=True)
    servers = " ".join(f"server {url.split('//')[1]};" for url in rasa_urls)
    conf = workdir / "nginx.conf"
    conf.write_text(NGINX_CONF.format(work=workdir, servers=servers, port=port))
    with serving(
        [
            shutil.which("nginx") or "/usr/sbin/nginx",
            "-c",
            str(conf),
            "-p",
            str(workdir),
            "-g",
            "daemon off; user root;",
        ],
        workdir / "nginx.log",
        port,
    ):
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    missing = [
        tool for tool in ("redis-server", "nginx") if not shutil.which(tool) and not Path(f"/usr/sbin/{tool}").exists()
    ]
    if missing or not POSTGRES_URL:
        pytest.skip(
            f"scale-out needs PostgreSQL (SPINEBOT_TEST_POSTGRES_URL) and {', '.join(missing) or 'nothing else'}"
        )
    workdir = tmp_path_factory.mktemp("cluster")
    with ExitStack() as stack:
        redis_url = stack.enter_context(redis_server(workdir))
        env = {"SPINEBOT_DATABASE_URL": POSTGRES_URL, "SPINEBOT_REDIS_URL": redis_url}
        replicas = []
        for name in ("replica1", "replica2"):  # each with its own action server
            (workdir / name).mkdir()
            replicas.append(stack.enter_context(running_bot(workdir / name, env)))
        front = stack.enter_context(nginx_in_front(workdir, [replica["rasa"] for replica in replicas]))
        yield {"replicas": replicas, "front": front, "workdir": workdir}


def subject_of(replies: List[Dict[str, Any]], knowledge) -> Optional[str]:
    contracts = [reply["custom"] for reply in replies if "custom" in reply]
    if not contracts:
        return None
    contract = contracts[0]
    if contract.get("subject"):
        return contract["subject"]
    entry = knowledge.entries.get(contract.get("kb_id") or "")
    return entry.subject if entry else None


def converse(urls: List[str], sender: str, knowledge) -> List[str]:
    """One scripted conversation whose turns alternate between `urls`; returns what went wrong."""
    problems = []
    previous_subject = None
    for turn, text in enumerate(SCRIPT):
        replies = say(urls[turn % len(urls)], sender, text)
        if not replies:
            problems.append(f"turn {turn}: no reply")
        subject = subject_of(replies, knowledge)
        if turn in FOLLOW_UPS and subject != previous_subject:
            problems.append(f"turn {turn} '{text}': subject {subject}, expected {previous_subject}")
        previous_subject = subject or previous_subject
    return problems


def run_load(urls: List[str], conversations: int, knowledge, workers: int = 20) -> Dict[str, Any]:
    senders = [f"scale-{uuid.uuid4().hex}" for _ in range(conversations)]
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        problems = [p for found in pool.map(lambda s: converse(urls, s, knowledge), senders) for p in found]
    elapsed = time.monotonic() - started
    return {"senders": senders, "problems": problems, "rate": conversations * len(SCRIPT) / elapsed}


def stored_conversations(senders: List[str]) -> Dict[str, List[Dict[str, Any]]]:
    engine = sa.create_engine(POSTGRES_URL)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT sender_id, data FROM events WHERE sender_id = ANY(:senders) ORDER BY id"),
                {"senders": senders},
            ).all()
    finally:
        engine.dispose()
    stored: Dict[str, List[Dict[str, Any]]] = {sender: [] for sender in senders}
    for sender, data in rows:
        stored[sender].append(json.loads(data))
    return stored


def turn_problems(events: List[Dict[str, Any]]) -> List[str]:
    """Every turn stored once, in order, each answered before the next began."""
    users = [e.get("text") for e in events if e.get("event") == "user"]
    problems = [] if users == SCRIPT else [f"user messages stored as {users}"]
    starts = sum(1 for e in events if e.get("event") == "action" and e.get("name") == "action_session_start")
    if starts != 1:
        problems.append(f"{starts} session starts")
    kinds = [e.get("event") for e in events]
    for index, kind in enumerate(kinds):
        if kind == "user":
            following = kinds[index + 1 :]
            next_user = following.index("user") if "user" in following else len(following)
            if "bot" not in following[:next_user]:
                problems.append(f"no bot reply stored after user message {users.index(events[index]['text'])}")
    return problems


def test_two_replicas_lose_no_event_over_200_concurrent_conversations(cluster, knowledge):
    urls = [replica["rasa"] for replica in cluster["replicas"]]
    load = run_load(urls, CONVERSATIONS, knowledge)
    stored = stored_conversations(load["senders"])
    broken = {sender: turn_problems(events) for sender, events in stored.items() if turn_problems(events)}
    report(
        f"scale-out: {CONVERSATIONS} conversations x {len(SCRIPT)} turns alternating between 2 replicas: "
        f"{load['rate']:.1f} msg/s, {len(broken)} conversations with lost or interleaved events, "
        f"{len(load['problems'])} follow-up or reply problems"
    )
    assert not broken, list(broken.items())[:3]
    assert not load["problems"], load["problems"][:10]


def test_throughput_with_one_replica_and_with_two_behind_nginx(cluster, knowledge):
    one = run_load([cluster["replicas"][0]["rasa"]], 40, knowledge)
    two = run_load([cluster["front"]], 40, knowledge)
    report(
        f"scale-out: 40 conversations x {len(SCRIPT)} turns, 20 at once: one replica {one['rate']:.1f} msg/s, "
        f"two replicas behind nginx {two['rate']:.1f} msg/s (2-core machine)"
    )
    assert not one["problems"] and not two["problems"], (one["problems"][:5], two["problems"][:5])


def test_socketio_through_nginx_stays_on_one_replica_and_gets_its_answers(cluster):
    client = socketio.Client(reconnection=False)
    received: List[Any] = []
    answered = threading.Event()
    session_id = uuid.uuid4().hex

    def on_bot(data):
        received.append(data)
        if isinstance(data, dict) and "custom" in data:
            answered.set()

    client.on("bot_uttered", on_bot)
    confirmed = threading.Event()
    client.on("session_confirm", lambda *_: confirmed.set())
    client.connect(cluster["front"], transports=["polling", "websocket"], socketio_path="/socket.io")
    try:
        client.emit("session_request", {"session_id": session_id})
        assert confirmed.wait(20)
        client.emit("user_uttered", {"message": "what is IDD therapy?", "session_id": session_id})
        assert answered.wait(60), received
    finally:
        client.disconnect()
    assert [r["custom"]["kb_id"] for r in received if "custom" in r] == ["idd_therapy"]


def test_two_messages_of_one_conversation_sent_at_once_to_both_replicas_are_taken_in_turn(cluster):
    """The Redis lock store at work: without it both replicas read the same tracker, and the events
    of one turn are lost or stored twice."""
    urls = [replica["rasa"] for replica in cluster["replicas"]]
    senders = [f"race-{uuid.uuid4().hex}" for _ in range(RACES)]
    pair = ["what is IDD therapy?", "what is laser spine surgery?"]
    for sender in senders:
        say(urls[0], sender, "hello")
    with ThreadPoolExecutor(max_workers=20) as pool:
        list(
            pool.map(
                lambda job: say(urls[job[1]], job[0], pair[job[1]]),
                [(sender, side) for sender in senders for side in (0, 1)],
            )
        )
    problems = {}
    for sender, events in stored_conversations(senders).items():
        users = [e.get("text") for e in events if e.get("event") == "user"]
        bots = [e for e in events if e.get("event") == "bot"]
        starts = sum(1 for e in events if e.get("name") == "action_session_start")
        if users[:1] != ["hello"] or sorted(users[1:]) != sorted(pair) or starts != 1 or len(bots) < 3:
            problems[sender] = (users, starts, len(bots))
    report(
        f"scale-out: {RACES} conversations with 2 messages sent at once to different replicas: "
        f"{len(problems)} with lost, doubled or interleaved events"
    )
    assert not problems, list(problems.items())[:3]
