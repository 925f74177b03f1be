"""The forum read model's tables, named with its version so versions live side by side."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    Integer,
    MetaData,
    String,
    Table,
)

from helgeland_pipeline.readside.types import UtcDateTime

# Version 4: early contacts (students who consent, placement capacity) and coupled slots.
# Version 5: each municipality's GP post reports (the forum's problem).
VERSION = 5
metadata = MetaData()

people = Table(
    f"forum_v{VERSION}_people",
    metadata,
    Column("candidate_id", String(36), primary_key=True),
    Column("name", String(200)),
    Column("email", String(320)),
    Column("phone", String(50)),
    Column("preference", String(20)),
    Column("local_connection", JSON, nullable=False),
    Column("lis1_unit", String(40)),
    Column("coupled_slot", Integer),  # the round's coupled slot the accepted LIS1 holds
    Column("consent_to_share", Boolean, nullable=False),  # consents now to the forum
)

# Students met early: their contacts always; their contact details only while they consent.
students = Table(
    f"forum_v{VERSION}_students",
    metadata,
    Column("candidate_id", String(36), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("contacts", JSON, nullable=False),  # [{kind, municipality, occurred_at, recorded_by}]
    Column("applied", Boolean, nullable=False),
    Column("name", String(200)),
    Column("email", String(320)),
    Column("phone", String(50)),
)

placements = Table(
    f"forum_v{VERSION}_placements",
    metadata,
    Column("municipality", String(4), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("students", Integer, nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Column("recorded_by", String(200), nullable=False),
)

rounds = Table(
    f"forum_v{VERSION}_rounds",
    metadata,
    Column("round_id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("list_sent_at", UtcDateTime()),
)

shared = Table(
    f"forum_v{VERSION}_candidates",
    metadata,
    Column("candidacy_id", String(36), primary_key=True),
    Column("candidate_id", String(36), nullable=False, unique=True),
    Column("seq", BigInteger, nullable=False),
    Column("round_id", String(36), nullable=False, index=True),
    Column("shared_at", UtcDateTime(), nullable=False),
    Column("lis1_ends_on", Date),
    Column("consent_withdrawn", Boolean, nullable=False),
    Column("recruited_by", String(4)),
    Column("recruited_at", UtcDateTime()),
)

invitations = Table(
    f"forum_v{VERSION}_invitations",
    metadata,
    Column("invitation_id", String(36), primary_key=True),
    Column("candidacy_id", String(36), nullable=False, index=True),
    Column("municipality", String(4), nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("proposed_times", JSON, nullable=False),
    Column("state", String(20), nullable=False),
    Column("new_time", UtcDateTime()),
    Column("sent_at", UtcDateTime(), nullable=False),
    Column("answered_at", UtcDateTime()),
    Column("held_at", UtcDateTime()),
)

offers = Table(
    f"forum_v{VERSION}_offers",
    metadata,
    Column("offer_id", String(36), primary_key=True),
    Column("candidacy_id", String(36), nullable=False, index=True),
    Column("municipality", String(4), nullable=False, index=True),
    Column("start_date", Date, nullable=False),
    Column("terms", JSON, nullable=False),
    Column("expires_on", Date, nullable=False),
    Column("state", String(20), nullable=False),
    Column("coupled_slot", Integer),
    Column("offered_at", UtcDateTime(), nullable=False),
    Column("closed_at", UtcDateTime()),
)

gp_posts = Table(
    f"forum_v{VERSION}_gp_posts",
    metadata,
    Column("position", BigInteger, primary_key=True),
    Column("municipality", String(4), nullable=False, index=True),
    Column("as_of", Date, nullable=False),
    Column("total", Integer, nullable=False),
    Column("vacant", Integer, nullable=False),
    Column("held_by_locums", Integer, nullable=False),
    Column("retirements_expected", Integer, nullable=False),
    Column("reported_by", String(200), nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Column("corrects_earlier", Boolean, nullable=False),
    Column("current", Boolean, nullable=False),
)
