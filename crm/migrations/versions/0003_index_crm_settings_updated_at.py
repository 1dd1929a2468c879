"""Index crm_settings.updated_at, the ETL's watermark, like every other table's.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f("ix_crm_settings_updated_at"), "crm_settings", ["updated_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_crm_settings_updated_at"), table_name="crm_settings")
