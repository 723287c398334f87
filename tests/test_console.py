"""The staff console, on a database filled by real conversations sent through the running bot."""

from __future__ import annotations

import os
import re
import subprocess
import uuid

import pytest

from spinebot import paths
from spinebot.console import create_app
from spinebot.console.accounts import MAX_FAILED_SIGN_INS, AccountError, Accounts
from spinebot.local_servers import running_bot
from spinebot.storage import CallbackStatus, Store
from tests.helpers import say

pytestmark = pytest.mark.e2e
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database(request):
    """The embedded SQLite file, and PostgreSQL where CI provides one (SPINEBOT_TEST_POSTGRES_URL)."""
    if request.param == "sqlite":
        return None
    url = os.environ.get("SPINEBOT_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("set SPINEBOT_TEST_POSTGRES_URL to run the console tests against PostgreSQL")
    return url


@pytest.fixture(scope="module")
def filled(tmp_path_factory, database):
    """Three real conversations: a question, an urgent message, and a call-back request."""
    env = {"SPINEBOT_DATABASE_URL": database} if database else None
    with running_bot(tmp_path_factory.mktemp("console"), env) as bot:
        bot = dict(bot, database_url=database or bot["database_url"])
        senders = {name: f"{name}-{uuid.uuid4().hex[:6]}" for name in ("question", "urgent", "callback")}
        say(bot, senders["question"], "what is IDD therapy?")
        say(bot, senders["question"], "is it painful?")
        say(bot, senders["urgent"], "since this morning I can't control my bladder and my back is agony")
        for text in ("/request_callback", "Ann Stopes", "07912 345678", "mornings", "/deny", "/affirm", "/affirm"):
            say(bot, senders["callback"], text)
        yield {"store": Store(bot["database_url"]), "senders": senders, "bot": bot}


@pytest.fixture()
def app(filled):
    app = create_app(filled["store"], {"TESTING": True, "SECRET_KEY": "test-secret"})
    accounts = Accounts(filled["store"])
    for name, role in (("nurse", "staff"), ("manager", "admin")):
        try:
            accounts.add_user(name, role, PASSWORD)
        except AccountError:
            pass  # created by an earlier test of this module
    return app


def csrf(page: bytes) -> str:
    match = re.search(rb'name="csrf_token" value="([^"]+)"', page)
    assert match, "the form carries no CSRF token"
    return match.group(1).decode()


def signed_in(app, name: str = "nurse"):
    client = app.test_client()
    token = csrf(client.get("/sign-in").data)
    response = client.post("/sign-in", data={"name": name, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    return client


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/conversations",
        "/audit",
        "/conversations/someone",
        "/conversations.csv",
        "/callbacks.csv",
        "/unanswered",
        "/insights",
    ],
)
def test_every_page_refuses_an_anonymous_visitor(app, path):
    response = app.test_client().get(path)
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_wrong_password_is_refused_and_repeated_attempts_are_throttled(app, filled):
    client = app.test_client()
    token = csrf(client.get("/sign-in").data)
    for _ in range(MAX_FAILED_SIGN_INS):
        assert (
            client.post(
                "/sign-in",
                data={"name": "nurse", "password": "wrong", "csrf_token": token},
                environ_base={"REMOTE_ADDR": "10.9.9.9"},
            ).status_code
            == 401
        )
    # even the right password is refused for that name from that address until the window has passed
    response = client.post(
        "/sign-in",
        data={"name": "nurse", "password": PASSWORD, "csrf_token": token},
        environ_base={"REMOTE_ADDR": "10.9.9.9"},
    )
    assert response.status_code == 401 and b"Too many failed attempts" in response.data
    # but a guesser elsewhere cannot lock the nurse out of her own computer
    assert (
        client.post(
            "/sign-in",
            data={"name": "nurse", "password": PASSWORD, "csrf_token": token},
            environ_base={"REMOTE_ADDR": "10.1.1.1"},
        ).status_code
        == 302
    )


def test_forms_without_a_csrf_token_are_rejected(app):
    client = app.test_client()
    assert client.post("/sign-in", data={"name": "nurse", "password": PASSWORD}).status_code == 400


def test_passwords_are_stored_only_as_argon2_hashes(filled):
    import sqlalchemy as sa

    with filled["store"].engine.connect() as connection:
        hashes = [row[0] for row in connection.execute(sa.text("select password_hash from spinebot_staff_users"))]
    assert hashes and all(h.startswith("$argon2") and PASSWORD not in h for h in hashes)
    with pytest.raises(AccountError):
        Accounts(filled["store"]).add_user("short", "staff", "too short")


def test_call_back_queue_shows_the_request_and_records_who_changed_it(app, filled):
    client = signed_in(app)
    page = client.get("/").data
    assert (
        b"Ann Stopes" in page
        and b'href="tel:+447912345678"' in page
        and b"oldest open request (new or contacted) has waited" in page
    )
    request = filled["store"].callbacks(sender_id=filled["senders"]["callback"])[0]
    response = client.post(f"/callbacks/{request.id}/status", data={"status": "contacted", "csrf_token": csrf(page)})
    assert response.status_code == 302
    assert (
        filled["store"].callbacks(sender_id=filled["senders"]["callback"])[0].status == CallbackStatus.CONTACTED.value
    )
    assert b"by nurse" in client.get("/").data


def test_conversation_filters_return_exactly_the_right_conversations(app, filled):
    client = signed_in(app)
    senders = filled["senders"]
    urgent = client.get("/conversations?flag=urgent").data.decode()
    assert senders["urgent"] in urgent and senders["question"] not in urgent and senders["callback"] not in urgent
    callbacks = client.get("/conversations?flag=callback").data.decode()
    assert senders["callback"] in callbacks and senders["urgent"] not in callbacks
    by_entry = client.get("/conversations?kb_id=idd_therapy").data.decode()
    assert senders["question"] in by_entry and senders["urgent"] not in by_entry
    by_text = client.get("/conversations?q=bladder").data.decode()
    assert senders["urgent"] in by_text and senders["question"] not in by_text


def test_transcript_shows_intent_safety_rule_and_review_is_stored(app, filled):
    client = signed_in(app)
    sender = filled["senders"]["urgent"]
    page = client.get(f"/conversations/{sender}").data.decode()
    assert "urgent_emergency" in page and "cauda_equina_bladder" in page and "999" in page
    client.post(f"/conversations/{sender}", data={"note": "called the patient", "csrf_token": csrf(page.encode())})
    page = client.get(f"/conversations/{sender}").data.decode()
    assert "Reviewed by nurse" in page and "called the patient" in page
    assert sender not in client.get("/conversations?flag=not_reviewed").data.decode()


def test_audit_log_records_views_and_changes_and_only_admins_read_it(app, filled):
    staff = signed_in(app)
    staff.get(f"/conversations/{filled['senders']['question']}")
    assert staff.get("/audit").status_code == 403
    admin = signed_in(app, "manager")
    log = admin.get("/audit").data.decode()
    assert f"conversation/{filled['senders']['question']}" in log and "nurse" in log and "sign_in" in log


def test_user_add_command_reads_the_password_from_stdin(filled, tmp_path):
    env = {"SPINEBOT_DATABASE_URL": filled["store"].url, "PATH": "/usr/bin:/bin"}
    name = f"receptionist-{uuid.uuid4().hex[:6]}"
    done = subprocess.run(
        [str(paths.PROJECT_ROOT / ".venv" / "bin" / "spinebot"), "user", "add", name, "--role", "staff"],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert Accounts(filled["store"]).sign_in(name, PASSWORD, "127.0.0.1") is not None


def test_console_in_a_browser_sign_in_mark_contacted_open_flagged_transcript(filled, artifacts_dir):
    """As a member of staff would: headless Chromium, screenshots, and axe-core on every page."""
    import json
    import threading
    from pathlib import Path

    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    from spinebot.local_servers import free_port
    from tests.test_widget_browser import CHROMIUM, CHROMIUM_ARGS

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make install` installs Debian's chromium (scripts/install-browser.sh)")
    app = create_app(filled["store"], {"SECRET_KEY": "browser-test"})
    try:
        Accounts(filled["store"]).add_user("browser-nurse", "staff", PASSWORD)
    except AccountError:
        pass
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base, axe = f"http://127.0.0.1:{port}", paths.PROJECT_ROOT / "widget" / "vendor" / "axe.min.js"
    serious = {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True).new_page()
            page.goto(base + "/")
            page.get_by_label("Name").fill("browser-nurse")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.get_by_role("heading", name="Call-back queue").wait_for()
            row = page.locator("tr", has_text="Ann Stopes").first
            row.get_by_label("Status").select_option("contacted")
            row.get_by_role("button", name="Save").click()
            page.get_by_text("by browser-nurse").first.wait_for()
            page.screenshot(path=str(artifacts_dir / "console-callbacks.png"), full_page=True)
            for name in ("callbacks", "conversations", "transcript", "unanswered", "insights"):
                if name in ("unanswered", "insights"):
                    page.goto(f"{base}/{name}")
                if name == "conversations":
                    page.goto(base + "/conversations?flag=urgent")
                if name == "transcript":
                    page.get_by_role("link", name=re.compile("bladder")).first.click()
                    page.get_by_text("cauda_equina_bladder").first.wait_for()
                page.screenshot(path=str(artifacts_dir / f"console-{name}.png"), full_page=True)
                page.add_script_tag(path=str(axe))
                results = page.evaluate(
                    "async () => await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']})"
                )
                serious[name] = [
                    (v["id"], v["help"]) for v in results["violations"] if v["impact"] in ("serious", "critical")
                ]
            browser.close()
    finally:
        server.shutdown()
    (artifacts_dir / "console-axe.json").write_text(json.dumps(serious, indent=2))
    assert not any(serious.values()), serious


def test_csv_exports_match_the_filter_are_audited_and_cannot_carry_formulas(app, filled):
    formula = f"formula-{uuid.uuid4().hex[:6]}"
    say(filled["bot"], formula, '=HYPERLINK("http://example.com","click") what is IDD')
    client = signed_in(app, "manager")
    urgent = client.get("/conversations.csv?flag=urgent").data.decode()
    assert filled["senders"]["urgent"] in urgent and filled["senders"]["question"] not in urgent
    everything = client.get("/conversations.csv").data.decode()
    assert "'=HYPERLINK" in everything and ",=HYPERLINK" not in everything
    queue = client.get("/callbacks.csv").data.decode()
    assert "Ann Stopes" in queue and "+447912345678" in queue
    log = client.get("/audit").data.decode()
    assert "export" in log and "callback_queue" in log


def test_erasure_deletes_one_conversation_and_nothing_else(app, filled):
    import sqlalchemy as sa

    sender = f"erase-{uuid.uuid4().hex[:6]}"
    say(filled["bot"], sender, "what is IDD therapy?")
    say(filled["bot"], sender, "that was helpful")
    store = filled["store"]

    def rows(table: str, who: str) -> int:
        with store.engine.connect() as connection:
            return connection.execute(
                sa.text(f"select count(*) from {table} where sender_id = :s"), {"s": who}
            ).scalar_one()

    assert rows("events", sender) > 0 and rows("spinebot_answer_feedback", sender) == 1
    before_others = rows("events", filled["senders"]["question"])
    staff = signed_in(app)
    page = staff.get(f"/conversations/{sender}").data
    assert b"Erasure request" not in page  # staff cannot erase; admins can
    admin = signed_in(app, "manager")
    token = csrf(admin.get(f"/conversations/{sender}").data)
    assert admin.post(f"/conversations/{sender}/erase", data={"csrf_token": token}).status_code == 400  # not confirmed
    assert (
        admin.post(f"/conversations/{sender}/erase", data={"csrf_token": token, "confirm": "erase"}).status_code == 200
    )
    assert rows("events", sender) == 0 and rows("spinebot_answer_feedback", sender) == 0
    assert rows("events", filled["senders"]["question"]) == before_others
    log = admin.get("/audit").data.decode()
    assert f"conversation/{sender}" in log and "erase" in log and "what is IDD therapy" not in log


def test_purge_deletes_only_what_is_older_than_the_retention_period(filled):
    import datetime as dt

    import sqlalchemy as sa

    from spinebot.console.retention import purge_older_than
    from spinebot.storage import CallbackDetails

    store = filled["store"]
    old_sender = f"old-{uuid.uuid4().hex[:6]}"
    say(filled["bot"], old_sender, "what is laser spine surgery?")
    old_request = store.add_callback(old_sender, CallbackDetails("Old Request", "+447912345679", "any time"))
    long_ago = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=400)
    with store.engine.begin() as connection:
        connection.execute(
            sa.text("update events set timestamp = :t where sender_id = :s"),
            {"t": long_ago.timestamp(), "s": old_sender},
        )
        connection.execute(
            sa.text("update spinebot_callback_requests set created_at = :t where id = :i"),
            {"t": long_ago, "i": old_request},
        )
    deleted = purge_older_than(store, 365, "test")
    assert deleted.counts["callback_requests"] == 1 and deleted.counts["events"] > 0
    with store.engine.connect() as connection:
        assert (
            connection.execute(
                sa.text("select count(*) from events where sender_id = :s"), {"s": old_sender}
            ).scalar_one()
            == 0
        )
        assert (
            connection.execute(
                sa.text("select count(*) from events where sender_id = :s"), {"s": filled["senders"]["urgent"]}
            ).scalar_one()
            > 0
        )
    assert [r.name for r in store.callbacks() if r.name == "Ann Stopes"]
    with pytest.raises(ValueError):
        purge_older_than(store, 0, "test")


def test_privacy_notice_states_the_retention_period_and_how_to_ask_for_erasure():
    from spinebot.clinic import default_clinic_settings

    notice = (paths.PROJECT_ROOT / "widget" / "demo" / "privacy.html").read_text()
    months = round(default_clinic_settings().retention_days / 30.4)
    assert f"after {months} months" in notice and "deleted" in notice and "phone the\n    clinic" in notice


def test_notification_emails_reach_the_clinic_with_a_link_and_no_personal_details(tmp_path_factory):
    """A real local SMTP server; the bot's own action server sends to it."""
    import time

    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    from spinebot.local_servers import free_port

    received = []

    class Collect(Message):
        def handle_message(self, message):  # type: ignore[no-untyped-def]
            received.append(message)

    controller = Controller(Collect(), hostname="127.0.0.1", port=free_port())
    controller.start()
    env = {
        "SPINEBOT_SMTP_HOST": "127.0.0.1",
        "SPINEBOT_SMTP_PORT": str(controller.port),
        "SPINEBOT_NOTIFY_TO": "reception@clinic.example",
        "SPINEBOT_CONSOLE_URL": "https://console.clinic.example",
    }
    try:
        with running_bot(tmp_path_factory.mktemp("mail"), env) as bot:
            for text in (
                "/request_callback",
                "Maria Lopez",
                "07912 345678",
                "mornings",
                "my sciatica",
                "/affirm",
                "/affirm",
            ):
                say(bot, "mail-callback", text)
            say(bot, "mail-urgent", "I've wet myself and can't feel it, my back is agony")
            deadline = time.monotonic() + 20
            while len(received) < 2 and time.monotonic() < deadline:
                time.sleep(0.2)
    finally:
        controller.stop()
    subjects = sorted(message["Subject"] for message in received)
    assert subjects == ["SpineBot gave urgent medical advice", "SpineBot: a new call-back request"]
    bodies = "\n".join(message.get_payload() for message in received)
    assert "https://console.clinic.example/conversations/mail-callback" in bodies
    assert "https://console.clinic.example/conversations/mail-urgent" in bodies
    for private in ("Maria", "07912", "sciatica", "wet myself", "agony"):
        assert private not in bodies


def test_unanswered_questions_are_grouped_and_export_as_nlu_examples(app, filled):
    import yaml

    for index, text in enumerate(
        (
            "how long is the waiting list?",
            "what's the waiting list like at the moment",
            "how do i make a victoria sponge",
        )
    ):
        say(filled["bot"], f"unanswered-{index}-{uuid.uuid4().hex[:4]}", text)
    from spinebot.console import insights
    from spinebot.console.conversations import ConversationReader

    client = signed_in(app)
    page = client.get("/unanswered").data.decode()
    assert "waiting list" in page and "victoria sponge" in page
    groups = insights.group_similar(insights.unanswered_messages(ConversationReader(filled["store"]).find()))
    index = next(i for i, group in enumerate(groups) if any("waiting list" in m for m in group.messages))
    waiting = groups[index].messages
    assert sum("waiting list" in m for m in waiting) >= 2 and not any("sponge" in m for m in waiting)
    export = client.post(
        "/unanswered/export", data={"group": str(index), "intent": "not_covered", "csrf_token": csrf(page.encode())}
    )
    data = yaml.safe_load(export.data)
    assert data["nlu"][0]["intent"] == "not_covered" and "waiting list" in data["nlu"][0]["examples"]
    assert (
        client.post(
            "/unanswered/export", data={"group": "0", "intent": "nonsense", "csrf_token": csrf(page.encode())}
        ).status_code
        == 400
    )


def test_insights_show_the_figures_staff_watch(app, filled):
    page = signed_in(app).get("/insights").data.decode()
    assert "Conversations per day" in page and "<svg" in page and "Answered from the knowledge base" in page
    assert re.search(r"Conversations with urgent advice</dt><dd>[1-9]", page)
    assert "Retention period</dt><dd>365 days" in page
    assert "idd_therapy" in page


def test_reading_many_conversations_takes_a_few_queries_not_some_per_conversation(tmp_path):
    """The lists and the unanswered-questions page read every stored conversation: with 1,200 of
    them the reader must issue a handful of queries per 500 conversations, not four each."""
    import json
    import time

    import sqlalchemy as sa
    from rasa.shared.core.domain import Domain

    from spinebot.console.conversations import EVENTS, ConversationReader
    from spinebot.tracker_store import EnvSQLTrackerStore

    url = f"sqlite:///{tmp_path / 'many.db'}"
    EnvSQLTrackerStore(Domain.empty(), host=url)  # creates Rasa's events table
    store = Store(url)
    now = time.time()
    rows = []
    for number in range(1200):
        sender = f"patient-{number:04d}"
        user = {"event": "user", "text": f"question {number} about the waiting list", "parse_data": {}}
        bot = {"event": "bot", "text": "not covered", "data": {"custom": {"kb_id": None, "type": "not_covered"}}}
        for offset, (kind, data) in enumerate((("user", user), ("bot", bot))):
            rows.append(
                {"sender_id": sender, "type_name": kind, "timestamp": now - number + offset, "data": json.dumps(data)}
            )
    with store.engine.begin() as connection:
        connection.execute(sa.insert(EVENTS), rows)
    reader = ConversationReader(store)
    statements: list = []
    sa.event.listen(store.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    found = reader.find()
    statements = [sql for sql in statements if sql.lstrip().upper().startswith("SELECT")]
    assert len(found) == 1200 and found[0].sender_id == "patient-0000"
    assert found[0].turns[0].reply_types == ["not_covered"]
    assert len(statements) <= 4 + 4 * 3, len(statements)  # the sender list, then 4 per batch of 500


def test_grouping_matches_pairwise_cosine_similarity():
    """The vectorised grouping gives the groups the one-pair-at-a-time definition gives."""
    import numpy as np
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer

    from spinebot.console import insights

    texts = [
        "how long is the waiting list",
        "what's the waiting list like",
        "waiting list length?",
        "do you have parking",
        "is there parking near the clinic",
        "how do i make a victoria sponge",
        "victoria sponge recipe please",
        "can my dog come",
        "",
        "weather tomorrow",
    ] * 3
    messages = [(text, "not_covered") for text in texts]
    words = TfidfVectorizer(sublinear_tf=True, stop_words="english").fit(texts)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True).fit(texts)
    vectors = hstack([words.transform(texts), chars.transform(texts)]).tocsr().toarray()
    leaders: list = []
    expected: list = []
    for index, text in enumerate(texts):
        scores = [
            float(vectors[index] @ vectors[leader]) / (np.linalg.norm(vectors[index]) * np.linalg.norm(vectors[leader]))
            if np.linalg.norm(vectors[index]) and np.linalg.norm(vectors[leader])
            else 0.0
            for leader in leaders
        ]
        best = int(np.argmax(scores)) if scores else None
        if best is not None and scores[best] > 0 and scores[best] >= insights.SIMILAR_ENOUGH:
            expected[best].append(text)
        else:
            leaders.append(index)
            expected.append([text])
    got = [group.messages for group in insights.group_similar(messages)]
    assert sorted(got) == sorted(expected)
