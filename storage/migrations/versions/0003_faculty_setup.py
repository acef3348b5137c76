"""faculty set-up: provider email domains, target baselines

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "email_domains",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_email_domains_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_domains")),
        sa.UniqueConstraint("domain", name=op.f("uq_email_domains_domain")),
    )
    op.create_index(
        op.f("ix_email_domains_organisation_id"),
        "email_domains",
        ["organisation_id"],
        unique=False,
    )
    with op.batch_alter_table("targets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("baseline", sa.Integer(), nullable=True))
        batch_op.create_check_constraint("extra_placements", "extra_placements >= 0")
        batch_op.create_check_constraint("baseline", "baseline IS NULL OR baseline >= 0")


def downgrade() -> None:
    with op.batch_alter_table("targets", schema=None) as batch_op:
        batch_op.drop_constraint("baseline", type_="check")
        batch_op.drop_constraint("extra_placements", type_="check")
        batch_op.drop_column("baseline")
    op.drop_index(op.f("ix_email_domains_organisation_id"), table_name="email_domains")
    op.drop_table("email_domains")
