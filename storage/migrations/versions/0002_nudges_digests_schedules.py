"""nudges, digests and schedules

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 04:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "digest_frequency", sa.String(length=8), nullable=False, server_default="weekly"
            )
        )
        batch_op.add_column(
            sa.Column("last_digest_at", storage.types.UTCDateTime(timezone=True), nullable=True)
        )

    op.create_table(
        "nudges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column("sent_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("settled_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('block', 'offer_start', 'training')", name=op.f("ck_nudges_kind")
        ),
        sa.CheckConstraint(
            "outcome IN ('open', 'acted', 'ignored', 'info')", name=op.f("ck_nudges_outcome")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_nudges_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nudges")),
        sa.UniqueConstraint("person_id", "sent_on", name=op.f("uq_nudges_person_id")),
    )
    op.create_index("ix_nudges_subject", "nudges", ["kind", "subject"], unique=False)

    op.create_table(
        "schedule_runs",
        sa.Column("job", sa.String(length=40), nullable=False),
        sa.Column("slot", sa.String(length=16), nullable=False),
        sa.Column("started_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("runner", sa.String(length=40), nullable=False, server_default=""),
        sa.Column("result", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("job", "slot", name=op.f("pk_schedule_runs")),
    )

    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("maybe_sent", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("expires_at", storage.types.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
        batch_op.drop_column("maybe_sent")
    op.drop_table("schedule_runs")
    op.drop_index("ix_nudges_subject", table_name="nudges")
    op.drop_table("nudges")
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("last_digest_at")
        batch_op.drop_column("digest_frequency")
