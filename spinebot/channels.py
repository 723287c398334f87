"""The patient-facing input channels: Rasa's REST and socket.io channels with a gate in front.

Rasa hands whatever arrives to the model. On the public internet that means one 100 kB message of
nonsense holds up every other patient, a typed `/intent{...}` payload fills slots the bot never
asked for, and a hung action server leaves a patient with no reply at all. The gate decides, before
any NLU runs, whether a message is answered by the bot, answered politely by the gate, or refused
with a 4xx; and it makes sure every message gets some reply within a deadline. The safety check
(deterministic, no I/O) runs on everything the gate turns away, so an urgent message is never lost
to a limit.

Settings come from environment variables (see `GateSettings.from_env` and the README).
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import os
import re
import time
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Awaitable, Callable, Dict, FrozenSet, List, Mapping, Optional, Text, Tuple

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint, response
from sanic.request import Request

from spinebot import answering, handoff, rasa_tuning
from spinebot.clinic import ClinicSettings, default_clinic_settings
from spinebot.knowledge import KnowledgeBase, default_knowledge_base
from spinebot.parse_data import SafetyData
from spinebot.replies import Replies, default_replies

logger = logging.getLogger(__name__)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]
CLIENT_ADDRESS: contextvars.ContextVar[Optional[str]] = contextvars.ContextVar("spinebot_client_address", default=None)
# Control characters other than tab and newline (NUL included) carry no meaning for a patient's question.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{16,128}$")


@dataclass(frozen=True)
class Rate:
    """A token bucket: `burst` messages at once, refilled at `per_minute`."""

    burst: int
    per_minute: float

    @classmethod
    def parse(cls, text: str) -> Optional["Rate"]:
        """'8/30' is a burst of 8 and 30 a minute; 'off' turns the limit off."""
        if text.strip().lower() in ("off", "0", "none", ""):
            return None
        burst, _, per_minute = text.partition("/")
        rate = cls(int(burst), float(per_minute or burst))
        if rate.burst < 1 or rate.per_minute <= 0:
            raise ValueError(f"rate limit '{text}': expected BURST/PER_MINUTE with both above 0, or 'off'")
        return rate


@dataclass(frozen=True)
class GateSettings:
    max_message_chars: int = 2000
    max_body_bytes: int = 256 * 1024
    max_sender_chars: int = 128
    sender_rate: Optional[Rate] = Rate(8, 30)
    address_rate: Optional[Rate] = Rate(60, 240)
    reply_deadline: float = 4.5
    action_timeout: float = 4.0
    allowed_origins: Tuple[str, ...] = ("http://localhost:8080", "http://127.0.0.1:8080")

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> "GateSettings":
        default = cls()
        origins = env.get("SPINEBOT_CORS_ORIGINS")
        return cls(
            max_message_chars=int(env.get("SPINEBOT_MAX_MESSAGE_CHARS", default.max_message_chars)),
            max_body_bytes=int(env.get("SPINEBOT_MAX_BODY_BYTES", default.max_body_bytes)),
            sender_rate=Rate.parse(env["SPINEBOT_RATE_PER_SENDER"])
            if "SPINEBOT_RATE_PER_SENDER" in env
            else default.sender_rate,
            address_rate=Rate.parse(env["SPINEBOT_RATE_PER_ADDRESS"])
            if "SPINEBOT_RATE_PER_ADDRESS" in env
            else default.address_rate,
            reply_deadline=float(env.get("SPINEBOT_REPLY_DEADLINE", default.reply_deadline)),
            action_timeout=float(env.get("SPINEBOT_ACTION_TIMEOUT", default.action_timeout)),
            allowed_origins=tuple(origins.split()) if origins else default.allowed_origins,
        )

    def origin_allowed(self, origin: Optional[str]) -> bool:
        """A request without an Origin header is not from a browser page, so CORS does not apply."""
        return origin is None or "*" in self.allowed_origins or origin in self.allowed_origins


class RateLimiter:
    """Token buckets per key (sender id or address); the least recently seen keys are forgotten first."""

    def __init__(self, rate: Rate, max_keys: int = 50_000, clock: Callable[[], float] = time.monotonic) -> None:
        self._rate = rate
        self._max_keys = max_keys
        self._clock = clock
        self._buckets: "OrderedDict[str, Tuple[float, float]]" = OrderedDict()

    def allow(self, key: str) -> bool:
        now = self._clock()
        tokens, last = self._buckets.pop(key, (float(self._rate.burst), now))
        tokens = min(float(self._rate.burst), tokens + (now - last) * self._rate.per_minute / 60.0)
        allowed = tokens >= 1.0
        self._buckets[key] = (tokens - 1.0 if allowed else tokens, now)
        while len(self._buckets) > self._max_keys:
            self._buckets.popitem(last=False)
        return allowed


@dataclass(frozen=True)
class OfferedPayloads:
    """The `/intent` and `/intent{"entity": "value"}` messages the bot's own buttons can send.

    Bare intents: the knowledge base's buttons, the call-back and yes/no buttons, and the widget's
    own (greeting, "Talk to a person", "Was this helpful?"). With entities: only the values the
    bot offers (a call-back field to change, a knowledge entry to give feedback on).
    """

    bare: FrozenSet[str]
    with_entities: Mapping[str, Mapping[str, FrozenSet[str]]]

    def __contains__(self, payload: object) -> bool:
        if not isinstance(payload, str) or not payload.startswith("/"):
            return False
        intent, brace, entities = payload[1:].partition("{")
        if not brace:
            return intent in self.bare
        allowed = self.with_entities.get(intent)
        try:
            given = json.loads(brace + entities)
        except ValueError:
            return False
        return (
            allowed is not None
            and bool(allowed)
            and isinstance(given, dict)
            and bool(given)
            and all(key in allowed and isinstance(value, str) and value in allowed[key] for key, value in given.items())
        )


WIDGET_INTENTS = ("greet", "human_handoff", "feedback_positive", "feedback_negative")  # widget/src/spinebot-widget.js


def offered_payloads(knowledge: KnowledgeBase) -> OfferedPayloads:
    bare = {answering.entry_button(entry)["payload"][1:] for entry in knowledge.entries.values() if entry.intents}
    bare.update({answering.CALLBACK_BUTTON["payload"][1:], "affirm", "deny", *WIDGET_INTENTS})
    entry_ids = frozenset(knowledge.entries)
    return OfferedPayloads(
        frozenset(bare),
        {
            "change_field": {"field": frozenset(handoff.CALLBACK_FIELDS)},
            "feedback_positive": {"kb_id": entry_ids},
            "feedback_negative": {"kb_id": entry_ids},
        },
    )


def neutralise_payload(text: str, offered: OfferedPayloads) -> str:
    """A typed `/restart` or `/request_callback{"callback_phone": ...}` is read as words, not obeyed."""
    stripped = text.strip()
    if not stripped.startswith("/") or stripped in offered:
        return text
    return stripped.lstrip("/ ") or "?"


class RecordingOutput(OutputChannel):
    """Passes every reply on to the real channel and notes that one was sent."""

    def __init__(self, inner: OutputChannel) -> None:
        self.inner = inner
        self.sent = 0

    def name(self) -> Text:  # type: ignore[override]
        return self.inner.name()

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        self.sent += 1
        await self.inner.send_response(recipient_id, message)


class MessageGate:
    """What happens to a message between the network and the model (see the module docstring)."""

    def __init__(
        self,
        settings: GateSettings,
        knowledge: KnowledgeBase,
        clinic: ClinicSettings,
        replies: Replies,
        safety_check: Callable[[str], SafetyData],
    ) -> None:
        self.settings = settings
        self._knowledge = knowledge
        self._clinic = clinic
        self._replies = replies
        self._safety_check = safety_check
        self._offered = offered_payloads(knowledge)
        self._per_sender = RateLimiter(settings.sender_rate) if settings.sender_rate else None
        self._per_address = RateLimiter(settings.address_rate) if settings.address_rate else None
        self._background: set = set()

    def wrap(self, on_new_message: OnNewMessage) -> OnNewMessage:
        async def gated(message: UserMessage) -> None:
            await self.handle(message, on_new_message)

        return gated

    async def handle(self, message: UserMessage, on_new_message: OnNewMessage) -> None:
        text = message.text
        if not isinstance(text, str):
            await self._say(message, self.reply("unreadable"))
            return
        text = CONTROL_CHARACTERS.sub(" ", text)
        if len(text) > self.settings.max_message_chars:
            safety = self._safety_check(text[: self.settings.max_message_chars])
            await self._say_safety(message, safety)
            await self._say(message, self.reply("too_long"))
            return
        if not self._within_rate(message.sender_id, CLIENT_ADDRESS.get()):
            if not self._safety_check(text).get("levels"):  # an urgent message is never held back
                await self._say(message, self.reply("too_fast"))
                return
        message.text = neutralise_payload(text, self._offered)
        await self._answer_within_deadline(message, on_new_message)

    def _within_rate(self, sender_id: Optional[str], address: Optional[str]) -> bool:
        sender_ok = self._per_sender is None or self._per_sender.allow(f"s:{sender_id}")
        address_ok = self._per_address is None or address is None or self._per_address.allow(f"a:{address}")
        return sender_ok and address_ok

    async def _answer_within_deadline(self, message: UserMessage, on_new_message: OnNewMessage) -> None:
        """The bot's answer, or, if it fails or is late, an apology with the clinic's numbers.

        A late turn is not cancelled: it finishes in the background, so the conversation is stored
        complete and the bot is ready for the next message once the fault clears.
        """
        recorder = RecordingOutput(message.output_channel)
        message.output_channel = recorder
        turn = asyncio.ensure_future(on_new_message(message))
        self._background.add(turn)
        turn.add_done_callback(self._turn_finished)
        try:
            await asyncio.wait_for(asyncio.shield(turn), self.settings.reply_deadline)
        except asyncio.TimeoutError:
            logger.error(
                "no reply within %.1f s: sent the fault reply (the turn goes on in the background)",
                self.settings.reply_deadline,
            )
        except Exception as error:  # the turn failed: the patient still hears from us
            logger.error("a turn failed (%s): sent the fault reply", type(error).__name__)
        if recorder.sent == 0 or not turn.done() or turn.cancelled() or turn.exception() is not None:
            if recorder.sent == 0:
                await self._say_safety(message, self._safety_check(message.text or ""), recorder.inner)
            await self._say(message, self.reply("fault"), recorder.inner)

    def _turn_finished(self, turn: "asyncio.Future[Any]") -> None:
        self._background.discard(turn)
        if not turn.cancelled() and turn.exception() is not None:
            logger.error("a turn failed in the background (%s)", type(turn.exception()).__name__)

    def reply(self, key: str) -> str:
        """The gate's own wording (knowledge/conversation/replies.yml, `gate`), clinic facts filled in."""
        text = self._replies.gate[key].replace("{max_chars}", f"{self.settings.max_message_chars:,}")
        return answering.fill_clinic(text, self._clinic)

    async def _say(self, message: UserMessage, text: str, channel: Optional[OutputChannel] = None) -> None:
        await (channel or message.output_channel).send_text_message(message.sender_id, text)

    async def _say_safety(
        self, message: UserMessage, safety: SafetyData, channel: Optional[OutputChannel] = None
    ) -> None:
        """The full urgent or crisis reply, when the safety check fires on a message the bot won't see."""
        if not safety.get("levels"):
            return
        output = channel or message.output_channel
        for reply in answering.safety_messages(safety, self._knowledge, self._clinic, output.name()):
            await output.send_response(message.sender_id, reply)


def load_safety_check() -> Callable[[str], SafetyData]:
    """The deterministic safety check on the project's spaCy pipeline (no model, no I/O)."""
    import spacy

    from spinebot import paths
    from spinebot.safety import safety_detector_for

    detector = safety_detector_for(spacy.load(paths.SPACY_MODEL_DIR))
    return lambda text: detector.check(text).as_dict()


@lru_cache(maxsize=1)
def default_gate() -> MessageGate:
    """One gate per server process: the rate limits are shared by both channels."""
    settings = GateSettings.from_env()
    rasa_tuning.apply(settings.action_timeout)
    return MessageGate(
        settings, default_knowledge_base(), default_clinic_settings(), default_replies(), load_safety_check()
    )


def bad_request(problem: str, status: int = 400) -> response.HTTPResponse:
    return response.json({"error": problem}, status=status)


def check_rest_body(request: Request, settings: GateSettings) -> Optional[response.HTTPResponse]:
    """A 4xx for a request Rasa's REST channel would answer with a 500 or store as it came."""
    length = request.headers.get("content-length")
    if (length and length.isdigit() and int(length) > settings.max_body_bytes) or len(
        request.body or b""
    ) > settings.max_body_bytes:
        return bad_request(f"The request is larger than {settings.max_body_bytes} bytes.", 413)
    try:
        body = request.json
    except Exception:
        return bad_request('The request body must be JSON: {"sender": "...", "message": "..."}.')
    if not isinstance(body, dict):
        return bad_request("The request body must be a JSON object with `sender` and `message`.")
    sender = body.get("sender", "default")
    if not isinstance(sender, str) or not sender.strip() or len(sender) > settings.max_sender_chars:
        return bad_request(f"`sender` must be text of 1 to {settings.max_sender_chars} characters.")
    if "message" in body and not isinstance(body["message"], str):
        return bad_request("`message` must be text.")
    if "metadata" in body and not isinstance(body["metadata"], dict):
        return bad_request("`metadata` must be a JSON object.")
    return None


class GatedRestInput(RestInput):
    """Rasa's REST channel (same URL, same replies) behind the gate."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        gate = default_gate()
        blueprint = super().blueprint(gate.wrap(on_new_message))
        blueprint.listener("after_server_stop")(rasa_tuning.close_kept_sessions)
        blueprint.listener("after_server_start")(rasa_tuning.freeze_loaded_objects)

        @blueprint.middleware("request")
        async def check(request: Request) -> Optional[response.HTTPResponse]:
            CLIENT_ADDRESS.set(request.remote_addr or request.ip)
            if request.method == "POST":
                return check_rest_body(request, gate.settings)
            return None

        @blueprint.listener("before_server_start")
        async def limit_bodies(app: Any, _loop: Any) -> None:
            # Sanic's own limit (100 MB by default) refuses bigger bodies before they are read.
            app.config.REQUEST_MAX_SIZE = min(app.config.REQUEST_MAX_SIZE, gate.settings.max_body_bytes * 4)
            app.config.FALLBACK_ERROR_FORMAT = "json"  # Sanic's own 4xx pages as JSON, not HTML

        return blueprint


def _metadata(raw: Any) -> Dict[str, Any]:
    """Rasa parses socket.io metadata given as text and fails on anything that isn't a JSON object."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return {}
    return raw if isinstance(raw, dict) else {}


class GatedSocketIOInput(SocketIOInput):
    """Rasa's socket.io channel behind the gate, with the allowed origins enforced.

    Rasa 3.6 builds its socket.io server with an empty origin list, which turns the origin check
    off whatever `--cors` says; here a connection from a page not in SPINEBOT_CORS_ORIGINS is refused.
    """

    @classmethod
    def name(cls) -> Text:
        return "socketio"

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        gate = default_gate()
        blueprint = super().blueprint(gate.wrap(on_new_message))
        blueprint.listener("after_server_stop")(rasa_tuning.close_kept_sessions)
        blueprint.listener("after_server_start")(rasa_tuning.freeze_loaded_objects)
        sio = self.sio
        assert sio is not None
        sio.eio.max_http_buffer_size = gate.settings.max_body_bytes
        namespace = self.namespace or "/"
        handlers = sio.handlers[namespace]
        addresses: Dict[str, Optional[str]] = {}
        connect, session_request = handlers["connect"], handlers["session_request"]
        handle_message, disconnect = handlers[self.user_message_evt], handlers["disconnect"]

        async def checked_connect(sid: Text, environ: Dict, auth: Optional[Dict] = None) -> bool:
            if not gate.settings.origin_allowed(environ.get("HTTP_ORIGIN")):
                logger.warning("socket.io connection refused: origin not in SPINEBOT_CORS_ORIGINS")
                return False
            addresses[sid] = environ.get("REMOTE_ADDR") or (environ.get("asgi.scope") or {}).get("client", [None])[0]
            return await connect(sid, environ, auth)

        async def checked_session_request(sid: Text, data: Any) -> None:
            """A session id the client chose must look like one (random, long); otherwise the server picks one."""
            session_id = data.get("session_id") if isinstance(data, dict) else None
            clean = session_id if isinstance(session_id, str) and SESSION_ID.match(session_id) else None
            await session_request(sid, {"session_id": clean})

        async def checked_message(sid: Text, data: Any) -> None:
            if (
                not isinstance(data, dict)
                or not isinstance(data.get("session_id", ""), (str, type(None)))
                or len(str(data.get("session_id") or "")) > gate.settings.max_sender_chars
            ):
                await sio.emit("bot_uttered", {"text": gate.reply("unreadable")}, room=sid)
                return
            data = dict(data, metadata=_metadata(data.get("metadata")))
            CLIENT_ADDRESS.set(addresses.get(sid))
            await handle_message(sid, data)

        async def checked_disconnect(sid: Text) -> None:
            addresses.pop(sid, None)
            await disconnect(sid)

        handlers["connect"], handlers["session_request"] = checked_connect, checked_session_request
        handlers[self.user_message_evt], handlers["disconnect"] = checked_message, checked_disconnect
        return blueprint


__all__: List[str] = ["GatedRestInput", "GatedSocketIOInput", "GateSettings", "MessageGate", "RateLimiter", "Rate"]
