"""durable answers: where a delivery's answer goes after its acknowledgement, and whether it went

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 04:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inbound_receipts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("respond_to", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("answered_at", storage.types.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("inbound_receipts", schema=None) as batch_op:
        batch_op.drop_column("answered_at")
        batch_op.drop_column("respond_to")
