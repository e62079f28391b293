"""`till-server`: run the central API, set up its database, shops and the demo shop."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import orjson
import uvicorn
from sqlalchemy.exc import SQLAlchemyError

from server import idempotency
from server.accounts.services import new_enrollment_code
from server.config import Settings
from server.db import Database
from server.operations import logs
from server.sealing.keys import KeyStore, open_key_store
from server.sealing.services import verify_shop
from server.shops.models import Shop
from server.shops.services import ShopSetup, create_shop
from till.about import command_parser
from till.errors import TillError
from till.resources import RESOURCES

DEMO_SHOP = RESOURCES / "demo" / "shop.json"


def _parser() -> argparse.ArgumentParser:
    parser = command_parser("till-server", "The central till server.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser("serve", help="run the API (migrates the database first)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="server processes (default 1)")
    commands.add_parser("migrate", help="create or upgrade the database schema")
    demo = commands.add_parser("demo", help="create the demo shop (once) and an enrollment code")
    demo.add_argument("--file", type=Path, default=DEMO_SHOP, help=argparse.SUPPRESS)
    shop = commands.add_parser("create-shop", help="create a shop from a setup file (JSON)")
    shop.add_argument("file", type=Path)
    code = commands.add_parser("enrollment-code", help="a one-time code to enroll a till")
    code.add_argument("--shop", required=True)
    verify = commands.add_parser("verify", help="verify every chain of a shop as stored")
    verify.add_argument("--shop", required=True)
    return parser


def _open(settings: Settings) -> tuple[Database, KeyStore]:
    database = Database(settings.url)
    database.migrate()
    return database, open_key_store(settings.master_key, settings.master_key_path, database)


def _setup_shop(settings: Settings, path: Path, *, existing_ok: bool) -> str:
    try:
        setup = ShopSetup.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as error:
        raise SystemExit(f"till-server: cannot read the shop file {path}: {error}") from None
    database, keys = _open(settings)
    try:
        with database.transaction() as session:
            shop_id = str(setup.shop["id"])
            if session.get(Shop, shop_id) is None:
                create_shop(session, keys, setup, pin_cost=settings.pin_cost)
                print(f"Shop {shop_id} created.")
            elif not existing_ok:
                raise SystemExit(f"till-server: there is already a shop {shop_id}.")
    except (KeyError, TypeError, ValueError) as error:
        raise SystemExit(
            f"till-server: the shop file {path} lacks or misspells a field: {error!r}"
        ) from None
    return shop_id


def _enrollment_code(settings: Settings, shop_id: str) -> None:
    database, _ = _open(settings)
    with database.transaction() as session:
        if session.get(Shop, shop_id) is None:
            raise SystemExit(f"till-server: there is no shop {shop_id}.")
        code, expires = new_enrollment_code(session, settings, shop_id, None)
    print(f"Enrollment code for {shop_id}: {code} (valid until {expires:%Y-%m-%d %H:%M} UTC)")


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    settings = Settings()
    try:
        if args.command == "serve":
            # Migrate and create the master key once, before any worker starts.
            database, _ = _open(settings)
            with database.transaction() as session:
                idempotency.purge(session, settings.idempotency_days)
            uvicorn.run(
                "server.app:create_app",
                factory=True,
                host=args.host,
                port=args.port,
                workers=args.workers,
                access_log=False,
                log_config=logs.uvicorn_config(settings.log_level),
            )
        elif args.command == "migrate":
            _open(settings)
            print("The database is up to date.")
        elif args.command == "demo":
            shop_id = _setup_shop(settings, args.file, existing_ok=True)
            _enrollment_code(settings, shop_id)
            print("PINs: Claire (manager) 1234, Karim (cashier) 1111, Léa (cashier) 2222,")
            print("      Cabinet Morel (accountant) 0000, Administrateur (admin) 9999.")
        elif args.command == "create-shop":
            _setup_shop(settings, args.file, existing_ok=False)
        elif args.command == "enrollment-code":
            _enrollment_code(settings, args.shop)
        elif args.command == "verify":
            database, _ = _open(settings)
            with database.reader() as session:
                if session.get(Shop, args.shop) is None:
                    raise SystemExit(f"till-server: there is no shop {args.shop}.")
                report = verify_shop(session, args.shop)
            print(orjson.dumps(report.as_json(), option=orjson.OPT_INDENT_2).decode())
            sys.exit(0 if report.ok else 1)
    except TillError as error:
        raise SystemExit(f"till-server: {error.message}") from None
    except SQLAlchemyError as error:
        raise SystemExit(f"till-server: the database cannot be used: {error}") from None
