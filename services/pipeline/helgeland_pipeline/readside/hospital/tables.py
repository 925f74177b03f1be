"""The hospital read model's tables, named with its version so versions live side by side."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from helgeland_pipeline.readside.types import UtcDateTime

# Version 6: early contacts per candidate, and the rounds' coupled slots.
VERSION = 6
metadata = MetaData()

rounds = Table(
    f"hospital_v{VERSION}_rounds",
    metadata,
    Column("round_id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("status", String(20), nullable=False),
    Column("positions", JSON, nullable=False),
    Column("coupled_positions", Integer, nullable=False),
    Column("application_deadline", Date, nullable=False),
    Column("lis1_starts_on", Date),
    Column("opened_at", UtcDateTime(), nullable=False),
    Column("list_final_at", UtcDateTime()),
)

candidates = Table(
    f"hospital_v{VERSION}_candidates",
    metadata,
    Column("candidate_id", String(36), primary_key=True),
    Column("seq", BigInteger, nullable=False, unique=True),
    Column("name", String(200)),
    Column("email", String(320)),
    Column("phone", String(50)),
    Column("registered_at", UtcDateTime(), nullable=False),
    Column("round_id", String(36), index=True),
    Column("stage", String(20), nullable=False),
    Column("preference", String(20)),
    Column("local_connection", JSON, nullable=False),
    Column("has_local_connection", Boolean, nullable=False),
    Column("consent_to_share", Boolean, nullable=False),  # held now, not once given
    Column("consents", JSON, nullable=False),  # purpose -> {version, given_at}
    Column("contacts", Integer, nullable=False),
    Column("early_contacts", JSON, nullable=False),  # [{kind, municipality, occurred_at, ...}]
    Column("interviews", Integer, nullable=False),
    Column("interview_score", Integer),
    Column("offer_unit", String(40)),
    Column("offer_coupled", Boolean),
    Column("offer_answer_by", Date),
    Column("offer_state", String(20)),
    Column("withdrawn", Boolean, nullable=False),
    Column("consent_withdrawn", Boolean, nullable=False),
    Column("candidacy_id", String(36), index=True),
    Column("career_id", String(36), index=True),
    Column("lis3_municipality", String(4)),
    Column("lis3_accepted_at", UtcDateTime()),
    Column("last_event_at", UtcDateTime(), nullable=False),
)

coupled_slots = Table(
    f"hospital_v{VERSION}_coupled_slots",
    metadata,
    Column("round_id", String(36), primary_key=True),
    Column("slot", Integer, primary_key=True),
    Column("candidate_id", String(36), index=True),
    Column("lis1_state", String(20), nullable=False),  # free, offered, accepted
    Column("lis3_offers", Integer, nullable=False),
    Column("lis3_accepted_by", String(4)),
    Column("lis3_started_in", String(4)),
    Column("lis3_started_at", UtcDateTime()),
)

timeline = Table(
    f"hospital_v{VERSION}_timeline",
    metadata,
    Column("position", BigInteger, primary_key=True),
    Column("candidate_id", String(36), nullable=False),
    Column("event_type", String(60), nullable=False),
    Column("occurred_at", UtcDateTime(), nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Column("actor_person", String(200), nullable=False),
    Column("actor_organisation", String(200), nullable=False),
    Column("actor_role", String(40), nullable=False),
    Column("details", Text, nullable=False),
    Index(f"ix_hospital_v{VERSION}_timeline_candidate", "candidate_id", "position"),
)
