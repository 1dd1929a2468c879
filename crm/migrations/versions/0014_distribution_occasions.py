"""Lead distribution's optional runs (issue 25, item 4): a waiting lead keeps why the rules ran
for it when that was not its registration ("returned after 12 days away", "failed deposit
250.00 USD declined: insufficient funds"), so the assignment made when someone comes on shift
still says it.

The options themselves (on or off, N days away) are floor settings in ``crm_settings``, like
the calling hours: no table of their own.

Revision ID: 0014
Revises: 0013
"""

from alembic import op
import sqlalchemy as sa


revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("distribution_waiting", sa.Column("occasion", sa.String(200), nullable=True))


def downgrade() -> None:
    # In place on both databases (SQLite 3.35+): a batch copy would drop 0010's trigger.
    op.execute("ALTER TABLE distribution_waiting DROP COLUMN occasion")
