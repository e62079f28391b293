"""Tampering with the database behind the API's back, triggers bypassed: the chains tell on it.

Someone with the database's password can switch the triggers off. What they change must then be
named by `GET /verification/chains` (chain, seq and kind of the first defect) and refused by
`POST /verification/record`. Each scenario runs on both databases, in a shop of its own, on the
`order` and on the `payment` chain; three sales give each chain three records.
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import sqlalchemy.exc
from sqlalchemy import Connection, text

from server.db import Database
from server.deps import Services
from tests.server.helpers import Till

MIGRATION = (
    Path(__file__).resolve().parents[2]
    / "server"
    / "migrations"
    / "versions"
    / "0001_initial_schema.py"
)
COLUMNS = ("hash", "prev_hash", "key_id", "sealed_at", "body")


def _migration() -> ModuleType:
    spec = importlib.util.spec_from_file_location("till_migration_0001", MIGRATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The SQLite triggers that guard sealed_records, as the migration creates them.
RECORD_TRIGGERS = [
    statement
    for statement in _migration().SQLITE_TRIGGERS
    if re.search(r"\bON sealed_records\b", statement)
]
RECORD_TRIGGER_NAMES = [
    re.search(r"CREATE TRIGGER (\w+)", statement).group(1)  # type: ignore[union-attr]
    for statement in RECORD_TRIGGERS
]


@contextmanager
def triggers_off(database: Database) -> Iterator[Connection]:
    """One transaction on sealed_records with its triggers off, as an intruder would do it.

    The triggers come back in the same transaction, so no other connection ever sees them off;
    if the block fails, the rollback brings them back too (DDL is transactional on both).
    """
    assert RECORD_TRIGGER_NAMES, "the migration no longer guards sealed_records on SQLite"
    with database.write_engine.connect() as connection, connection.begin():
        if database.is_sqlite:
            for name in RECORD_TRIGGER_NAMES:
                connection.exec_driver_sql(f"DROP TRIGGER {name}")
            yield connection
            for statement in RECORD_TRIGGERS:
                connection.exec_driver_sql(statement)
        else:
            connection.exec_driver_sql("ALTER TABLE sealed_records DISABLE TRIGGER USER")
            yield connection
            connection.exec_driver_sql("ALTER TABLE sealed_records ENABLE TRIGGER USER")


WHERE = "WHERE shop_id = :shop AND chain = :chain AND seq = :seq"


def stored_record(database: Database, shop: str, chain: str, seq: int) -> dict[str, Any]:
    with database.read_engine.connect() as connection:
        body = connection.execute(
            text(f"SELECT body FROM sealed_records {WHERE}"),
            {"shop": shop, "chain": chain, "seq": seq},
        ).scalar_one()
    record: dict[str, Any] = json.loads(body)
    return record


def canonical(record: dict[str, Any]) -> str:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# ---------------------------------------------------------------------------- the tamperings

# The amount each chain's records carry, sealed as a decimal string.
AMOUNT = {"order": "final_price", "payment": "amount"}


def change_amount(database: Database, shop: str, chain: str) -> None:
    """Seq 2 says it was a sale of 0.01 €, the rest of the row left as it was."""
    record = stored_record(database, shop, chain, 2)
    assert record[AMOUNT[chain]] != "0.01"
    record[AMOUNT[chain]] = "0.01"
    with triggers_off(database) as connection:
        connection.execute(
            text(f"UPDATE sealed_records SET body = :body {WHERE}"),
            {"body": canonical(record), "shop": shop, "chain": chain, "seq": 2},
        )


def delete_middle(database: Database, shop: str, chain: str) -> None:
    _delete(database, shop, chain, 2)


def delete_last(database: Database, shop: str, chain: str) -> None:
    _delete(database, shop, chain, 3)


def _delete(database: Database, shop: str, chain: str, seq: int) -> None:
    with triggers_off(database) as connection:
        deleted = connection.execute(
            text(f"DELETE FROM sealed_records {WHERE}"),
            {"shop": shop, "chain": chain, "seq": seq},
        )
        assert deleted.rowcount == 1


def swap_first_two(database: Database, shop: str, chain: str) -> None:
    """Records 1 and 2 exchange places: each row keeps its seq and takes the other's record."""
    listed = ", ".join(COLUMNS)
    assigned = ", ".join(f"{column} = :{column}" for column in COLUMNS)
    with triggers_off(database) as connection:
        rows = {
            seq: connection.execute(
                text(f"SELECT {listed} FROM sealed_records {WHERE}"),
                {"shop": shop, "chain": chain, "seq": seq},
            )
            .one()
            ._asdict()
            for seq in (1, 2)
        }
        for seq, other in ((1, 2), (2, 1)):
            connection.execute(
                text(f"UPDATE sealed_records SET {assigned} {WHERE}"),
                {**rows[other], "shop": shop, "chain": chain, "seq": seq},
            )


@dataclass(frozen=True)
class Scenario:
    tamper: Callable[[Database, str, str], None]
    kind: str  # of the first defect
    seq: int  # the record it names; for a truncation, the first one missing
    checked: int  # the stored record that `POST /verification/record` must refuse


SCENARIOS = {
    "changed_amount": Scenario(change_amount, "altered", 2, checked=2),
    "deleted_middle": Scenario(delete_middle, "gap", 2, checked=3),
    "deleted_last": Scenario(delete_last, "truncated", 3, checked=2),
    "swapped": Scenario(swap_first_two, "reordered", 1, checked=1),
}


# ---------------------------------------------------------------------------- the tests


def three_sales(cashier: Till) -> list[dict[str, Any]]:
    sales = [
        cashier.sale("creme", "croissant", mode="cash"),
        cashier.sale("espresso", mode="card"),
        cashier.sale("cappuccino", "croissant", mode="card"),
    ]
    report = cashier.ok("GET", "/verification/chains")
    assert report["ok"], report
    assert report["chains"]["order"]["records"] == 3
    assert report["chains"]["payment"]["records"] == 3
    return sales


def assert_still_frozen(database: Database, shop: str) -> None:
    """The triggers are back: a plain UPDATE of a sealed record is refused again."""
    with (
        pytest.raises(sqlalchemy.exc.DBAPIError, match="sealed rows cannot be changed"),
        database.transaction() as session,
    ):
        session.execute(
            text("UPDATE sealed_records SET body = body WHERE shop_id = :shop"), {"shop": shop}
        )


@pytest.mark.parametrize("chain", ["order", "payment"])
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_tampering_is_named_by_the_verification(
    cashier: Till, services: Services, chain: str, name: str
) -> None:
    scenario = SCENARIOS[name]
    database = services.database
    three_sales(cashier)

    scenario.tamper(database, cashier.shop_id, chain)
    assert_still_frozen(database, cashier.shop_id)

    report = cashier.ok("GET", "/verification/chains")
    assert not report["ok"], report
    first = report["first_defect"]
    assert (first["chain"], first["kind"], first["seq"]) == (chain, scenario.kind, scenario.seq), (
        report
    )
    if scenario.kind == "truncated":
        assert "seq 3" in first["message"], first
    # The other chain is untouched, and so reported.
    assert all(defect["chain"] == chain for defect in report["defects"]), report["defects"]

    record = stored_record(database, cashier.shop_id, chain, scenario.checked)
    check = cashier.ok("POST", "/verification/record", json=record)
    if scenario.kind in ("gap", "truncated"):
        # Its neighbours are gone, not this record: it is still the one stored at its place.
        assert check["valid"], check
    else:
        assert not check["valid"], check
        assert not check["matches_stored"], check


@pytest.mark.parametrize("chain", ["order", "payment"])
def test_an_altered_record_is_refused(cashier: Till, services: Services, chain: str) -> None:
    three_sales(cashier)
    genuine = stored_record(services.database, cashier.shop_id, chain, 2)
    assert cashier.ok("POST", "/verification/record", json=genuine)["valid"]

    change_amount(services.database, cashier.shop_id, chain)

    altered = stored_record(services.database, cashier.shop_id, chain, 2)
    check = cashier.ok("POST", "/verification/record", json=altered)
    assert not check["valid"], check
    assert not check["hash_matches"], check
    assert not check["signature_valid"], check
    assert not check["matches_stored"], check
    # The genuine record (a printed receipt) no longer matches what the database holds.
    check = cashier.ok("POST", "/verification/record", json=genuine)
    assert check["hash_matches"] and check["signature_valid"], check
    assert not check["matches_stored"] and not check["valid"], check


@pytest.mark.parametrize("chain", ["order", "payment"])
def test_an_edited_copy_is_refused(cashier: Till, services: Services, chain: str) -> None:
    """Without touching the database: a record altered on its way to the checker."""
    three_sales(cashier)
    record = stored_record(services.database, cashier.shop_id, chain, 1)
    record[AMOUNT[chain]] = "999.99"
    check = cashier.ok("POST", "/verification/record", json=record)
    assert not check["valid"] and not check["hash_matches"], check
    assert check["stored_hash"] == record["hash"], check
