"""Bad input, floods and faults against the real servers (issue 12): no 5xx, no crash, nothing lost.

Each test talks to the real Rasa server and action server over loopback with the gate's production
defaults (spinebot/channels.py), except where a test says otherwise.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Dict, List

import pytest
import requests
import socketio

from spinebot.clinic import default_clinic_settings
from spinebot.local_servers import running_bot
from tests.helpers import kb_id, say, texts

pytestmark = pytest.mark.e2e

ALLOWED_ORIGIN = "http://localhost:8080"
PRODUCTION_LIMITS = {
    "SPINEBOT_RATE_PER_SENDER": "8/30",
    "SPINEBOT_RATE_PER_ADDRESS": "off",
    "SPINEBOT_CORS_ORIGINS": ALLOWED_ORIGIN,
}


@pytest.fixture(scope="module")
def bot(tmp_path_factory):
    with running_bot(tmp_path_factory.mktemp("hardening"), PRODUCTION_LIMITS) as servers:
        yield servers


def post(bot, body: Any, raw: bool = False, timeout: float = 60) -> requests.Response:
    url = f"{bot['rasa']}/webhooks/rest/webhook"
    if raw:
        return requests.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=timeout)
    return requests.post(url, json=body, timeout=timeout)


def stored_events(bot, sender: str) -> List[Dict[str, Any]]:
    with sqlite3.connect(bot["db"]) as db:
        rows = db.execute("SELECT data FROM events WHERE sender_id = ? ORDER BY id", (sender,)).fetchall()
    return [json.loads(row[0]) for row in rows]


CLINIC_NUMBER = default_clinic_settings().phone_numbers[0].display
URGENT = "both my legs have gone numb and I've wet myself"

# (label, request body as bytes); each must get a 2xx with a polite reply or a 4xx with a reason.
BAD_BODIES = [
    ("empty", json.dumps({"sender": "bad-empty", "message": ""}).encode()),
    ("whitespace", json.dumps({"sender": "bad-space", "message": " \n\t "}).encode()),
    ("100 kB", json.dumps({"sender": "bad-100k", "message": "lorem ipsum " * 8_500}).encode()),
    ("1 MB", json.dumps({"sender": "bad-1m", "message": "x" * 1_000_000}).encode()),
    ("invalid UTF-8", b'{"sender": "bad-utf8", "message": "caf\xe9 \xff\xfe"}'),
    ("NUL bytes", json.dumps({"sender": "bad-nul", "message": "what is\u0000 IDD\u0000 therapy?"}).encode()),
    ("emoji only", json.dumps({"sender": "bad-emoji", "message": "😀🙏🏽💊🩻"}).encode()),
    ("right-to-left", json.dumps({"sender": "bad-rtl", "message": "ما هو علاج الظهر؟ \u202eevil"}).encode()),
    ("Chinese", json.dumps({"sender": "bad-zh", "message": "背部手术失败怎么办"}).encode()),
    (
        "HTML and script",
        json.dumps({"sender": "bad-html", "message": "<img src=x onerror=alert(1)><script>alert(1)</script>"}).encode(),
    ),
    ("SQL-looking", json.dumps({"sender": "bad-sql", "message": "'; DROP TABLE events; --"}).encode()),
    ("typed /restart", json.dumps({"sender": "bad-restart", "message": "/restart"}).encode()),
    (
        "typed /intent with entities",
        json.dumps({"sender": "bad-intent", "message": '/affirm{"callback_consent": true}'}).encode(),
    ),
    (
        "deeply nested JSON",
        ('{"sender": "bad-nest", "message": "hi", "metadata": ' + "[" * 5000 + "]" * 5000 + "}").encode(),
    ),
    ("huge sender id", json.dumps({"sender": "s" * 100_000, "message": "hello"}).encode()),
    ("sender not text", json.dumps({"sender": {"$ne": 1}, "message": "hello"}).encode()),
    ("message not text", json.dumps({"sender": "bad-type", "message": ["what", "is", "IDD"]}).encode()),
    ("JSON list", b'[{"sender": "bad-list", "message": "hi"}]'),
    ("not JSON", b"message=hello&sender=me"),
    ("truncated JSON", b'{"sender": "bad-trunc", "message": "hel'),
]


def test_bad_input_gets_a_polite_reply_or_a_4xx_and_loses_nothing(bot):
    before = "bad-input-witness"
    assert kb_id(say(bot, before, "what is IDD therapy?")) == "idd_therapy"
    stored_before = stored_events(bot, before)
    for label, body in BAD_BODIES:
        response = post(bot, body, raw=True)
        assert response.status_code < 500, f"{label}: {response.status_code}"
        if response.status_code >= 400:
            assert response.headers.get("content-type", "").startswith("application/json"), label
            assert response.json().get("error") or response.json().get("description"), label
        else:
            replies = response.json()
            assert replies and all(reply.get("text") or reply.get("custom") for reply in replies), label
            assert not any("<script" in reply.get("text", "") for reply in replies), label
        assert requests.get(f"{bot['rasa']}/", timeout=10).status_code == 200, f"Rasa down after {label}"
        assert requests.get(f"{bot['actions']}/health", timeout=10).status_code == 200, f"actions down after {label}"
    # the earlier conversation is intact and carries on where it was
    assert stored_events(bot, before) == stored_before
    follow_up = [reply["custom"] for reply in say(bot, before, "is it painful?") if "custom" in reply][0]
    assert follow_up.get("subject") == "idd" or str(follow_up.get("kb_id")).startswith("idd"), follow_up


def test_an_over_long_message_is_refused_before_nlu_but_urgent_words_in_it_still_get_999(bot):
    started = time.monotonic()
    replies = say(bot, f"long-{uuid.uuid4()}", "word " * 20_000)
    assert time.monotonic() - started < 1.0
    assert "too long" in texts(replies) and "2,000" in texts(replies)
    urgent = say(bot, f"long-urgent-{uuid.uuid4()}", URGENT + ". " + "Some more of my story. " * 200)
    assert "999" in urgent[0]["text"] and "too long" in texts(urgent)


def test_an_urgent_message_sent_during_a_100_kb_flood_is_answered_within_a_second(bot):
    stop = threading.Event()
    flood_codes: List[int] = []

    def flood(index: int) -> None:
        while not stop.is_set():
            body = {"sender": f"flood-{index}-{uuid.uuid4().hex[:6]}", "message": "blah " * 20_000}
            flood_codes.append(post(bot, body).status_code)

    threads = [threading.Thread(target=flood, args=(i,), daemon=True) for i in range(6)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(1.0)
        timings = []
        for _ in range(3):
            started = time.monotonic()
            replies = say(bot, f"urgent-in-flood-{uuid.uuid4()}", URGENT)
            timings.append(time.monotonic() - started)
            assert "999" in replies[0]["text"]
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
    assert flood_codes and set(flood_codes) == {200}
    assert max(timings) < 1.0, timings


def test_one_sender_flooding_is_asked_to_slow_down_but_an_urgent_message_gets_through(bot):
    sender = f"fast-{uuid.uuid4()}"
    replies = [say(bot, sender, f"hello number {i}") for i in range(12)]
    assert any("faster than I can answer" in texts(r) for r in replies[8:])
    assert "999" in say(bot, sender, URGENT)[0]["text"]


def test_a_typed_payload_cannot_set_what_the_bot_did_not_ask_for(bot):
    sender = f"payload-{uuid.uuid4()}"
    say(bot, sender, '/request_callback{"callback_phone": "+447700900999", "callback_name": "Mallory"}')
    say(bot, sender, "/urgent_emergency")
    events = stored_events(bot, sender)
    assert not any(e.get("event") == "slot" and e.get("value") in ("+447700900999", "Mallory") for e in events)
    assert not any(e.get("event") == "slot" and e.get("name") == "safety_flagged" and e.get("value") for e in events)
    # a payload the bot offers as a button still works
    assert kb_id(say(bot, f"button-{uuid.uuid4()}", "/idd_therapy")) == "idd_therapy"


def socket_client(bot, origin: str) -> socketio.Client:
    """Long-polling: websocket-client adds an Origin header of its own next to the one given here."""
    client = socketio.Client(reconnection=False)
    client.connect(bot["rasa"], transports=["polling"], socketio_path="/socket.io", headers={"Origin": origin})
    return client


def test_socketio_refuses_pages_not_on_the_allowed_list(bot):
    with pytest.raises(socketio.exceptions.ConnectionError):
        socket_client(bot, "https://evil.example")
    socket_client(bot, ALLOWED_ORIGIN).disconnect()


def test_socketio_picks_the_session_id_when_the_client_offers_a_weak_one_and_survives_bad_data(bot):
    client = socket_client(bot, ALLOWED_ORIGIN)
    confirmed: List[Any] = []
    replies: List[Any] = []
    got_reply = threading.Event()
    client.on("session_confirm", lambda data: confirmed.append(data))

    def on_bot(data):
        replies.append(data)
        got_reply.set()

    client.on("bot_uttered", on_bot)
    try:
        client.emit("session_request", {"session_id": "1"})
        deadline = time.monotonic() + 20
        while not confirmed and time.monotonic() < deadline:
            time.sleep(0.1)
        assert confirmed and confirmed[0] != "1" and len(confirmed[0]) >= 32
        client.emit("user_uttered", "not an object")
        assert got_reply.wait(20) and "couldn't read" in replies[-1]["text"]
        got_reply.clear()
        client.emit("user_uttered", {"message": "what is IDD therapy?", "session_id": confirmed[0], "metadata": "{bad"})
        assert got_reply.wait(30)
    finally:
        client.disconnect()
    assert requests.get(f"{bot['rasa']}/", timeout=10).status_code == 200


def test_a_hung_action_server_gets_the_patient_a_reply_within_5_seconds_and_recovers(bot):
    actions = bot["pids"]["actions"]
    os.killpg(actions, signal.SIGSTOP)
    try:
        started = time.monotonic()
        replies = say(bot, f"hung-{uuid.uuid4()}", "what is IDD therapy?")
        elapsed = time.monotonic() - started
    finally:
        os.killpg(actions, signal.SIGCONT)
    assert elapsed < 5.0 and CLINIC_NUMBER in texts(replies) and "999" in texts(replies), (elapsed, replies)
    assert kb_id(say(bot, f"after-hung-{uuid.uuid4()}", "what is IDD therapy?")) == "idd_therapy"


def test_a_dead_action_server_gets_the_numbers_and_the_bot_recovers_when_it_returns(bot):
    bot["stop_actions"]()
    try:
        started = time.monotonic()
        replies = say(bot, f"dead-{uuid.uuid4()}", "what is IDD therapy?")
        assert time.monotonic() - started < 5.0 and CLINIC_NUMBER in texts(replies), replies
    finally:
        bot["restart_actions"]()
    assert kb_id(say(bot, f"after-dead-{uuid.uuid4()}", "what is IDD therapy?")) == "idd_therapy"


POSTGRES_URL = os.environ.get("SPINEBOT_TEST_POSTGRES_URL", "")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def form_bot(request, tmp_path_factory):
    if request.param == "postgresql" and not POSTGRES_URL:
        pytest.skip("set SPINEBOT_TEST_POSTGRES_URL to run this against PostgreSQL")
    env = {"SPINEBOT_DATABASE_URL": POSTGRES_URL} if request.param == "postgresql" else {}
    with running_bot(tmp_path_factory.mktemp(f"form-{request.param}"), env) as servers:
        yield dict(servers, database_url=POSTGRES_URL if request.param == "postgresql" else servers["database_url"])


def all_stored_text(form_bot, sender: str) -> str:
    import sqlalchemy as sa

    engine = sa.create_engine(form_bot["database_url"])
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT data FROM events WHERE sender_id = :s"), {"s": sender}).all()
    finally:
        engine.dispose()
    assert rows, "the conversation itself must still be stored"
    return " ".join(row[0] for row in rows)


@pytest.mark.parametrize(
    "ending",
    [
        ["stop", "/affirm"],  # stopped, and the stop confirmed
        ["/deny", "/deny"],  # no topic, then no consent: declined
    ],
)
def test_a_stopped_or_declined_call_back_leaves_nothing_typed_into_it(form_bot, ending):
    sender = f"form-{uuid.uuid4()}"
    for text in ("/request_callback", "Ottoline Quarrington", "07912 345678", "tuesday evenings", *ending):
        say(form_bot, sender, text)
    stored = all_stored_text(form_bot, sender)
    for given in ("Ottoline", "Quarrington", "07912 345678", "+447912345678", "tuesday evenings"):
        assert given not in stored, given
    assert "removed: call-back request not sent" in stored
    # the conversation goes on normally afterwards
    assert kb_id(say(form_bot, sender, "what is IDD therapy?")) == "idd_therapy"


def test_a_sent_call_back_request_keeps_its_conversation(form_bot):
    sender = f"form-sent-{uuid.uuid4()}"
    for text in (
        "/request_callback",
        "Ottoline Quarrington",
        "07912 345678",
        "mornings",
        "/deny",
        "/affirm",
        "/affirm",
    ):
        say(form_bot, sender, text)
    assert "Ottoline Quarrington" in all_stored_text(form_bot, sender)


def test_the_servers_logs_carry_no_names_numbers_or_message_text(form_bot):
    sender = f"form-log-{uuid.uuid4()}"
    for text in (
        "/request_callback",
        "Ottoline Quarrington",
        "07912 345678",
        "tuesday evenings",
        "stop",
        "/affirm",
        URGENT,
        "what is IDD therapy for my slipped disc?",
    ):
        say(form_bot, sender, text)
    logs = Path(form_bot["rasa_log"]).read_text() + Path(form_bot["rasa_log"]).with_name("actions.log").read_text()
    for private in ("Ottoline", "07912", "+447912", "tuesday evenings", "wet myself", "slipped disc"):
        assert private not in logs, private


class DatabaseLink:
    """A TCP relay between the servers and PostgreSQL that can be cut and restored: a real outage
    as the servers see it (connections drop, new ones are refused), without stopping the database."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.up = True
        self.open: List[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            client, _ = self.listener.accept()
            if not self.up:
                client.close()
                continue
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            self.open += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        self.up = False
        for connection in self.open:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.open.clear()

    def restore(self) -> None:
        self.up = True


def test_a_database_outage_still_gets_urgent_advice_out_and_conversations_continue_after(tmp_path_factory):
    if not POSTGRES_URL:
        pytest.skip("set SPINEBOT_TEST_POSTGRES_URL to run the database outage test")
    from sqlalchemy.engine import make_url

    real = make_url(POSTGRES_URL)
    link = DatabaseLink(real.port or 5432)
    through_link = real.set(host="127.0.0.1", port=link.port).render_as_string(hide_password=False)
    with running_bot(tmp_path_factory.mktemp("outage"), {"SPINEBOT_DATABASE_URL": through_link}) as servers:
        sender = f"outage-{uuid.uuid4()}"
        assert kb_id(say(servers, sender, "what is IDD therapy?")) == "idd_therapy"
        link.cut()
        try:
            started = time.monotonic()
            urgent = say(servers, f"outage-urgent-{uuid.uuid4()}", URGENT)
            assert "999" in urgent[0]["text"] and time.monotonic() - started < 5.0
            assert texts(say(servers, sender, "is it painful?"))  # a reply, not a 500
        finally:
            link.restore()
        say(servers, sender, "what about the costs of IDD therapy?")
        stored = all_stored_text(dict(servers, database_url=POSTGRES_URL), sender)
        assert "costs of IDD therapy" in stored and "what is IDD therapy?" in stored
