"""Intents some components treat specially, listed once for the NLU guards and the answering logic."""

from __future__ import annotations

OUT_OF_SCOPE_INTENT = "out_of_scope"
PERSONAL_INTENT = "personal_advice"
CANCEL_INTENT = "cancel"

# Intents that carry no question about a subject: a foreign word in "thanks, bye" changes nothing.
CONVERSATION_INTENTS = frozenset({"greet", "goodbye", "thanks", "restart", OUT_OF_SCOPE_INTENT})

# Knowledge entries about the clinic or the patient's own care rather than a treatment: never offered
# as "you might also want to know" for a subject, and they stand whatever condition a message names.
SERVICE_ENTRIES = frozenset({"clinic_contact", "booking", "costs", PERSONAL_INTENT})

# Requests about the clinic or the patient's own care stand, whatever condition they name.
SERVICE_INTENTS = (
    CONVERSATION_INTENTS
    | SERVICE_ENTRIES
    | {
        "human_handoff",
        "opening_hours",
        "request_callback",
        "feedback_positive",
        "feedback_negative",
        CANCEL_INTENT,
        "affirm",
        "deny",
    }
)
