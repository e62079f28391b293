"""Initial schema, with the triggers that keep sealed rows as they were sealed.

Revision ID: 0001
Revises:
Create Date: 2026-11-21 08:48:25.179908
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


# Sealed rows never change: records of every chain, validated orders, and their lines and payments.
# The API refuses first; these triggers hold even for a client that bypasses it.
SEALED = "sealed rows cannot be changed: make a corrective order instead"

SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER sealed_records_no_update BEFORE UPDATE ON sealed_records
    BEGIN SELECT RAISE(ABORT, '{SEALED}'); END""",
    f"""CREATE TRIGGER sealed_records_no_delete BEFORE DELETE ON sealed_records
    BEGIN SELECT RAISE(ABORT, '{SEALED}'); END""",
    f"""CREATE TRIGGER orders_sealed_no_update BEFORE UPDATE ON orders
    WHEN OLD.status = 'validated' BEGIN SELECT RAISE(ABORT, '{SEALED}'); END""",
    f"""CREATE TRIGGER orders_sealed_no_delete BEFORE DELETE ON orders
    WHEN OLD.status = 'validated' BEGIN SELECT RAISE(ABORT, '{SEALED}'); END""",
]
for table in ("order_lines", "payments"):
    parent = "(SELECT status FROM orders WHERE id = {}.order_id) = 'validated'"
    SQLITE_TRIGGERS += [
        f"""CREATE TRIGGER {table}_sealed_no_insert BEFORE INSERT ON {table}
        WHEN {parent.format("NEW")} BEGIN SELECT RAISE(ABORT, '{SEALED}'); END""",
        f"""CREATE TRIGGER {table}_sealed_no_update BEFORE UPDATE ON {table}
        WHEN {parent.format("OLD")} OR {parent.format("NEW")}
        BEGIN SELECT RAISE(ABORT, '{SEALED}'); END""",
        f"""CREATE TRIGGER {table}_sealed_no_delete BEFORE DELETE ON {table}
        WHEN {parent.format("OLD")} BEGIN SELECT RAISE(ABORT, '{SEALED}'); END""",
    ]

# A trigger function cannot be called from another one, so each raises the error itself.
REJECT = f"RAISE EXCEPTION '{SEALED}' USING ERRCODE = 'integrity_constraint_violation'"
POSTGRESQL_TRIGGERS = [
    f"""CREATE FUNCTION till_reject_sealed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN {REJECT}; END $$""",
    f"""CREATE FUNCTION till_reject_sealed_order() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF OLD.status = 'validated' THEN {REJECT}; END IF;
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END $$""",
    f"""CREATE FUNCTION till_reject_sealed_child() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF (TG_OP <> 'INSERT' AND EXISTS (
                SELECT 1 FROM orders WHERE id = OLD.order_id AND status = 'validated'))
           OR (TG_OP <> 'DELETE' AND EXISTS (
                SELECT 1 FROM orders WHERE id = NEW.order_id AND status = 'validated'))
        THEN {REJECT}; END IF;
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END $$""",
    """CREATE TRIGGER sealed_records_frozen BEFORE UPDATE OR DELETE ON sealed_records
    FOR EACH ROW EXECUTE FUNCTION till_reject_sealed()""",
    """CREATE TRIGGER sealed_records_no_truncate BEFORE TRUNCATE ON sealed_records
    FOR EACH STATEMENT EXECUTE FUNCTION till_reject_sealed()""",
    """CREATE TRIGGER orders_sealed BEFORE UPDATE OR DELETE ON orders
    FOR EACH ROW EXECUTE FUNCTION till_reject_sealed_order()""",
    """CREATE TRIGGER order_lines_sealed BEFORE INSERT OR UPDATE OR DELETE ON order_lines
    FOR EACH ROW EXECUTE FUNCTION till_reject_sealed_child()""",
    """CREATE TRIGGER payments_sealed BEFORE INSERT OR UPDATE OR DELETE ON payments
    FOR EACH ROW EXECUTE FUNCTION till_reject_sealed_child()""",
]


def create_triggers() -> None:
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_TRIGGERS if dialect == "sqlite" else POSTGRESQL_TRIGGERS:
        op.execute(statement)


def upgrade() -> None:

    op.create_table(
        "idempotency_keys",
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scope", "key", name=op.f("pk_idempotency_keys")),
    )
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_idempotency_keys_created_at"), ["created_at"], unique=False
        )

    op.create_table(
        "shops",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("siret", sa.String(length=14), nullable=False),
        sa.Column("vat_number", sa.String(length=20), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("opening_hour", sa.Integer(), nullable=False),
        sa.Column("closure_obligation", sa.String(length=10), nullable=False),
        sa.Column("legal_footer", sa.Text(), nullable=True),
        sa.Column("public_prefix", sa.String(length=10), nullable=False),
        sa.Column("delivery_choice_required", sa.Boolean(), nullable=False),
        sa.Column("catalog_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shops")),
    )
    op.create_table(
        "articles",
        sa.Column("shop_id", sa.String(length=40), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("plu", sa.String(length=20), nullable=True),
        sa.Column("barcode", sa.String(length=32), nullable=True),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("department_id", sa.String(length=40), nullable=True),
        sa.Column("price", sa.Integer(), nullable=False),
        sa.Column("vat_eat_in", sa.String(length=8), nullable=False),
        sa.Column("vat_take_away", sa.String(length=8), nullable=True),
        sa.Column("sold_by_weight", sa.Boolean(), nullable=False),
        sa.Column("image", sa.String(length=300), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_articles_shop_id_shops")),
        sa.PrimaryKeyConstraint("shop_id", "id", name=op.f("pk_articles")),
    )
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.create_index("ix_articles_shop_barcode", ["shop_id", "barcode"], unique=False)
        batch_op.create_index("ix_articles_shop_plu", ["shop_id", "plu"], unique=False)

    op.create_table(
        "department_groups",
        sa.Column("shop_id", sa.String(length=40), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_department_groups_shop_id_shops")
        ),
        sa.PrimaryKeyConstraint("shop_id", "id", name=op.f("pk_department_groups")),
    )
    op.create_table(
        "departments",
        sa.Column("shop_id", sa.String(length=40), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("group_id", sa.String(length=40), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_departments_shop_id_shops")
        ),
        sa.PrimaryKeyConstraint("shop_id", "id", name=op.f("pk_departments")),
    )
    op.create_table(
        "devices",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("shop_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("enrolled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enrolled_by", sa.String(length=40), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_devices_shop_id_shops")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_devices")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_devices_token_hash")),
    )
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_devices_shop_id"), ["shop_id"], unique=False)

    op.create_table(
        "enrollment_codes",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("shop_id", sa.String(length=40), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_enrollment_codes_shop_id_shops")
        ),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_enrollment_codes")),
    )
    with op.batch_alter_table("enrollment_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_enrollment_codes_shop_id"), ["shop_id"], unique=False)

    op.create_table(
        "orders",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("shop_id", sa.String(length=40), nullable=False),
        sa.Column("register_id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("validated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("value_date", sa.Date(), nullable=True),
        sa.Column("delivery_method", sa.String(length=10), nullable=False),
        sa.Column("table_name", sa.String(length=20), nullable=True),
        sa.Column("covers", sa.Integer(), nullable=True),
        sa.Column("customer_account", sa.String(length=100), nullable=True),
        sa.Column("customer_id_document", sa.String(length=100), nullable=True),
        sa.Column("private_note", sa.Text(), nullable=False),
        sa.Column("public_note", sa.Text(), nullable=False),
        sa.Column("pager_number", sa.Integer(), nullable=True),
        sa.Column("discount_rate", sa.String(length=8), nullable=True),
        sa.Column("discount_amount", sa.Integer(), nullable=True),
        sa.Column("corrects_order_id", sa.String(length=32), nullable=True),
        sa.Column("draft_id", sa.String(length=36), nullable=True),
        sa.Column("draft_created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("internal_number", sa.Integer(), nullable=True),
        sa.Column("public_number", sa.String(length=30), nullable=True),
        sa.Column("seal", sa.String(length=64), nullable=True),
        sa.Column("final_price", sa.Integer(), nullable=True),
        sa.Column("total_vat", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["corrects_order_id"], ["orders.id"], name=op.f("fk_orders_corrects_order_id_orders")
        ),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_orders_shop_id_shops")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("shop_id", "draft_id", name=op.f("uq_orders_shop_id_draft_id")),
        sa.UniqueConstraint(
            "shop_id", "internal_number", name=op.f("uq_orders_shop_id_internal_number")
        ),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index("ix_orders_shop_status", ["shop_id", "status"], unique=False)

    op.create_table(
        "payment_modes",
        sa.Column("shop_id", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("gives_change", sa.Boolean(), nullable=False),
        sa.Column("opens_drawer", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_payment_modes_shop_id_shops")
        ),
        sa.PrimaryKeyConstraint("shop_id", "code", name=op.f("pk_payment_modes")),
    )
    op.create_table(
        "registers",
        sa.Column("shop_id", sa.String(length=40), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_registers_shop_id_shops")),
        sa.PrimaryKeyConstraint("shop_id", "id", name=op.f("pk_registers")),
    )
    op.create_table(
        "sealed_records",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("shop_id", sa.String(length=40), nullable=False),
        sa.Column("chain", sa.String(length=10), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("sealed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_sealed_records_shop_id_shops")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sealed_records")),
        sa.UniqueConstraint(
            "shop_id", "chain", "seq", name=op.f("uq_sealed_records_shop_id_chain_seq")
        ),
    )
    op.create_table(
        "shop_keys",
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("shop_id", sa.String(length=40), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("encrypted_seed", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_shop_keys_shop_id_shops")),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_shop_keys")),
    )
    with op.batch_alter_table("shop_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shop_keys_shop_id"), ["shop_id"], unique=False)

    op.create_table(
        "users",
        sa.Column("shop_id", sa.String(length=40), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=12), nullable=False),
        sa.Column("pin_hash", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_pins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_users_shop_id_shops")),
        sa.PrimaryKeyConstraint("shop_id", "id", name=op.f("pk_users")),
    )
    op.create_table(
        "order_lines",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("order_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.String(length=40), nullable=True),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("department_id", sa.String(length=40), nullable=True),
        sa.Column("quantity", sa.String(length=12), nullable=False),
        sa.Column("unit_price", sa.Integer(), nullable=False),
        sa.Column("vat_eat_in", sa.String(length=8), nullable=False),
        sa.Column("vat_take_away", sa.String(length=8), nullable=True),
        sa.Column("discount_rate", sa.String(length=8), nullable=True),
        sa.Column("discount_amount", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_lines_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_lines")),
    )
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_lines_order_id"), ["order_id"], unique=False)

    op.create_table(
        "payments",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("order_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=40), nullable=False),
        sa.Column("mode_label", sa.String(length=100), nullable=False),
        sa.Column("gives_change", sa.Boolean(), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("record_seq", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_payments_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payments_order_id"), ["order_id"], unique=False)

    op.create_table(
        "user_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("shop_id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("device_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_user_sessions_device_id_devices")
        ),
        sa.ForeignKeyConstraint(
            ["shop_id", "user_id"],
            ["users.shop_id", "users.id"],
            name=op.f("fk_user_sessions_shop_id_users"),
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_user_sessions")),
    )
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_sessions_shop_id"), ["shop_id"], unique=False)
    create_triggers()


def downgrade() -> None:

    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_sessions_shop_id"))

    op.drop_table("user_sessions")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payments_order_id"))

    op.drop_table("payments")
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_lines_order_id"))

    op.drop_table("order_lines")
    op.drop_table("users")
    with op.batch_alter_table("shop_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shop_keys_shop_id"))

    op.drop_table("shop_keys")
    op.drop_table("sealed_records")
    op.drop_table("registers")
    op.drop_table("payment_modes")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_shop_status")

    op.drop_table("orders")
    with op.batch_alter_table("enrollment_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enrollment_codes_shop_id"))

    op.drop_table("enrollment_codes")
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_devices_shop_id"))

    op.drop_table("devices")
    op.drop_table("departments")
    op.drop_table("department_groups")
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_index("ix_articles_shop_plu")
        batch_op.drop_index("ix_articles_shop_barcode")

    op.drop_table("articles")
    op.drop_table("shops")
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotency_keys_created_at"))

    op.drop_table("idempotency_keys")
