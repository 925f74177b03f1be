"""The municipal read model's tables, named with its version so versions live side by side."""

from __future__ import annotations

from sqlalchemy import (
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

VERSION = 1
metadata = MetaData()

# A shared candidate's candidacy, to find the candidate when a LIS3 offer is accepted.
candidacies = Table(
    f"municipal_v{VERSION}_candidacies",
    metadata,
    Column("candidacy_id", String(36), primary_key=True),
    Column("candidate_id", String(36), nullable=False),
)

doctors = Table(
    f"municipal_v{VERSION}_doctors",
    metadata,
    Column("candidate_id", String(36), primary_key=True),
    Column("career_id", String(36), unique=True),
    Column("name", String(200)),  # the employer's to see; gone when the person is erased
    Column("lis1_unit", String(40)),
    Column("municipality", String(4)),  # where they work now
    Column("on_leave", Boolean, nullable=False),
    Column("left", Boolean, nullable=False),
)

# Each municipality a doctor belongs to, and how: recruited, employed, moved (on), left.
links = Table(
    f"municipal_v{VERSION}_links",
    metadata,
    Column("candidate_id", String(36), primary_key=True),
    Column("municipality", String(4), primary_key=True),
    Column("status", String(20), nullable=False),
    Column("since", UtcDateTime(), nullable=False),
    Column("moved_to", String(4)),
    Index(f"ix_municipal_v{VERSION}_links_municipality", "municipality"),
)

milestones = Table(
    f"municipal_v{VERSION}_milestones",
    metadata,
    Column("position", BigInteger, primary_key=True),
    Column("candidate_id", String(36), nullable=False),
    Column("number", Integer, nullable=False),  # the event's version in the career
    Column("kind", String(40), nullable=False),
    Column("happened_on", Date, nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Column("municipality", String(4)),  # whose milestone (None: the hospital's, LIS1)
    Column("also_municipality", String(4)),  # a move is the new municipality's too
    Column("value", Text),
    Column("recertification_due", Date),
    Column("corrected", Boolean, nullable=False),
    Column("original_happened_on", Date),
    Column("original_value", Text),
    Column("corrected_at", UtcDateTime()),
    Column("correction_reason", Text),
    Index(f"ix_municipal_v{VERSION}_milestones_doctor", "candidate_id", "number", unique=True),
)
