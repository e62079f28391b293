"""Who may call what, and whose data each route serves: every route of the app, classified.

`ROUTES` holds every route of the app's OpenAPI spec, with a valid request on a shop's own objects
and, for the shop-isolation tests, the same request naming another shop's objects. A route added
to the app and not to `ROUTES` fails `test_every_route_is_classified`: whoever adds it decides here
whether the accountant may call it and how another shop's ids are refused.

(a) The accountant (also given to tax auditors) reads everything and changes nothing: 403 on every
    mutating route but the commented allowlist, and the same request from an administrator then
    succeeds, so the 403 really is the role check and not a 404 or a 422 in disguise.
(b) No route serves another shop's data: with two shops A and B, B's ids from A's tills give 404,
    nothing of B appears in what A reads, and B's rows are the same afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

import server.models  # noqa: F401  (every table in the metadata, for the snapshots)
from server.db import Base, Database
from server.deps import Services
from server.mail.models import MessageKind, MessageStatus
from server.mail.services import queue_message
from server.orders.models import OrderRow
from server.registers.services import business_day
from server.shops.models import Register, Shop
from tests.server.helpers import Till, enroll, enrollment_code, new_shop, open_register
from till.timestamps import to_utc_iso, utc_now

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ROLES = {"cashier": "u-karim", "manager": "u-claire", "accountant": "u-compta", "admin": "u-admin"}


# ---------------------------------------------------------------------------- a shop's objects


@dataclass
class Scene:
    """A shop with one object of each kind the routes name, and a till per role.

    Catalog entries, the user and the register have ids unique to this shop (the demo catalog's
    ids are the same in every shop), so that another shop naming them is really naming this one's.
    """

    services: Services
    shop_id: str
    device: Till
    cashier: Till
    manager: Till
    accountant: Till
    admin: Till
    register: str
    group: str
    department: str
    article: str
    mode: str
    user: str
    open_order: str  # open, one line, no payment
    line: str
    paying_order: str  # open, partly paid
    payment: str
    paid_order: str  # open, fully paid: ready to validate
    validated_order: str
    closed_register: str  # closed by a Z
    closure_seq: int
    archive: int
    record: dict[str, Any] = field(repr=False)
    failed_message: str = ""  # refused for good by the SMTP server

    def markers(self) -> set[str]:
        """What would betray this shop's data in another shop's answer."""
        return {
            self.shop_id,
            self.register,
            self.group,
            self.department,
            self.article,
            self.mode,
            self.user,
            self.open_order,
            self.line,
            self.paying_order,
            self.payment,
            self.paid_order,
            self.validated_order,
            self.closed_register,
            self.record["hash"],
            self.failed_message,
        }


def build_scene(client: TestClient, services: Services) -> Scene:
    shop_id = new_shop(services)
    tag = uuid.uuid4().hex[:8]
    register, closed_register = f"R-{tag}", f"Z-{tag}"
    with services.database.transaction() as session:
        session.add(Register(shop_id=shop_id, id=register, name="Caisse du fond", active=True))
        session.add(Register(shop_id=shop_id, id=closed_register, name="Caisse 3", active=True))
    open_register(services, shop_id, register)
    open_register(services, shop_id, closed_register)
    device = enroll(client, services, shop_id)
    tills = {role: device.log_in(user) for role, user in ROLES.items()}
    manager, cashier = tills["manager"], tills["cashier"]

    group, department, article, mode, user = (f"{kind}-{tag}" for kind in ("g", "d", "a", "m", "u"))
    manager.ok("PUT", f"/catalog/department-groups/{group}", json={"label": "Épicerie"})
    manager.ok(
        "PUT", f"/catalog/departments/{department}", json={"label": "Thés", "group_id": group}
    )
    manager.ok(
        "PUT",
        f"/catalog/articles/{article}",
        json={
            "label": "Thé vert",
            "price": "2.50",
            "vat_eat_in": "10",
            "vat_take_away": "5.5",
            "department_id": department,
        },
    )
    manager.ok("PUT", f"/catalog/payment-modes/{mode}", json={"label": "Avoir"})
    manager.ok(
        "POST", "/users", json={"id": user, "name": "Nina", "role": "cashier", "pin": "4321"}
    )

    validated = cashier.sale("creme", "croissant", mode="cash")
    closed = cashier.ok(
        "POST",
        f"/registers/{closed_register}/close",
        json={"counted": {"cash": "100.00"}, "float_left": "100.00"},
    )

    open_order = cashier.new_order(register)
    line = cashier.add(open_order["id"], article)["lines"][0]["id"]

    paying_order = cashier.new_order()
    cashier.add(paying_order["id"], "creme")
    payment = cashier.pay(paying_order["id"], "card", "1.00")["payments"][0]["id"]

    cashier.ok(
        "POST",
        f"/registers/{register}/cash-movements",
        json={"kind": "in", "amount": "20.00", "reason": f"Monnaie {tag}"},
    )

    paid_order = cashier.new_order()
    paid_order = cashier.add(paid_order["id"], "espresso")
    cashier.pay(paid_order["id"], mode, paid_order["final_price"])

    return Scene(
        services=services,
        shop_id=shop_id,
        device=device,
        cashier=cashier,
        manager=manager,
        accountant=tills["accountant"],
        admin=tills["admin"],
        register=register,
        group=group,
        department=department,
        article=article,
        mode=mode,
        user=user,
        open_order=open_order["id"],
        line=line,
        paying_order=paying_order["id"],
        payment=payment,
        paid_order=paid_order["id"],
        validated_order=validated["id"],
        closed_register=closed_register,
        closure_seq=closed["closure"]["seq"],
        archive=manager.ok("POST", "/archives", json=ARCHIVE_PERIOD)["id"],
        record=validated["record"],
        failed_message=_failed_message(services, shop_id),
    )


def snapshot(database: Database, shop_id: str) -> dict[str, list[str]]:
    """Every row of the shop, in every table that belongs to a shop or to one of its orders."""
    rows: dict[str, list[str]] = {}
    with database.reader() as session:
        orders = select(OrderRow.id).where(OrderRow.shop_id == shop_id).scalar_subquery()
        for table in Base.metadata.sorted_tables:
            if table.name == "shops":
                query = select(table).where(table.c.id == shop_id)
            elif "shop_id" in table.c:
                query = select(table).where(table.c.shop_id == shop_id)
            elif "order_id" in table.c:
                query = select(table).where(table.c.order_id.in_(orders))
            else:
                continue  # not a shop's data (idempotency keys)
            rows[table.name] = sorted(repr(tuple(row)) for row in session.execute(query))
    return rows


# ---------------------------------------------------------------------------- the routes


@dataclass(frozen=True)
class Call:
    """One request of a route. For a request naming another shop's objects, `status` is what it
    must get and `check` looks further at the answer."""

    path: str
    json: Any = None
    params: dict[str, str] | None = None
    status: int = 404
    check: Callable[[Any], None] | None = None


Own = Callable[[Scene], Call]
Foreign = Callable[[Scene, Scene], list[Call]]


@dataclass(frozen=True)
class Route:
    """`own`: a valid request on the shop's own objects.
    `accountant`: for a mutating route, why the accountant may call it (the allowlist).
    `foreign`: the request naming shop B's objects, sent from shop A's tills.
    `unscoped`: why the route is left out of the shop-isolation tests."""

    own: Own
    accountant: str | None = None
    foreign: Foreign | None = None
    unscoped: str | None = None


def _draft(register: str, user: str | None = None) -> dict[str, Any]:
    draft: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "created_at": to_utc_iso(utc_now()),
        "register_id": register,
        "lines": [{"label": "Café", "unit_price": "1.80", "vat_rate": "10", "quantity": "1"}],
    }
    if user is not None:
        draft["user_id"] = user
    return draft


def _rejected_as_unknown(body: Any) -> None:
    [result] = body["results"]
    assert result["status"] == "rejected", result
    assert result["error"]["code"] == "not_found", result


def _not_valid_here(body: Any) -> None:
    assert not body["valid"] and not body["key_known"], body


def _not_held_here(body: Any) -> None:
    assert not body["ok"] and body["problems"], body


def _empty(body: Any) -> None:
    assert body == [], body


def _offline(register: str) -> dict[str, Any]:
    return {
        "register_id": register,
        "started_at": "2026-01-05T08:00:00Z",
        "ended_at": "2026-01-05T08:20:00Z",
        "drafts": 2,
    }


def _heads(record: dict[str, Any]) -> dict[str, Any]:
    return {"chain_heads": {"order": {"seq": record["seq"], "hash": record["hash"]}}}


CLOSE = {"counted": {"cash": "100.00"}, "float_left": "100.00"}


def _export_period(scene: Scene) -> dict[str, str]:
    """The last 30 business days of the scene's shop, today's sales included."""
    with scene.services.database.reader() as session:
        shop = session.get(Shop, scene.shop_id)
        assert shop is not None
        today = business_day(shop, utc_now())
    return {"from": (today - timedelta(days=30)).isoformat(), "to": today.isoformat()}


ARCHIVE_PERIOD = {"start": "2025-01-01", "end": "2025-01-31"}
# This year's report: today's sales, whatever the date the tests run.
REPORT_PERIOD = {"from": f"{utc_now().year}-01-01", "to": f"{utc_now().year}-12-31"}
ARTICLE = {"label": "Tarte du jour", "price": "4.00", "vat_eat_in": "10"}

MAIL_SETTINGS = {"z_copies": {"recipients": ["gerante@exemple.test"]}}
MAIL_TEST = {"recipient": "gerante@exemple.test"}
EMAIL = {"recipient": "client@exemple.test", "document": "invoice"}


def _failed_message(services: Services, shop_id: str) -> str:
    with services.database.transaction() as session:
        row = queue_message(session, shop_id, MessageKind.TEST, [MAIL_TEST["recipient"]], "text")
        row.status = MessageStatus.FAILED.value
        return row.id


ROUTES: dict[str, Route] = {
    # --- operations: no shop's data, no credentials
    "GET /health": Route(lambda s: Call("/health"), unscoped="no shop's data"),
    "GET /version": Route(lambda s: Call("/version"), unscoped="no shop's data"),
    # Chain lengths of every shop, for the monitoring (Prometheus) of the operator: the route is
    # meant to be reachable from the operator's network only, not from tills.
    "GET /metrics": Route(lambda s: Call("/metrics"), unscoped="the operator's monitoring"),
    # --- accounts
    # Takes no session: the one-time code is the credential, and it enrolls into its own shop.
    "POST /devices/enroll": Route(
        lambda s: Call(
            "/devices/enroll",
            json={"code": enrollment_code(s.services, s.shop_id), "name": "Caisse compta"},
        ),
        accountant="needs no session at all: the code from a manager is the credential",
        unscoped="the code names its shop; there is no other shop's id to give",
    ),
    "POST /sessions": Route(
        lambda s: Call("/sessions", json={"user_id": "u-compta", "pin": "0000"}),
        accountant="the accountant's own log-in",
        foreign=lambda a, b: [
            # B's user cannot log in on A's till, whatever the PIN.
            Call("/sessions", json={"user_id": b.user, "pin": "4321"}, status=401),
        ],
    ),
    "DELETE /sessions/current": Route(
        lambda s: Call("/sessions/current"),
        accountant="the accountant's own log-out",
        unscoped="names no object: it ends the session whose secret token it is given",
    ),
    "GET /me": Route(lambda s: Call("/me")),
    "GET /users": Route(lambda s: Call("/users")),
    "POST /users": Route(
        lambda s: Call(
            "/users", json={"id": "u-new", "name": "Sam", "role": "cashier", "pin": "5678"}
        ),
        foreign=lambda a, b: [
            # User ids are per shop: B's user's id makes a user of A, and B's stays as it is.
            Call(
                "/users",
                json={"id": b.user, "name": "Homonyme", "role": "cashier", "pin": "5678"},
                status=201,
            ),
        ],
    ),
    "POST /enrollment-codes": Route(
        lambda s: Call("/enrollment-codes"),
        foreign=lambda a, b: [Call("/enrollment-codes", status=201)],  # a code of A's shop
    ),
    "PATCH /users/{user_id}": Route(
        lambda s: Call(f"/users/{s.user}", json={"name": "Nina B."}),
        foreign=lambda a, b: [
            Call(f"/users/{b.user}", json={"name": "Pris"}),
            Call(f"/users/{b.user}", json={"active": False}),
        ],
    ),
    # --- shop
    "GET /shop": Route(lambda s: Call("/shop")),
    # Names no object: it changes the caller's own shop.
    "PATCH /shop": Route(
        lambda s: Call("/shop", json={"legal_footer": "Merci de votre visite"}),
        foreign=lambda a, b: [Call("/shop", json={"name": "Autre"}, status=200)],
    ),
    "GET /registers": Route(lambda s: Call("/registers")),
    "GET /registers/{register_id}/cash-movements": Route(
        lambda s: Call(f"/registers/{s.register}/cash-movements"),
        foreign=lambda a, b: [Call(f"/registers/{b.register}/cash-movements")],
    ),
    # Public by design: anyone holding a record or an archive of a shop checks it with these.
    "GET /shops/{shop_id}/public-keys": Route(
        lambda s: Call(f"/shops/{s.shop_id}/public-keys"),
        unscoped="public keys are published for every shop, on purpose",
    ),
    # --- catalog
    "GET /catalog": Route(lambda s: Call("/catalog")),
    # A PUT names an entry of the caller's own catalog: B's id makes (or replaces) an entry of
    # A's catalog, never B's.
    "PUT /catalog/articles/{article_id}": Route(
        lambda s: Call(f"/catalog/articles/{s.article}", json=ARTICLE),
        foreign=lambda a, b: [Call(f"/catalog/articles/{b.article}", json=ARTICLE, status=200)],
    ),
    "PUT /catalog/departments/{department_id}": Route(
        lambda s: Call(f"/catalog/departments/{s.department}", json={"label": "Tisanes"}),
        foreign=lambda a, b: [
            Call(f"/catalog/departments/{b.department}", json={"label": "Tisanes"}, status=200),
            # ... but a group of B's catalog is unknown in A's.
            Call(f"/catalog/departments/{a.department}", json={"label": "X", "group_id": b.group}),
        ],
    ),
    "PUT /catalog/department-groups/{group_id}": Route(
        lambda s: Call(f"/catalog/department-groups/{s.group}", json={"label": "Boissons"}),
        foreign=lambda a, b: [
            Call(f"/catalog/department-groups/{b.group}", json={"label": "G"}, status=200),
        ],
    ),
    "PUT /catalog/payment-modes/{code}": Route(
        lambda s: Call(f"/catalog/payment-modes/{s.mode}", json={"label": "Bon d'achat"}),
        foreign=lambda a, b: [
            Call(f"/catalog/payment-modes/{b.mode}", json={"label": "Bon"}, status=200),
        ],
    ),
    "DELETE /catalog/{kind}/{entry_id}": Route(
        lambda s: Call(f"/catalog/articles/{s.article}"),
        foreign=lambda a, b: [
            Call(f"/catalog/articles/{b.article}"),
            Call(f"/catalog/departments/{b.department}"),
            Call(f"/catalog/department-groups/{b.group}"),
            Call(f"/catalog/payment-modes/{b.mode}"),
        ],
    ),
    # --- orders
    "POST /orders": Route(
        lambda s: Call("/orders", json={"register_id": s.register}),
        foreign=lambda a, b: [Call("/orders", json={"register_id": b.register})],
    ),
    "GET /orders": Route(
        lambda s: Call("/orders", params={"limit": "500"}),
        foreign=lambda a, b: [
            Call("/orders", params={"register_id": b.register}, status=200),
            Call("/orders", params={"status": "open", "limit": "500"}, status=200),
        ],
    ),
    "GET /orders/{order_id}": Route(
        lambda s: Call(f"/orders/{s.validated_order}"),
        foreign=lambda a, b: [
            Call(f"/orders/{b.validated_order}"),
            Call(f"/orders/{b.open_order}"),
        ],
    ),
    "PATCH /orders/{order_id}": Route(
        lambda s: Call(f"/orders/{s.open_order}", json={"table": "12", "covers": 2}),
        foreign=lambda a, b: [Call(f"/orders/{b.open_order}", json={"table": "12"})],
    ),
    "POST /orders/{order_id}/lines": Route(
        lambda s: Call(f"/orders/{s.open_order}/lines", json={"article_id": "espresso"}),
        foreign=lambda a, b: [
            Call(f"/orders/{b.open_order}/lines", json={"article_id": "espresso"}),
            # A's own order, B's article.
            Call(f"/orders/{a.open_order}/lines", json={"article_id": b.article}),
        ],
    ),
    "PATCH /orders/{order_id}/lines/{line_id}": Route(
        lambda s: Call(f"/orders/{s.open_order}/lines/{s.line}", json={"quantity": "2"}),
        foreign=lambda a, b: [
            Call(f"/orders/{b.open_order}/lines/{b.line}", json={"quantity": "2"}),
            Call(f"/orders/{a.open_order}/lines/{b.line}", json={"quantity": "2"}),
        ],
    ),
    "DELETE /orders/{order_id}/lines/{line_id}": Route(
        lambda s: Call(f"/orders/{s.open_order}/lines/{s.line}"),
        foreign=lambda a, b: [
            Call(f"/orders/{b.open_order}/lines/{b.line}"),
            Call(f"/orders/{a.open_order}/lines/{b.line}"),
        ],
    ),
    "POST /orders/{order_id}/payments": Route(
        lambda s: Call(
            f"/orders/{s.paying_order}/payments", json={"mode": "cash", "amount": "1.00"}
        ),
        foreign=lambda a, b: [
            Call(f"/orders/{b.paying_order}/payments", json={"mode": "cash", "amount": "1.00"}),
            # A's own order, B's payment mode.
            Call(f"/orders/{a.paying_order}/payments", json={"mode": b.mode, "amount": "1.00"}),
        ],
    ),
    "DELETE /orders/{order_id}/payments/{payment_id}": Route(
        lambda s: Call(f"/orders/{s.paying_order}/payments/{s.payment}"),
        foreign=lambda a, b: [
            Call(f"/orders/{b.paying_order}/payments/{b.payment}"),
            Call(f"/orders/{a.paying_order}/payments/{b.payment}"),
        ],
    ),
    "POST /orders/{order_id}/cancel": Route(
        lambda s: Call(f"/orders/{s.open_order}/cancel"),
        foreign=lambda a, b: [Call(f"/orders/{b.open_order}/cancel")],
    ),
    "POST /orders/{order_id}/validate": Route(
        lambda s: Call(f"/orders/{s.paid_order}/validate"),
        foreign=lambda a, b: [Call(f"/orders/{b.paid_order}/validate")],
    ),
    "POST /orders/{order_id}/refund": Route(
        lambda s: Call(f"/orders/{s.validated_order}/refund", json={"register_id": "R1"}),
        foreign=lambda a, b: [
            Call(f"/orders/{b.validated_order}/refund", json={"register_id": "R1"}),
            Call(f"/orders/{a.validated_order}/refund", json={"register_id": b.register}),
        ],
    ),
    "POST /drafts/import": Route(
        lambda s: Call("/drafts/import", json={"drafts": [_draft(s.register)]}),
        foreign=lambda a, b: [
            Call(
                "/drafts/import",
                json={"drafts": [_draft(b.register)]},
                status=200,
                check=_rejected_as_unknown,
            ),
            Call(
                "/drafts/import",
                json={"drafts": [_draft("R1", user=b.user)]},
                status=200,
                check=_rejected_as_unknown,
            ),
        ],
    ),
    # --- registers and closures
    "POST /registers/{register_id}/open": Route(
        lambda s: Call(f"/registers/{s.closed_register}/open", json={"float": "120.00"}),
        foreign=lambda a, b: [
            Call(f"/registers/{b.closed_register}/open", json={"float": "120.00"}),
        ],
    ),
    "POST /registers/{register_id}/cash-movements": Route(
        lambda s: Call(
            f"/registers/{s.register}/cash-movements",
            json={"kind": "out", "amount": "5.00", "reason": "Lait"},
        ),
        foreign=lambda a, b: [
            Call(
                f"/registers/{b.register}/cash-movements",
                json={"kind": "out", "amount": "5.00", "reason": "Lait"},
            ),
        ],
    ),
    "POST /registers/{register_id}/x-report": Route(
        lambda s: Call(f"/registers/{s.register}/x-report"),
        foreign=lambda a, b: [Call(f"/registers/{b.register}/x-report")],
    ),
    "POST /registers/{register_id}/close": Route(
        lambda s: Call(f"/registers/{s.register}/close", json=CLOSE),
        foreign=lambda a, b: [Call(f"/registers/{b.register}/close", json=CLOSE)],
    ),
    "GET /closures": Route(
        lambda s: Call("/closures"),
        foreign=lambda a, b: [
            Call("/closures", params={"register_id": b.closed_register}, status=200, check=_empty)
        ],
    ),
    "GET /closures/{seq}": Route(
        lambda s: Call(f"/closures/{s.closure_seq}"),
        # A seq is a place in the caller's own chain: B's seq reads A's closure, or nothing.
        foreign=lambda a, b: [
            Call(f"/closures/{b.closure_seq}", status=200),
            Call("/closures/9999"),
        ],
    ),
    # --- receipts
    "POST /orders/{order_id}/issuances": Route(
        lambda s: Call(f"/orders/{s.validated_order}/issuances", json={"channel": "print"}),
        foreign=lambda a, b: [
            Call(f"/orders/{b.validated_order}/issuances", json={"channel": "print"}),
        ],
    ),
    "GET /orders/{order_id}/issuances": Route(
        lambda s: Call(f"/orders/{s.validated_order}/issuances"),
        foreign=lambda a, b: [Call(f"/orders/{b.validated_order}/issuances")],
    ),
    # --- journal
    "POST /offline-periods": Route(
        lambda s: Call("/offline-periods", json=_offline(s.register)),
        foreign=lambda a, b: [Call("/offline-periods", json=_offline(b.register))],
    ),
    "GET /events": Route(lambda s: Call("/events")),
    # --- verification
    "GET /chain-heads": Route(lambda s: Call("/chain-heads")),
    "POST /verification/heads": Route(
        lambda s: Call("/verification/heads", json=_heads(s.record)),
        accountant="reads only: checks heads once shown against the shop's chains",
        foreign=lambda a, b: [
            # B's head is not in A's chains (A's record at that seq is another one).
            Call("/verification/heads", json=_heads(b.record), status=200, check=_not_held_here),
        ],
    ),
    "GET /verification/chains": Route(lambda s: Call("/verification/chains")),
    # --- archives
    "POST /archives": Route(
        lambda s: Call("/archives", json=ARCHIVE_PERIOD),
        unscoped="names no object: it archives the records of the caller's own shop",
    ),
    "GET /archives": Route(lambda s: Call("/archives")),
    **{
        f"GET /archives/{{archive_id}}/{kind}": Route(
            lambda s, kind=kind: Call(f"/archives/{s.archive}/{kind}"),
            foreign=lambda a, b, kind=kind: [Call(f"/archives/{b.archive}/{kind}")],
        )
        for kind in ("zip", "sig", "pub")
    },
    # --- accounting exports: each names no object, it exports the caller's own shop
    "GET /exports/fec": Route(lambda s: Call("/exports/fec", params=_export_period(s))),
    "GET /exports/saft": Route(lambda s: Call("/exports/saft", params=_export_period(s))),
    "GET /accounting/chart": Route(lambda s: Call("/accounting/chart")),
    "PUT /accounting/chart": Route(
        lambda s: Call("/accounting/chart", json={"payments": {s.mode: {"account": "512000"}}}),
        foreign=lambda a, b: [
            # B's payment mode is unknown in A's catalog.
            Call(
                "/accounting/chart", json={"payments": {b.mode: {"account": "512000"}}}, status=422
            ),
            Call("/accounting/chart", json={"journal_code": "VT"}, status=200),
        ],
    ),
    # --- reports
    "GET /reports": Route(
        lambda s: Call("/reports", params=REPORT_PERIOD),
        foreign=lambda a, b: [
            Call("/reports", params={**REPORT_PERIOD, "register": b.register}),
            Call("/reports", params={**REPORT_PERIOD, "user": b.user}),
            Call("/reports", params={**REPORT_PERIOD, "format": "csv"}, status=200),
        ],
    ),
    # --- mail: settings and the test message name no object, they are the caller's own shop's
    "GET /mail/settings": Route(lambda s: Call("/mail/settings")),
    "PUT /mail/settings": Route(
        lambda s: Call("/mail/settings", json=MAIL_SETTINGS),
        foreign=lambda a, b: [Call("/mail/settings", json=MAIL_SETTINGS, status=200)],
    ),
    "POST /mail/test": Route(
        lambda s: Call("/mail/test", json=MAIL_TEST),
        foreign=lambda a, b: [Call("/mail/test", json=MAIL_TEST, status=202)],
    ),
    "GET /mail/messages": Route(lambda s: Call("/mail/messages")),
    "POST /mail/messages/{message_id}/retry": Route(
        lambda s: Call(f"/mail/messages/{s.failed_message}/retry"),
        foreign=lambda a, b: [Call(f"/mail/messages/{b.failed_message}/retry")],
    ),
    "POST /orders/{order_id}/email": Route(
        lambda s: Call(f"/orders/{s.validated_order}/email", json=EMAIL),
        foreign=lambda a, b: [Call(f"/orders/{b.validated_order}/email", json=EMAIL)],
    ),
    "POST /verification/record": Route(
        lambda s: Call("/verification/record", json=s.record),
        accountant="reads only: checks a record against the shop's chain",
        foreign=lambda a, b: [
            # B's record is not one of A's: unknown key, and it is not what A stores.
            Call("/verification/record", json=b.record, status=200, check=_not_valid_here),
        ],
    ),
}


def _method(key: str) -> str:
    return key.split(" ", 1)[0]


def _has_path_params(key: str) -> bool:
    return "{" in key


READS = sorted(key for key in ROUTES if _method(key) == "GET")
WRITES = sorted(key for key in ROUTES if _method(key) in MUTATING)
FORBIDDEN = [key for key in WRITES if ROUTES[key].accountant is None]
ALLOWED = [key for key in WRITES if ROUTES[key].accountant is not None]
SCOPED_READS = [key for key in READS if ROUTES[key].unscoped is None]
SCOPED_WRITES = [key for key in WRITES if ROUTES[key].unscoped is None]


def send(till: Till, key: str, call: Call) -> Any:
    return till.request(_method(key), call.path, json=call.json, params=call.params)


# ---------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def shop_a(app: FastAPI, client: TestClient) -> Scene:
    """For tests that change nothing: reads, and requests that must be refused."""
    return build_scene(client, app.state.services)


@pytest.fixture(scope="module")
def shop_b(app: FastAPI, client: TestClient) -> Scene:
    """The other shop: no test that passes changes anything in it."""
    return build_scene(client, app.state.services)


@pytest.fixture
def fresh_a(client: TestClient, services: Services) -> Scene:
    """For tests that change the shop."""
    return build_scene(client, services)


# ---------------------------------------------------------------------------- (c) classification


def test_every_route_is_classified(app: FastAPI) -> None:
    served = {
        f"{method.upper()} {path}"
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }
    missing = sorted(served - set(ROUTES))
    assert not missing, (
        "Routes not classified in tests/server/test_roles.py ROUTES: "
        + ", ".join(missing)
        + ". Add each with a valid request on the shop's own objects; for a mutating route, "
        "decide whether the accountant may call it (`accountant=` with the reason) and how "
        "another shop's ids are refused (`foreign=`, or `unscoped=` with the reason)."
    )
    stale = sorted(set(ROUTES) - served)
    assert not stale, (
        f"ROUTES in tests/server/test_roles.py names routes the app no longer has: {stale}"
    )


def test_each_route_says_how_other_shops_are_kept_out() -> None:
    for key, route in ROUTES.items():
        if route.unscoped is not None:
            assert route.foreign is None, f"{key}: both foreign calls and a reason to skip them"
            continue
        if _method(key) in MUTATING or _has_path_params(key):
            assert route.foreign is not None, f"{key}: give the calls naming another shop's ids"
        if route.accountant is not None:
            assert _method(key) in MUTATING, f"{key}: only mutating routes need the allowlist"


# ---------------------------------------------------------------------------- (a) the accountant


@pytest.mark.parametrize("key", READS)
def test_the_accountant_reads_every_route(shop_a: Scene, key: str) -> None:
    response = send(shop_a.accountant, key, ROUTES[key].own(shop_a))
    assert response.status_code == 200, f"{key}: {response.status_code} {response.text}"


@pytest.mark.parametrize("key", FORBIDDEN)
def test_the_accountant_changes_nothing(fresh_a: Scene, key: str) -> None:
    database = fresh_a.services.database
    call = ROUTES[key].own(fresh_a)
    before = snapshot(database, fresh_a.shop_id)

    response = send(fresh_a.accountant, key, call)

    assert response.status_code == 403, f"{key}: {response.status_code} {response.text}"
    assert response.json()["error"]["code"] == "forbidden", response.text
    assert snapshot(database, fresh_a.shop_id) == before, f"{key} changed the shop"
    # The very same request is valid: an administrator may make it.
    response = send(fresh_a.admin, key, call)
    assert response.status_code < 300, f"{key} as admin: {response.status_code} {response.text}"


@pytest.mark.parametrize("key", ALLOWED)
def test_the_accountant_may_use_the_allowlist(shop_a: Scene, key: str) -> None:
    accountant = shop_a.device.log_in("u-compta")  # a session of its own, to end if need be
    response = send(accountant, key, ROUTES[key].own(shop_a))
    assert response.status_code < 300, f"{key}: {response.status_code} {response.text}"


# ---------------------------------------------------------------------------- (b) shop isolation


def assert_answer(key: str, call: Call, status: int, response: Any, other: Scene) -> None:
    """The expected status, and nothing of the other shop in the answer but the ids the request
    itself gave (a 404 naming the id it did not find is no leak)."""
    assert response.status_code == status, (
        f"{key} {call.path} {call.params}: {response.status_code} {response.text}"
    )
    if call.check is not None:
        call.check(response.json())
    given = f"{call.path} {call.json} {call.params}"
    leaked = sorted(m for m in other.markers() if m in response.text and m not in given)
    assert not leaked, f"{key} {call.path}: the other shop's {leaked} in {response.text}"


@pytest.mark.parametrize("key", SCOPED_READS)
def test_a_shop_reads_nothing_of_another(shop_a: Scene, shop_b: Scene, key: str) -> None:
    route = ROUTES[key]
    before = snapshot(shop_b.services.database, shop_b.shop_id)
    own = route.own(shop_a)
    assert_answer(key, own, 200, send(shop_a.accountant, key, own), shop_b)
    for call in route.foreign(shop_a, shop_b) if route.foreign else []:
        assert_answer(key, call, call.status, send(shop_a.accountant, key, call), shop_b)
    assert snapshot(shop_b.services.database, shop_b.shop_id) == before


@pytest.mark.parametrize("key", SCOPED_WRITES)
def test_a_shop_changes_nothing_of_another(fresh_a: Scene, shop_b: Scene, key: str) -> None:
    route = ROUTES[key]
    assert route.foreign is not None
    database = shop_b.services.database
    before = snapshot(database, shop_b.shop_id)
    for call in route.foreign(fresh_a, shop_b):
        assert_answer(key, call, call.status, send(fresh_a.manager, key, call), shop_b)
    assert snapshot(database, shop_b.shop_id) == before, f"{key} changed shop B"
