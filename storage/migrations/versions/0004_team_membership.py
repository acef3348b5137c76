"""team membership: claims to speak for a team, and offers held until one is confirmed

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEFORE = ("offered", "requested", "confirmed", "completed", "withdrawn", "declined", "expired")
AFTER = (*BEFORE, "awaiting", "dropped")


def _statuses(names: tuple[str, ...]) -> str:
    return "status IN (" + ", ".join(f"'{name}'" for name in names) + ")"


def upgrade() -> None:
    op.create_table(
        "membership_claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("place_text", sa.String(length=300), nullable=False),
        sa.Column("offer_ref", sa.String(length=20), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("asked_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'confirmed', 'declined')",
            name=op.f("ck_membership_claims_status"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["people.id"], name=op.f("fk_membership_claims_decided_by_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_membership_claims_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_membership_claims_person_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_membership_claims_team_id_teams")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_membership_claims")),
    )
    op.create_index(
        "ix_membership_claims_person",
        "membership_claims",
        ["person_id", "organisation_id"],
        unique=False,
    )
    with op.batch_alter_table("placement_offers", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_placement_offers_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_placement_offers_status"), _statuses(AFTER))


def downgrade() -> None:
    with op.batch_alter_table("placement_offers", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_placement_offers_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_placement_offers_status"), _statuses(BEFORE))
    op.drop_index("ix_membership_claims_person", table_name="membership_claims")
    op.drop_table("membership_claims")
