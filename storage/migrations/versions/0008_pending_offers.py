"""pending offers: a one-line offer read with a guess waits for its poster's Post

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pending_offers",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("line", sa.Text(), nullable=False),
        sa.Column("draft", sa.JSON(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("posted_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("offer_ref", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_pending_offers_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_offers")),
    )
    with op.batch_alter_table("pending_offers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pending_offers_person_id"), ["person_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("pending_offers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pending_offers_person_id"))
    op.drop_table("pending_offers")
