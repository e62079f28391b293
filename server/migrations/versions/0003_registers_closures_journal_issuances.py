"""Register periods and cash movements, closures, the event journal's index, issuances; the
period of each validated order; triggers that keep what is closed, journaled or issued as it was.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 11:28:08.161089
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

KEPT = "closed, journaled and issued rows cannot be changed"
# Rows written once and never changed: each mirrors a sealed record.
FROZEN = ("events", "closures", "issuances", "cash_movements")

SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table}
    BEGIN SELECT RAISE(ABORT, '{KEPT}'); END"""
    for table in FROZEN
    for action in ("UPDATE", "DELETE")
] + [
    f"""CREATE TRIGGER register_periods_closed_no_update BEFORE UPDATE ON register_periods
    WHEN OLD.closed_at IS NOT NULL BEGIN SELECT RAISE(ABORT, '{KEPT}'); END""",
    f"""CREATE TRIGGER register_periods_no_delete BEFORE DELETE ON register_periods
    BEGIN SELECT RAISE(ABORT, '{KEPT}'); END""",
]

REJECT = f"RAISE EXCEPTION '{KEPT}' USING ERRCODE = 'integrity_constraint_violation'"
POSTGRESQL_TRIGGERS = [
    f"""CREATE FUNCTION till_reject_kept() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN {REJECT}; END $$""",
    f"""CREATE FUNCTION till_reject_closed_period() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' OR OLD.closed_at IS NOT NULL THEN {REJECT}; END IF;
        RETURN NEW;
    END $$""",
    """CREATE TRIGGER register_periods_kept BEFORE UPDATE OR DELETE ON register_periods
    FOR EACH ROW EXECUTE FUNCTION till_reject_closed_period()""",
    """CREATE TRIGGER register_periods_no_truncate BEFORE TRUNCATE ON register_periods
    FOR EACH STATEMENT EXECUTE FUNCTION till_reject_kept()""",
]
for _table in FROZEN:
    POSTGRESQL_TRIGGERS += [
        f"""CREATE TRIGGER {_table}_kept BEFORE UPDATE OR DELETE ON {_table}
        FOR EACH ROW EXECUTE FUNCTION till_reject_kept()""",
        f"""CREATE TRIGGER {_table}_no_truncate BEFORE TRUNCATE ON {_table}
        FOR EACH STATEMENT EXECUTE FUNCTION till_reject_kept()""",
    ]


def upgrade() -> None:
    op.create_table(
        "closures",
        sa.Column("shop_id", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("register_id", sa.String(length=40), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_total", sa.Integer(), nullable=False),
        sa.Column("grand_total", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_closures_shop_id_shops")),
        sa.PrimaryKeyConstraint("shop_id", "seq", name=op.f("pk_closures")),
        sa.UniqueConstraint(
            "shop_id", "kind", "period", name=op.f("uq_closures_shop_id_kind_period")
        ),
    )
    op.create_table(
        "events",
        sa.Column("shop_id", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=True),
        sa.Column("register_id", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_events_shop_id_shops")),
        sa.PrimaryKeyConstraint("shop_id", "seq", name=op.f("pk_events")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_shop_kind", ["shop_id", "kind"], unique=False)

    op.create_table(
        "register_periods",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("shop_id", sa.String(length=40), nullable=False),
        sa.Column("register_id", sa.String(length=40), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by", sa.String(length=40), nullable=False),
        sa.Column("float_at_opening", sa.Integer(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=40), nullable=True),
        sa.Column("float_left", sa.Integer(), nullable=True),
        sa.Column("closure_seq", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_register_periods_shop_id_shops")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_periods")),
    )
    with op.batch_alter_table("register_periods", schema=None) as batch_op:
        batch_op.create_index(
            "ix_register_periods_register", ["shop_id", "register_id", "opened_at"], unique=False
        )
        batch_op.create_index(
            "ux_register_periods_open",
            ["shop_id", "register_id"],
            unique=True,
            sqlite_where=sa.text("closed_at IS NULL"),
            postgresql_where=sa.text("closed_at IS NULL"),
        )

    op.create_table(
        "cash_movements",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("shop_id", sa.String(length=40), nullable=False),
        sa.Column("register_id", sa.String(length=40), nullable=False),
        sa.Column("period_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["period_id"],
            ["register_periods.id"],
            name=op.f("fk_cash_movements_period_id_register_periods"),
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_cash_movements_shop_id_shops")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cash_movements")),
    )
    with op.batch_alter_table("cash_movements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cash_movements_period_id"), ["period_id"], unique=False
        )

    op.create_table(
        "issuances",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("shop_id", sa.String(length=40), nullable=False),
        sa.Column("order_id", sa.String(length=32), nullable=False),
        sa.Column("document", sa.String(length=10), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("copy", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=200), nullable=True),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("device_id", sa.String(length=32), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_issuances_order_id_orders")
        ),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_issuances_shop_id_shops")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issuances")),
        sa.UniqueConstraint(
            "order_id", "document", "copy", name=op.f("uq_issuances_order_id_document_copy")
        ),
    )
    with op.batch_alter_table("issuances", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_issuances_order_id"), ["order_id"], unique=False)

    # Added in place (SQLite's ALTER TABLE ADD COLUMN): the orders table keeps its triggers.
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("period_id", sa.String(length=32), nullable=True))
        batch_op.create_index("ix_orders_period", ["period_id"], unique=False)
        batch_op.create_index("ix_orders_shop_value_date", ["shop_id", "value_date"], unique=False)

    dialect = op.get_bind().dialect.name
    for statement in SQLITE_TRIGGERS if dialect == "sqlite" else POSTGRESQL_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in (*FROZEN, "register_periods"):
            for name in ("no_update", "no_delete", "closed_no_update"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_{name}")
    else:
        for table in (*FROZEN, "register_periods"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_kept ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION IF EXISTS till_reject_kept()")
        op.execute("DROP FUNCTION IF EXISTS till_reject_closed_period()")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_shop_value_date")
        batch_op.drop_index("ix_orders_period")
        batch_op.drop_column("period_id")
    op.drop_table("issuances")
    op.drop_table("cash_movements")
    op.drop_table("register_periods")
    op.drop_table("events")
    op.drop_table("closures")
