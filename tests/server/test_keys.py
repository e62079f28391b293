"""Shop keys at rest: sealed with a master key that is not in the database, checked at start."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from sqlalchemy import select

from server.app import create_app
from server.config import Settings
from server.db import Database
from server.sealing.keys import KeyStore, MasterKeyError, load_master_key, open_key_store
from server.shops.models import ShopKey
from tests.server.helpers import TEST_PIN_COST, new_shop


def embedded(tmp_path: Path, master_key: str | None = None) -> Settings:
    return Settings(
        data_dir=tmp_path, master_key=master_key, pin_cost=TEST_PIN_COST, log_level="WARNING"
    )


def test_a_database_dump_holds_no_usable_private_key(tmp_path: Path) -> None:
    settings = embedded(tmp_path)
    app = create_app(settings)
    services = app.state.services
    shop_id = new_shop(services)
    key = services.keys.signing_key(services.database.reader(), shop_id)
    dump = (tmp_path / "till.sqlite3").read_bytes() + (tmp_path / "till.sqlite3-wal").read_bytes()
    assert key.seed_hex().encode() not in dump
    assert bytes.fromhex(key.seed_hex()) not in dump
    assert (tmp_path / "master.key").stat().st_mode & 0o777 == 0o600


def test_a_sealed_seed_moved_to_another_shop_does_not_open(tmp_path: Path) -> None:
    app = create_app(embedded(tmp_path))
    services = app.state.services
    first, second = new_shop(services), new_shop(services)
    with services.database.reader() as session:
        rows = {row.shop_id: row for row in session.scalars(select(ShopKey))}
    moved = ShopKey(
        key_id=rows[second].key_id,
        shop_id=second,
        public_key=rows[second].public_key,
        encrypted_seed=rows[first].encrypted_seed,
        created_at=rows[second].created_at,
    )
    fresh = KeyStore(load_master_key(None, tmp_path / "master.key", create=False))
    fresh.open(rows[first])  # its own seed opens
    with pytest.raises(MasterKeyError):
        fresh.open(moved)


def test_the_wrong_master_key_is_refused_at_start(tmp_path: Path) -> None:
    app = create_app(embedded(tmp_path))
    new_shop(app.state.services)
    with pytest.raises(MasterKeyError, match="does not open with this master key"):
        create_app(embedded(tmp_path, master_key=secrets.token_hex(32)))


def test_a_lost_master_key_file_is_not_silently_replaced(tmp_path: Path) -> None:
    app = create_app(embedded(tmp_path))
    new_shop(app.state.services)
    (tmp_path / "master.key").unlink()
    with pytest.raises(MasterKeyError, match="is missing"):
        create_app(embedded(tmp_path))
    assert not (tmp_path / "master.key").exists()


def test_a_malformed_master_key_is_a_clear_error(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path}/t.db")
    database.migrate()
    with pytest.raises(MasterKeyError, match="64 hexadecimal"):
        open_key_store("abc", tmp_path / "master.key", database)
