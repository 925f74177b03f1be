"""The service's own tables: its position in the log, what it must remember, and deliveries.

Every delivery has an idempotency key derived from the event and the recipient. Deliveries are
written in the same transaction as the position, so a crash never loses or doubles one; sending
is retried with the same key (the webhook-id, the e-mail's Message-ID) until it succeeds.
"""

from __future__ import annotations

from helgeland_platform.columns import UtcDateTime
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

STATES = ("pending", "delivered", "dead", "cancelled")

metadata = MetaData()

tracking = Table(
    "notify_tracking",
    metadata,
    Column("name", String(50), primary_key=True),
    Column("position", BigInteger, nullable=False),
    # Events up to here only build state: a service started on an existing log stays quiet
    # about the past instead of mailing everyone about years of history.
    Column("quiet_until", BigInteger, nullable=False),
)

people = Table(
    "notify_people",
    metadata,
    Column("candidate_id", String(36), primary_key=True),
    Column("name", String(200)),
    Column("email", String(320)),
    Column("consent_withdrawn", Boolean, nullable=False, default=False),
)

rounds = Table(
    "notify_rounds",
    metadata,
    Column("round_id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
)

candidacies = Table(
    "notify_candidacies",
    metadata,
    Column("candidacy_id", String(36), primary_key=True),
    Column("candidate_id", String(36), nullable=False, index=True),
)

offers = Table(
    "notify_offers",
    metadata,
    Column("offer_id", String(36), primary_key=True),
    Column("candidacy_id", String(36), nullable=False),
    Column("municipality", String(4), nullable=False),
    Column("reminder_key", String(64)),  # its reminder's delivery, cancelled once answered
)

invitations = Table(
    "notify_invitations",
    metadata,
    Column("invitation_id", String(36), primary_key=True),
    Column("candidacy_id", String(36), nullable=False),
    Column("municipality", String(4), nullable=False),
    Column("kind", String(20), nullable=False),
)

careers = Table(
    "notify_careers",
    metadata,
    Column("career_id", String(36), primary_key=True),
    Column("candidate_id", String(36), nullable=False),
    Column("municipality", String(4)),
)

subscriptions = Table(
    "notify_subscriptions",
    metadata,
    Column("subscription_id", String(36), primary_key=True),
    Column("organisation", String(200), nullable=False),
    Column("role", String(40), nullable=False),
    Column("municipality", String(4)),
    Column("url", String(2000), nullable=False),
    Column("event_types", JSON, nullable=False),
    Column("secret", String(200), nullable=False),
    Column("active", Boolean, nullable=False),
)

deliveries = Table(
    "notify_deliveries",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("position", BigInteger, nullable=False, index=True),
    Column("channel", String(10), nullable=False),  # email or webhook
    Column("recipient", String(2000), nullable=False),
    Column("candidate_id", String(36), index=True),
    Column("audience", String(20), nullable=False),  # candidate, municipality, forum, hospital
    Column("subject", String(300)),
    Column("body_text", Text),
    Column("body_html", Text),
    Column("payload", JSON),
    Column("subscription_id", String(36)),
    Column("status", String(12), nullable=False, index=True),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime(), nullable=False, index=True),
    Column("last_error", Text),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("delivered_at", UtcDateTime()),
)
