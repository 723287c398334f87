"""E-mail to the clinic when something needs a person: a new call-back request, or urgent or crisis
advice given. The message holds a link to the staff console and nothing about the patient's health
(nor their name or number): e-mail is not a safe place for it.

Settings come from the environment; with no SMTP host or recipient set, nothing is sent (the
console still shows everything). Sending happens in a background thread with a time-out, so a
slow or dead mail server never delays or breaks the patient's reply.
"""

from __future__ import annotations

import logging
import os
import smtplib
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Optional
from urllib.parse import quote

logger = logging.getLogger(__name__)
SMTP_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class MailSettings:
    host: str
    port: int
    sender: str
    recipient: str
    console_url: str
    user: str = ""
    password: str = ""
    starttls: bool = False

    @classmethod
    def from_environment(cls) -> Optional["MailSettings"]:
        host, recipient = os.environ.get("SPINEBOT_SMTP_HOST", ""), os.environ.get("SPINEBOT_NOTIFY_TO", "")
        if not host or not recipient:
            return None
        return cls(
            host=host,
            port=int(os.environ.get("SPINEBOT_SMTP_PORT", "25")),
            sender=os.environ.get("SPINEBOT_NOTIFY_FROM", "spinebot@localhost"),
            recipient=recipient,
            console_url=os.environ.get("SPINEBOT_CONSOLE_URL", "http://localhost:8081").rstrip("/"),
            user=os.environ.get("SPINEBOT_SMTP_USER", ""),
            password=os.environ.get("SPINEBOT_SMTP_PASSWORD", ""),
            starttls=os.environ.get("SPINEBOT_SMTP_STARTTLS") == "1",
        )


def _message(settings: MailSettings, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = settings.sender, settings.recipient, subject
    message.set_content(body)
    return message


def _send(settings: MailSettings, message: EmailMessage) -> None:
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
            if settings.starttls:
                smtp.starttls()
            if settings.user:
                smtp.login(settings.user, settings.password)
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException):
        logger.exception("could not send the notification e-mail (subject: %s)", message["Subject"])


def _notify(subject: str, body: str, settings: Optional[MailSettings]) -> Optional[threading.Thread]:
    if settings is None:
        return None
    thread = threading.Thread(target=_send, args=(settings, _message(settings, subject, body)), daemon=True)
    thread.start()
    return thread


def conversation_link(settings: MailSettings, sender_id: str) -> str:
    return f"{settings.console_url}/conversations/{quote(sender_id, safe='')}"


def notify_callback_request(sender_id: str, settings: Optional[MailSettings] = None) -> Optional[threading.Thread]:
    settings = settings or MailSettings.from_environment()
    if settings is None:
        return None
    return _notify(
        "SpineBot: a new call-back request",
        "A patient has asked to be called back. The request is waiting in the call-back queue:\n"
        f"{settings.console_url}/\n\nConversation: {conversation_link(settings, sender_id)}\n",
        settings,
    )


def notify_safety_reply(
    sender_id: str, crisis: bool, settings: Optional[MailSettings] = None
) -> Optional[threading.Thread]:
    settings = settings or MailSettings.from_environment()
    if settings is None:
        return None
    kind = "crisis support" if crisis else "urgent medical advice"
    return _notify(
        f"SpineBot gave {kind}",
        f"SpineBot has just given {kind} in a conversation. Please review it in the staff console:\n"
        f"{conversation_link(settings, sender_id)}\n",
        settings,
    )
