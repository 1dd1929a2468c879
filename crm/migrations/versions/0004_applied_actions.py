"""applied_actions: one row per action id, so that a repeated action writes once.

Revision ID: 0004
Revises: 0003
"""

from alembic import op
import sqlalchemy as sa
import crm.types


revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "applied_actions",
        sa.Column("action_id", sa.String(length=64), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("applied_at", crm.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("lead_count", sa.Integer(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["staff.id"], name=op.f("fk_applied_actions_actor_id_staff")
        ),
        sa.PrimaryKeyConstraint("action_id", name=op.f("pk_applied_actions")),
    )
    with op.batch_alter_table("applied_actions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_applied_actions_applied_at"), ["applied_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("applied_actions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_applied_actions_applied_at"))
    op.drop_table("applied_actions")
