"""The evaluation read model's tables, named with its version so versions live side by side."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    Index,
    Integer,
    MetaData,
    String,
    Table,
)

from helgeland_pipeline.readside.types import UtcDateTime

# Version 3: rounds keep their application deadline and LIS1 start (the yearly cycle's year).
# Version 4: the hospital's interviews and dropouts before LIS3 are facts too.
# Version 5: each municipality's GP post reports, for the vacancy trend beside recruitment.
VERSION = 5
metadata = MetaData()

facts = Table(
    f"evaluation_v{VERSION}_facts",
    metadata,
    Column("position", BigInteger, primary_key=True),
    Column("candidate_id", String(36), nullable=False, index=True),
    Column("fact", String(30), nullable=False),
    Column("municipality", String(4)),
    Column("occurred_at", UtcDateTime(), nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Column("attrs", JSON, nullable=False),
    Index(f"ix_evaluation_v{VERSION}_facts_times", "occurred_at", "recorded_at"),
)

owners = Table(
    f"evaluation_v{VERSION}_owners",
    metadata,
    Column("aggregate_id", String(36), primary_key=True),
    Column("candidate_id", String(36), nullable=False),
)

rounds = Table(
    f"evaluation_v{VERSION}_rounds",
    metadata,
    Column("round_id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("application_deadline", Date, nullable=False),
    Column("lis1_starts_on", Date),
)

gp_posts = Table(
    f"evaluation_v{VERSION}_gp_posts",
    metadata,
    Column("position", BigInteger, primary_key=True),
    Column("municipality", String(4), nullable=False),
    Column("as_of", Date, nullable=False),
    Column("total", Integer, nullable=False),
    Column("vacant", Integer, nullable=False),
    Column("held_by_locums", Integer, nullable=False),
    Column("retirements_expected", Integer, nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Index(f"ix_evaluation_v{VERSION}_gp_posts_times", "as_of", "recorded_at"),
)
