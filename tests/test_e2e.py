"""End to end: the real action server and Rasa server, a conversation over REST and socket.io."""

from __future__ import annotations

import sqlite3
import threading
import uuid
from typing import Any, Dict, List

import pytest
import requests
import socketio

from spinebot.local_servers import running_bot
from tests.helpers import contract, say, texts

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def bot(tmp_path_factory):
    with running_bot(tmp_path_factory.mktemp("e2e")) as urls:
        yield urls


def test_greeting_says_what_it_does_and_999(bot):
    replies = say(bot, "greeter", "hello")
    assert "general information, not medical advice" in replies[0]["text"] and "999" in replies[0]["text"]


def test_newcomer_question_gets_a_cited_answer(bot):
    replies = say(bot, "newcomer", "how is laser spine surgery done?")
    assert contract(replies)["kb_id"] == "laser_surgery_procedure"
    assert "microscope" in replies[0]["text"] and "Source:" in replies[0]["text"]
    assert any(reply.get("buttons") for reply in replies)


def test_follow_ups_resolve_against_the_subject(bot):
    sender = f"followups-{uuid.uuid4()}"
    assert contract(say(bot, sender, "what is laser spine surgery?"))["kb_id"] == "laser_surgery_overview"
    assert contract(say(bot, sender, "how is it done?"))["kb_id"] == "laser_surgery_procedure"
    assert contract(say(bot, sender, "what are injections for?"))["kb_id"] == "injections_overview"
    assert contract(say(bot, sender, "what are the downsides?"))["kb_id"] == "injections_limitations"


def test_a_long_conversation_keeps_its_subject_and_every_turn(bot):
    """Past 16 turns the dialogue works on a window of the latest 8 (spinebot/tracker_store.py): the
    subject chosen before the cut still resolves a follow-up after it, and the stored conversation
    keeps every turn once."""
    sender = f"long-{uuid.uuid4()}"
    assert contract(say(bot, sender, "what is laser spine surgery?"))["kb_id"] == "laser_surgery_overview"
    for _ in range(17):
        assert "welcome" in texts(say(bot, sender, "ok thank you"))
    assert contract(say(bot, sender, "how is it done?"))["kb_id"] == "laser_surgery_procedure"
    with sqlite3.connect(bot["db"]) as db:
        typed = db.execute(
            "SELECT count(*) FROM events WHERE sender_id = ? AND type_name = 'user'", (sender,)
        ).fetchone()[0]
    assert typed == 19


def test_out_of_scope_and_clicked_button(bot):
    assert contract(say(bot, "oos", "what are the treatments for kidney stones?")) == {
        "kb_id": None,
        "type": "out_of_scope",
    }
    assert contract(say(bot, "oos", "/costs"))["kb_id"] == "costs"


@pytest.mark.parametrize(
    "text", ["", " ", "😀😀😀", "<script>alert(1)</script>", "¿Dónde está la clínica?", "x" * 20000]
)
def test_odd_input_gets_a_polite_reply(bot, text):
    replies = say(bot, f"odd-{uuid.uuid4()}", text)
    assert replies and all("text" in reply or "custom" in reply for reply in replies)


def test_malformed_request_is_rejected_not_crashing(bot):
    response = requests.post(f"{bot['rasa']}/webhooks/rest/webhook", data="not json", timeout=30)
    assert response.status_code == 400 and "JSON" in response.json()["error"]
    assert say(bot, "after-bad-request", "hello")  # the server is still there


def test_conversation_is_stored_in_sqlite(bot):
    sender = f"stored-{uuid.uuid4()}"
    say(bot, sender, "what is IDD therapy?")
    with sqlite3.connect(bot["db"]) as db:
        rows = db.execute("SELECT type_name FROM events WHERE sender_id = ?", (sender,)).fetchall()
    assert ("user",) in rows and ("bot",) in rows


def test_socketio_client_receives_the_same_contract(bot):
    rest_contract = contract(say(bot, "rest-twin", "what is IDD therapy?"))
    client = socketio.Client(reconnection=False)
    received: List[Dict[str, Any]] = []
    done = threading.Event()
    session_id = str(uuid.uuid4())

    @client.on("bot_uttered")
    def on_bot(data):
        received.append(data)
        if isinstance(data, dict) and "custom" in data:
            done.set()

    confirmed = threading.Event()
    client.on("session_confirm", lambda *_: confirmed.set())
    client.connect(bot["rasa"], transports=["websocket"], socketio_path="/socket.io")
    try:
        client.emit("session_request", {"session_id": session_id})
        assert confirmed.wait(20)
        client.emit("user_uttered", {"message": "what is IDD therapy?", "session_id": session_id})
        assert done.wait(60), f"no custom payload over socket.io; got {received}"
    finally:
        client.disconnect()
    socket_contract = [data["custom"] for data in received if "custom" in data][0]
    assert socket_contract == rest_contract
    assert any("text" in data and "Source:" in data["text"] for data in received)


def test_urgent_message_gets_urgent_reply_first_and_is_flagged(bot):
    sender = f"urgent-{uuid.uuid4()}"
    assert contract(say(bot, sender, "what is laser spine surgery?"))["kb_id"] == "laser_surgery_overview"
    replies = say(bot, sender, "how much is IDD therapy, also ive wet myself twice today and my legs are weak")
    assert "999" in replies[0]["text"]
    customs = [reply["custom"] for reply in replies if "custom" in reply]
    assert customs[0]["kb_id"] == "urgent_emergency" and customs[0]["safety"]["rules"]
    # the conversation goes on, about the treatment the patient named last (the costs answer to
    # the buried question is a service answer: it keeps IDD as the subject, never "the clinic")
    assert customs[1]["kb_id"] == "costs"
    assert contract(say(bot, sender, "how is it done?"))["kb_id"] == "idd_therapy"
    assert (
        contract(say(bot, sender, "and the laser operation, how is that done?"))["kb_id"] == "laser_surgery_procedure"
    )
    with sqlite3.connect(bot["db"]) as db:
        flags = db.execute(
            "SELECT data FROM events WHERE sender_id = ? AND type_name = 'slot' AND data LIKE '%safety_flagged%'",
            (sender,),
        ).fetchall()
    assert flags, "the conversation is not marked for staff"


def test_call_back_form_invalid_phone_correction_and_storage(bot):
    from spinebot.storage import Store

    sender = f"callback-{uuid.uuid4()}"
    assert "What name" in texts(say(bot, sender, "I'd like a call back please"))
    assert "phone number" in texts(say(bot, sender, "Jane Smith"))
    assert "doesn't look like a UK phone number" in texts(say(bot, sender, "12345"))
    assert "best time" in texts(say(bot, sender, "07912 345678"))
    assert "what is it about" in texts(say(bot, sender, "afternoon"))
    assert "store your name" in texts(say(bot, sender, "/deny"))
    assert "Phone: 07912 345678" in texts(say(bot, sender, "/affirm"))
    assert "phone number" in texts(say(bot, sender, '/change_field{"field": "callback_phone"}'))
    assert "Phone: 020 7946 0123" in texts(say(bot, sender, "020 7946 0123"))
    assert "request is saved" in texts(say(bot, sender, "/affirm"))
    bot["restart_actions"]()
    saved = Store(bot["database_url"]).callbacks(sender_id=sender)
    assert [(r.name, r.phone, r.best_time, r.status) for r in saved] == [
        ("Jane Smith", "+442079460123", "afternoon", "new")
    ]
    # after a restart of the action server the bot still answers and stores
    assert contract(say(bot, sender, "what is IDD therapy?"))["kb_id"] == "idd_therapy"
    say(bot, sender, "that was helpful")
    assert [(f.kb_id, f.helpful) for f in Store(bot["database_url"]).feedback()] == [("idd_therapy", True)]


def test_call_back_form_cancel_and_urgent_mid_form(bot):
    from spinebot.storage import Store

    sender = f"cancel-{uuid.uuid4()}"
    say(bot, sender, "/request_callback")
    say(bot, sender, "Ann")
    replies = say(bot, sender, "i cant feel my legs, both of them")
    assert "999" in replies[0]["text"] and "phone number" in texts(replies[1:])  # urgent first, then the form goes on
    assert "delete the details" in texts(say(bot, sender, "never mind"))  # a name was given: ask first
    assert "stopped and haven't saved" in texts(say(bot, sender, "/affirm"))
    assert Store(bot["database_url"]).callbacks(sender_id=sender) == []


def test_a_name_that_looks_like_a_command_is_taken_as_a_name(bot):
    sender = f"names-{uuid.uuid4()}"
    say(bot, sender, "/request_callback")
    assert "phone number" in texts(say(bot, sender, "Ann Stopes"))
    assert "delete the details" in texts(say(bot, sender, "stop"))
    replies = texts(say(bot, sender, "/deny"))  # no, carry on: the form resumes at the phone number
    assert "carry on" in replies and "phone number" in replies
    assert "best time" in texts(say(bot, sender, "07912 345678"))


def test_dead_action_server_still_gets_the_urgent_instruction_out(bot):
    """The first urgent line is a Rasa response, not a custom action: it reaches the patient even
    when the action server is down."""
    bot["stop_actions"]()
    try:
        replies = say(bot, f"dead-actions-{uuid.uuid4()}", "both my legs have gone numb and I've wet myself")
        assert replies and "999" in replies[0]["text"]
    finally:
        bot["restart_actions"]()
    assert contract(say(bot, f"after-{uuid.uuid4()}", "what is IDD therapy?"))["kb_id"] == "idd_therapy"
