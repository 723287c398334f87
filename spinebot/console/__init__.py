"""The staff console: the clinic's side of SpineBot (call-back queue, conversations, audit log).

A Flask application of its own (`python -m spinebot.console`, port 8081, loopback by default),
reading Rasa's tracker store and the project's tables through SQLAlchemy, on whatever database
`SPINEBOT_DATABASE_URL` names. Every page needs sign-in (Flask-Login), every form carries a CSRF
token (Flask-WTF), sessions expire, sign-in attempts are throttled, and every view, export and
change is written to the audit log.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import secrets
from functools import lru_cache
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import phonenumbers
from flask import Flask, Response, abort, redirect, render_template, request, url_for
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user, logout_user
from flask_wtf.csrf import CSRFProtect

from spinebot.clinic import default_clinic_settings
from spinebot.console import insights
from spinebot.console.accounts import Accounts, SignedInUser
from spinebot.console.callbacks import CallbackQueue, aware
from spinebot.console.conversations import FILTERS, Conversation, ConversationReader
from spinebot.console.retention import erase_conversation
from spinebot.storage import CallbackStatus, Store, default_store, utcnow

SESSION_MINUTES = int(os.environ.get("SPINEBOT_CONSOLE_SESSION_MINUTES", "30"))
PAGE_SIZE = 25


class ConsoleUser(UserMixin):
    """Flask-Login's view of a signed-in staff member."""

    def __init__(self, user: SignedInUser) -> None:
        self.user = user
        self.id = str(user.id)

    @property
    def name(self) -> str:
        return self.user.name

    @property
    def is_admin(self) -> bool:
        return self.user.is_admin


def _secret_key() -> str:
    """From the environment in production; a random one otherwise (sessions end on restart)."""
    return os.environ.get("SPINEBOT_CONSOLE_SECRET_KEY") or secrets.token_hex(32)


def create_app(store: Optional[Store] = None, config: Optional[Dict[str, Any]] = None) -> Flask:
    store = store or default_store()
    accounts, queue, reader = Accounts(store), CallbackQueue(store), ConversationReader(store)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=_secret_key(),
        PERMANENT_SESSION_LIFETIME=dt.timedelta(minutes=SESSION_MINUTES),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        # Secure cookies need HTTPS; set SPINEBOT_CONSOLE_SECURE_COOKIES=1 behind TLS (always in production).
        SESSION_COOKIE_SECURE=os.environ.get("SPINEBOT_CONSOLE_SECURE_COOKIES") == "1",
        REMEMBER_COOKIE_HTTPONLY=True,
    )
    app.config.update(config or {})
    CSRFProtect(app)
    clinic_zone = ZoneInfo(default_clinic_settings().timezone)

    @app.template_filter("local")
    def local_time(moment: dt.datetime, pattern: str = "%d %b %Y %H:%M") -> str:
        """Times as the clinic reads them (Europe/London, summer time included)."""
        return aware(moment).astimezone(clinic_zone).strftime(pattern)

    @app.template_filter("phone")
    def phone_display(e164: str) -> str:
        try:
            return phonenumbers.format_number(phonenumbers.parse(e164, None), phonenumbers.PhoneNumberFormat.NATIONAL)
        except phonenumbers.NumberParseException:
            return e164

    login = LoginManager(app)
    login.login_view = "sign_in"
    login.login_message = "Please sign in to see this page."

    @login.user_loader
    def load_user(user_id: str) -> Optional[ConsoleUser]:
        user = accounts.user(int(user_id)) if user_id.isdigit() else None
        return ConsoleUser(user) if user else None

    def audit(action: str, target: str = "", detail: str = "") -> None:
        accounts.audit(current_user.name, action, target, detail)

    @app.after_request
    def no_caching_of_patient_data(response):  # type: ignore[no-untyped-def]
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Content-Security-Policy"] = "default-src 'self'; style-src 'self' 'unsafe-inline'"
        return response

    @app.route("/sign-in", methods=["GET", "POST"])
    def sign_in():  # type: ignore[no-untyped-def]
        error = None
        if request.method == "POST":
            name, password = request.form.get("name", ""), request.form.get("password", "")
            address = request.remote_addr or "unknown"
            if accounts.throttled(name.strip(), address):
                error = "Too many failed attempts. Please wait 15 minutes and try again."
            else:
                user = accounts.sign_in(name, password, address)
                if user is not None:
                    login_user(ConsoleUser(user))
                    accounts.audit(user.name, "sign_in")
                    return redirect(url_for("callbacks"))
                error = "That name and password do not match."
        return render_template("sign_in.html", error=error), (401 if error else 200)

    @app.route("/sign-out", methods=["POST"])
    @login_required
    def sign_out():  # type: ignore[no-untyped-def]
        audit("sign_out")
        logout_user()
        return redirect(url_for("sign_in"))

    @app.route("/")
    @login_required
    def callbacks():  # type: ignore[no-untyped-def]
        audit("view", "callback_queue")
        return render_template(
            "callbacks.html",
            items=queue.items(),
            wait=queue.oldest_open_wait(),
            statuses=[status.value for status in CallbackStatus],
        )

    @app.route("/callbacks/<int:request_id>/status", methods=["POST"])
    @login_required
    def callback_status(request_id: int):  # type: ignore[no-untyped-def]
        try:
            status = CallbackStatus(request.form.get("status", ""))
            queue.set_status(request_id, status, current_user.name)
        except (ValueError, KeyError):
            abort(400)
        audit("change", f"callback/{request_id}", f"status={status.value}")
        return redirect(url_for("callbacks"))

    def filtered() -> Tuple[List[str], List[Conversation]]:
        """The conversations the list's filters (query string) ask for, newest first."""
        flags = [flag for flag in request.args.getlist("flag") if flag in FILTERS]
        since, until = _date(request.args.get("from")), _date(request.args.get("to"), end_of_day=True)
        return flags, reader.find(
            flags, request.args.get("q", "").strip(), request.args.get("kb_id", "").strip(), since, until
        )

    @app.route("/conversations")
    @login_required
    def conversations():  # type: ignore[no-untyped-def]
        flags, found = filtered()
        raw_page = request.args.get("page", "1")
        page = max(1, int(raw_page)) if raw_page.isdigit() else 1
        shown = found[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]

        def page_url(number: int) -> str:
            kept = [(key, value) for key, value in request.args.items(multi=True) if key != "page"]
            return "?" + urlencode(kept + [("page", str(number))])

        audit("view", "conversation_list", f"filters={','.join(flags)} results={len(found)}")
        return render_template(
            "conversations.html",
            conversations=shown,
            total=len(found),
            page=page,
            pages=max(1, -(-len(found) // PAGE_SIZE)),
            filters=FILTERS,
            chosen=flags,
            args=request.args,
            page_url=page_url,
        )

    @app.route("/conversations/<path:sender_id>", methods=["GET", "POST"])
    @login_required
    def transcript(sender_id: str):  # type: ignore[no-untyped-def]
        conversation = reader.conversation(sender_id)
        if conversation is None:
            abort(404)
        if request.method == "POST":
            reader.review(sender_id, current_user.name, request.form.get("note", ""))
            audit("change", f"conversation/{sender_id}", "marked reviewed")
            return redirect(url_for("transcript", sender_id=sender_id))
        audit("view", f"conversation/{sender_id}")
        return render_template("transcript.html", conversation=conversation)

    @app.route("/conversations/<path:sender_id>/erase", methods=["POST"])
    @login_required
    def erase(sender_id: str):  # type: ignore[no-untyped-def]
        """A patient's erasure request (admins): everything about the conversation, audited."""
        if not current_user.is_admin:
            abort(403)
        if request.form.get("confirm") != "erase":
            abort(400, "Tick the box to confirm the erasure.")
        erase_conversation(store, sender_id, current_user.name)
        return render_template("erased.html", sender_id=sender_id)

    @app.route("/conversations.csv")
    @login_required
    def conversations_csv():  # type: ignore[no-untyped-def]
        flags, found = filtered()
        rows = [["started", "conversation_id", "turns", "flags", "first_message"]]
        rows += [
            [
                c.started.isoformat() if c.started else "",
                c.sender_id,
                str(len(c.turns)),
                " ".join(c.flags),
                c.turns[0].text,
            ]
            for c in found
        ]
        audit("export", "conversation_list", f"filters={','.join(flags)} rows={len(found)}")
        return _csv_response(rows, "conversations.csv")

    @app.route("/callbacks.csv")
    @login_required
    def callbacks_csv():  # type: ignore[no-untyped-def]
        rows = [
            ["made", "name", "phone", "best_time", "topic", "status", "changed_by", "changed_at", "conversation_id"]
        ]
        for item in queue.items():
            r = item.request
            rows.append(
                [
                    aware(r.created_at).isoformat(),
                    r.name,
                    r.phone,
                    r.best_time,
                    r.topic or "",
                    r.status,
                    item.changed_by or "",
                    item.changed_at.isoformat() if item.changed_at else "",
                    r.sender_id,
                ]
            )
        audit("export", "callback_queue", f"rows={len(rows) - 1}")
        return _csv_response(rows, "callbacks.csv")

    @app.route("/unanswered")
    @login_required
    def unanswered():  # type: ignore[no-untyped-def]
        groups = insights.group_similar(insights.unanswered_messages(reader.find()))
        audit("view", "unanswered_questions", f"groups={len(groups)}")
        return render_template("unanswered.html", groups=groups, intents=_intents())

    @app.route("/unanswered/export", methods=["POST"])
    @login_required
    def unanswered_export():  # type: ignore[no-untyped-def]
        intent = request.form.get("intent", "")
        if intent not in _intents():
            abort(400, "Choose an intent of the assistant.")
        groups = insights.group_similar(insights.unanswered_messages(reader.find()))
        index = request.form.get("group", "")
        if not index.isdigit() or int(index) >= len(groups):
            abort(400, "That group no longer exists; please reload the page.")
        group = groups[int(index)]
        audit("export", "unanswered_questions", f"group of {len(group.messages)} as {intent}")
        return Response(
            insights.nlu_yaml(intent, group.messages),
            mimetype="text/yaml",
            headers={"Content-Disposition": f"attachment; filename=nlu-{intent}.yml"},
        )

    @app.route("/insights")
    @login_required
    def insights_page():  # type: ignore[no-untyped-def]
        found = reader.find()
        feedback = [(f.kb_id, f.helpful) for f in store.feedback()]
        numbers = insights.figures(found, feedback)
        today = utcnow().date()
        per_day = dict(numbers.per_day)
        days = [(day, per_day.get(day, 0)) for day in insights.last_days(30, today)]
        audit("view", "insights")
        return render_template(
            "insights.html",
            f=numbers,
            days=days,
            peak=max([n for _, n in days] + [1]),
            retention_days=default_clinic_settings().retention_days,
        )

    @app.route("/audit")
    @login_required
    def audit_log():  # type: ignore[no-untyped-def]
        if not current_user.is_admin:
            abort(403)
        audit("view", "audit_log")
        return render_template("audit.html", entries=accounts.audit_log())

    @app.errorhandler(400)
    @app.errorhandler(403)
    @app.errorhandler(404)
    def error_page(error):  # type: ignore[no-untyped-def]
        return render_template("error.html", code=error.code, message=error.description), error.code

    return app


@lru_cache(maxsize=1)
def _intents() -> List[str]:
    """Intents staff may export examples for: every intent the assistant is trained on (read once)."""
    import yaml

    from spinebot import paths

    domain = yaml.safe_load((paths.PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    safety = {"urgent_emergency", "urgent_same_day", "crisis_support", "crisis_emergency"}
    return [intent for intent in domain.get("intents", []) if isinstance(intent, str) and intent not in safety]


def _csv_response(rows: List[List[str]], filename: str) -> Response:
    """CSV safe to open in a spreadsheet: a cell starting with = + - @ is prefixed with ' so that
    a patient's message can never run as a formula on a staff computer."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(["'" + cell if cell[:1] in ("=", "+", "-", "@") else cell for cell in row])
    return Response(
        buffer.getvalue(), mimetype="text/csv", headers={"Content-Disposition": f"attachment; filename={filename}"}
    )


def _date(raw: Optional[str], end_of_day: bool = False) -> Optional[dt.datetime]:
    """A YYYY-MM-DD form field as a UTC moment; nothing for an empty or malformed value."""
    try:
        day = dt.date.fromisoformat((raw or "").strip())
    except ValueError:
        return None
    moment = dt.datetime.combine(day, dt.time.min, tzinfo=dt.timezone.utc)
    return moment + dt.timedelta(days=1) if end_of_day else moment
