"""entry ids unique per count; request ids remember what they were used for

count_entries' primary key becomes (inventory_count_id, entry_id): an entry id is the
scanner's, unique within a count, so the same id in another count is another entry (before, it
was answered as a duplicate of the first count's line, and nothing was stored). Every row
stored before has an id unique across all counts, so it is unique per count too.

idempotency_keys.fingerprint: a digest of what the request asked, so a request_id sent again
with other content is refused (REQUEST_ID_REUSED) instead of answered with the first result.
Keys stored before have none (NULL) and are answered as before.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLite cannot alter a primary key: batch mode copies the table (indexes included).
    with op.batch_alter_table("count_entries") as table:
        table.drop_constraint("pk_count_entries", type_="primary")
        table.create_primary_key("pk_count_entries", ["inventory_count_id", "entry_id"])
    with op.batch_alter_table("idempotency_keys") as table:
        table.add_column(sa.Column("fingerprint", sa.String(length=64), nullable=True))


def downgrade() -> None:
    # Fails while an entry id is stored in more than one count (the old key cannot hold them).
    with op.batch_alter_table("idempotency_keys") as table:
        table.drop_column("fingerprint")
    with op.batch_alter_table("count_entries") as table:
        table.drop_constraint("pk_count_entries", type_="primary")
        table.create_primary_key("pk_count_entries", ["entry_id"])
