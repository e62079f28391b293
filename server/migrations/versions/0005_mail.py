"""Reports and documents by e-mail: the shop's mail settings, report schedules and outbox.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21 09:00:01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mail_settings",
        sa.Column("shop_id", sa.String(length=40), nullable=False),
        sa.Column("smtp_host", sa.String(length=255), nullable=True),
        sa.Column("smtp_port", sa.Integer(), nullable=True),
        sa.Column("smtp_tls", sa.String(length=10), nullable=True),
        sa.Column("smtp_user", sa.String(length=255), nullable=True),
        sa.Column("smtp_password", sa.Text(), nullable=True),
        sa.Column("sender", sa.String(length=255), nullable=True),
        sa.Column("z_copies", sa.Boolean(), nullable=False),
        sa.Column("z_format", sa.String(length=10), nullable=False),
        sa.Column("z_recipients", sa.Text(), nullable=False),
        sa.Column("reports_after_seq", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_mail_settings_shop_id_shops")
        ),
        sa.PrimaryKeyConstraint("shop_id", name=op.f("pk_mail_settings")),
    )
    op.create_table(
        "mail_schedules",
        sa.Column("shop_id", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("format", sa.String(length=10), nullable=False),
        sa.Column("recipients", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_mail_schedules_shop_id_shops")
        ),
        sa.PrimaryKeyConstraint("shop_id", "position", name=op.f("pk_mail_schedules")),
    )
    op.create_table(
        "mail_messages",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("shop_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("closure_seq", sa.Integer(), nullable=True),
        sa.Column("issuance_id", sa.String(length=32), nullable=True),
        sa.Column("format", sa.String(length=10), nullable=False),
        sa.Column("recipients", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claim", sa.String(length=32), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["issuance_id"], ["issuances.id"], name=op.f("fk_mail_messages_issuance_id_issuances")
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_mail_messages_shop_id_shops")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_messages")),
    )
    with op.batch_alter_table("mail_messages", schema=None) as batch_op:
        batch_op.create_index("ix_mail_messages_due", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_mail_messages_shop_id"), ["shop_id"], unique=False)


def downgrade() -> None:
    op.drop_table("mail_messages")
    op.drop_table("mail_schedules")
    op.drop_table("mail_settings")
