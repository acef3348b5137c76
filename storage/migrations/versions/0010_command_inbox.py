"""the command inbox: commands acknowledged under load are kept here before their work runs

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 10:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbound_commands",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("edge", sa.String(length=16), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("received_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_commands")),
        sa.UniqueConstraint("key", name=op.f("uq_inbound_commands_key")),
    )
    with op.batch_alter_table("inbound_commands", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inbound_commands_claimed_until"), ["claimed_until"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("inbound_commands", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbound_commands_claimed_until"))
    op.drop_table("inbound_commands")
