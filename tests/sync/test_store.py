"""The local store: drafts with everything they hold and their provisional totals from the fiscal
core, WAL with synchronous=FULL in the user data folder, a committed draft surviving kill -9, and a
corrupt, foreign or unreadable file kept aside untouched with a clear error."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from platformdirs import user_data_path

from sync.drafts import MAX_LINES, Draft, DraftLine, DraftStore
from sync.errors import InvalidDraft, StoreFailed, StoreUnreadable
from sync.store import FILE_NAME, SCHEMA_VERSION, LocalStore, default_path
from till.order import DeliveryMethod, Discount, Order, OrderLine, VatRates

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
CROISSANT = {
    "id": "croissant",
    "label": "Croissant",
    "price": "1.20",
    "vat_eat_in": "10.00",
    "vat_take_away": "5.50",
    "department_id": "viennoiserie",
}


def a_draft() -> Draft:
    return Draft(
        created_at=NOW,
        updated_at=NOW,
        register_id="R1",
        user_id="u-karim",
        delivery_method=DeliveryMethod.TAKE_AWAY,
        table="T3",
        covers=2,
        customer_account="C-42",
        public_note="Sans gluten si possible",
        private_note="Client habitué",
        order_discount=Discount.rate("10"),
        lines=(
            DraftLine.from_article(CROISSANT, "3", Discount.amount(20)),
            DraftLine(label="Gâteau du jour", unit_price=2450, vat_rate=Decimal("5.5")),
            DraftLine(
                label="Pain de campagne",
                unit_price=680,
                vat_rate=Decimal("10"),
                vat_take_away=Decimal("5.5"),
                quantity=Decimal("0.350"),
            ),
        ),
    )


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    return LocalStore.open(tmp_path / FILE_NAME)


def test_a_draft_is_kept_whole(store: LocalStore) -> None:
    drafts = DraftStore(store)
    draft = a_draft()
    drafts.save(draft)
    assert drafts.get(draft.id) == draft
    assert drafts.all() == [draft]
    assert drafts.count() == 1


def test_provisional_totals_come_from_the_fiscal_core(store: LocalStore) -> None:
    draft = a_draft()
    expected = Order(
        delivery_method=DeliveryMethod.TAKE_AWAY,
        order_discount=Discount.rate("10"),
        lines=tuple(
            OrderLine(
                id=line.id,
                label=line.label,
                quantity=line.quantity,
                unit_price=line.unit_price,
                vat=VatRates(line.vat_rate, line.vat_take_away),
                discount=line.discount,
            )
            for line in draft.lines
        ),
    ).totals
    assert draft.totals == expected
    # 3 x 1.20 - 0.20, 24.50, 0.35 kg x 6.80 = 2.38; then 10 % off the 30.28: 27.25.
    assert draft.totals.final_price == 2725
    assert [row.rate for row in draft.totals.vat] == [Decimal("5.50")]  # take-away rates
    DraftStore(store).save(draft)
    with store.reading() as db:
        row = db.execute("SELECT final_price, total_vat, article_count FROM drafts").fetchone()
    assert row == (2725, draft.totals.total_vat, draft.totals.article_count)


def test_a_draft_is_an_order_of_the_fiscal_core_with_all_its_fields() -> None:
    draft = a_draft()
    order = draft.order()
    assert (order.id, order.created_at, order.register_id, order.user_id) == (
        draft.id,
        NOW,
        "R1",
        "u-karim",
    )
    assert (order.delivery_method, order.table, order.covers, order.customer_account) == (
        DeliveryMethod.TAKE_AWAY,
        "T3",
        2,
        "C-42",
    )
    assert (order.public_note, order.private_note, order.order_discount) == (
        "Sans gluten si possible",
        "Client habitué",
        Discount.rate("10"),
    )
    assert order.lines == tuple(line.order_line() for line in draft.lines)
    assert order.totals == draft.totals


def test_what_the_fiscal_core_refuses_is_never_a_draft(store: LocalStore) -> None:
    draft = a_draft()
    with pytest.raises(InvalidDraft) as refused:
        draft.with_line(DraftLine(label="Remise", unit_price=100, vat_rate=Decimal("10"))).changed(
            order_discount=Discount.amount(10_000)
        )
    assert "discount" in refused.value.message
    with pytest.raises(InvalidDraft):
        draft.changed(covers=-1)
    with pytest.raises(InvalidDraft):
        draft.changed(table="x" * 21)
    too_many = tuple(
        DraftLine(label=f"Article {n}", unit_price=100, vat_rate=Decimal("10"))
        for n in range(MAX_LINES + 1)
    )
    with pytest.raises(InvalidDraft):
        draft.changed(lines=too_many)


def test_changes_and_import_form(store: LocalStore) -> None:
    drafts = DraftStore(store)
    draft = a_draft()
    first = draft.lines[0]
    changed = draft.with_line(
        DraftLine(
            id=first.id,
            article_id="croissant",
            label="Croissant",
            unit_price=120,
            vat_rate=Decimal("10"),
            vat_take_away=Decimal("5.5"),
            quantity=Decimal(5),
        )
    ).without_line(draft.lines[1].id)
    drafts.save(changed)
    assert drafts.get(draft.id) == changed
    assert [line.quantity for line in changed.lines] == [Decimal("5.000"), Decimal("0.350")]
    body = changed.to_import()
    assert body["id"] == draft.id and body["created_at"] == "2026-03-02T09:30:00.000000Z"
    assert body["delivery_method"] == "take_away" and body["order_discount"] == {"rate": "10.00"}
    assert body["lines"][0] == {
        "id": first.id,
        "article_id": "croissant",
        "label": "Croissant",
        "quantity": "5.000",
        "unit_price": "1.20",
        "vat_rate": "10.00",
        "vat_take_away": "5.50",
        "department_id": None,
        "discount": None,
    }


def test_wal_synchronous_full_in_the_user_data_folder(store: LocalStore) -> None:
    with store.reading() as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert default_path() == user_data_path("till", appauthor=False) / FILE_NAME


def test_a_committed_draft_survives_kill_9(tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from sync.drafts import DraftStore\n"
        "from sync.store import LocalStore\n"
        "from tests.sync.test_store import a_draft\n"
        "draft = a_draft()\n"
        "DraftStore(LocalStore.open(Path(sys.argv[1]))).save(draft)\n"
        "print(draft.id, flush=True)\n"
        "time.sleep(60)\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script, str(path)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    draft_id = child.stdout.readline().strip()
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    reopened = DraftStore(LocalStore.open(path))
    kept = reopened.get(draft_id)
    assert kept is not None
    assert [line.label for line in kept.lines] == [line.label for line in a_draft().lines]


def keeps_aside(path: Path, contents: bytes) -> Path:
    """Open the store at `path` holding `contents`: a clear error, the bytes kept as they were
    under another name, and a new empty store at the next opening."""
    with pytest.raises(StoreUnreadable) as refused:
        LocalStore.open(path)
    error = refused.value
    assert error.kept_as is not None
    kept = Path(error.kept_as)
    assert kept.read_bytes() == contents
    assert str(kept) in error.message and "could not be read" in error.message
    assert not path.exists()
    fresh = LocalStore.open(path)
    assert DraftStore(fresh).count(None) == 0
    fresh.close()
    return kept


def test_garbage_is_kept_aside(tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    contents = b"this is not a database " * 200
    path.write_bytes(contents)
    keeps_aside(path, contents)


def test_a_damaged_store_is_kept_aside_with_its_wal(tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    store = LocalStore.open(path)
    drafts = DraftStore(store)
    for _ in range(200):
        drafts.save(a_draft())
    with store.reading() as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    damaged = bytearray(path.read_bytes())
    damaged[4096 * 2 : 4096 * 2 + 512] = b"\xff" * 512
    path.write_bytes(bytes(damaged))
    Path(f"{path}-wal").write_bytes(b"")
    kept = keeps_aside(path, bytes(damaged))
    assert Path(f"{kept}-wal").exists()


def test_a_truncated_store_is_kept_aside(tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    store = LocalStore.open(path)
    for _ in range(100):
        DraftStore(store).save(a_draft())
    with store.reading() as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    contents = path.read_bytes()[: len(path.read_bytes()) // 2]
    path.write_bytes(contents)
    keeps_aside(path, contents)


def test_another_programs_database_is_kept_aside(tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    other = sqlite3.connect(path)
    other.execute("CREATE TABLE notes (text)")
    other.commit()
    other.close()
    contents = path.read_bytes()
    with pytest.raises(StoreUnreadable) as refused:
        LocalStore.open(path)
    assert "not a till's draft store" in refused.value.message
    assert refused.value.kept_as is not None
    assert Path(refused.value.kept_as).read_bytes() == contents


def test_a_store_from_a_newer_version_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    LocalStore.open(path).close()
    raw = sqlite3.connect(path)
    raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    raw.commit()
    raw.close()
    contents = path.read_bytes()
    with pytest.raises(StoreFailed) as refused:
        LocalStore.open(path)
    assert "newer version" in refused.value.message
    assert path.read_bytes() == contents


def test_something_else_at_its_place_is_not_touched(tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    path.mkdir()
    with pytest.raises(StoreUnreadable) as refused:
        LocalStore.open(path)
    assert refused.value.kept_as is None and "not a file" in refused.value.message
    assert path.is_dir()


def test_facts_and_outbox(store: LocalStore) -> None:
    store.set("shop", {"id": "FR-1"})
    assert store.get("shop") == {"id": "FR-1"}
    with store.transaction() as db:
        store.enqueue(db, "k1", "offline_period", {"drafts": 2}, "2026-03-02T09:00:00.000000Z")
        store.enqueue(db, "k2", "offline_period", {"drafts": 0}, "2026-03-02T10:00:00.000000Z")
    assert store.outbox("offline_period") == [("k1", {"drafts": 2}), ("k2", {"drafts": 0})]
    store.not_sent("k1", "not_found: not yet")
    store.sent("k2")
    assert store.outbox("offline_period") == [("k1", {"drafts": 2})]
    store.set("shop", None)
    assert store.get("shop") is None
