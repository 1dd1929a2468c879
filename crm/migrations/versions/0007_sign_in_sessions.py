"""sign_in_sessions: server-side sessions of signed-in browsers (only hashes of their secrets).

Revision ID: 0007
Revises: 0006
"""

from alembic import op
import sqlalchemy as sa
import crm.types


revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _choice(*values: str) -> sa.Enum:
    return sa.Enum(*values, native_enum=False, create_constraint=True, length=20)


def upgrade() -> None:
    op.create_table(
        "sign_in_sessions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("method", _choice("password", "sso"), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("handoff_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", crm.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", crm.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", crm.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", crm.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "end_reason",
            _choice("signed_out", "idle", "expired", "deactivated", "password_changed"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_sign_in_sessions_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_sign_in_sessions_token_hash")),
        sa.UniqueConstraint("handoff_hash", name=op.f("uq_sign_in_sessions_handoff_hash")),
    )
    op.create_index("ix_sign_in_sessions_staff_id", "sign_in_sessions", ["staff_id"])


def downgrade() -> None:
    op.drop_index("ix_sign_in_sessions_staff_id", table_name="sign_in_sessions")
    op.drop_table("sign_in_sessions")
