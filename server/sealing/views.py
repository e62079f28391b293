"""The two verification tools of seed 000 §8: the whole chain, and one record by its fields."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import Field

from server.deps import ReaderDep, Services, ServicesDep
from server.errors import Invalid
from server.journal.services import EventKind, journal
from server.orders.schemas import Strict
from server.sealing import services
from till.fiscal.records import ChainHead
from till.timestamps import utc_now

router = APIRouter(tags=["verification"])


def _journal_failure(services_: Services, shop_id: str, found: dict[str, Any]) -> None:
    """An integrity failure is journaled when verification finds it, in its own transaction:
    the verification itself only reads."""
    with services_.database.transaction() as session:
        journal(session, services_.keys, shop_id, EventKind.INTEGRITY_FAILURE, found)


@router.get("/verification/chains")
def verify_chains(reader: ReaderDep, app: ServicesDep) -> dict[str, Any]:
    """Verify every chain of the shop; `first_defect` names the first bad record."""
    report = services.verify_shop(reader.session, reader.actor.shop_id).as_json()
    if not report["ok"]:
        _journal_failure(
            app,
            reader.actor.shop_id,
            {"tool": "chains", "defects": len(report["defects"]), "first": report["first_defect"]},
        )
    return report


@router.post("/verification/record")
def verify_record(
    reader: ReaderDep,
    record: Annotated[dict[str, Any], Body(description="A sealed record, as printed.")],
) -> dict[str, Any]:
    """Check one record given with all its fields: its hash, its signature, and that it is the
    very record stored at its place in the chain. Reads only."""
    if not record:
        raise Invalid("Give the record's fields, its hash and its signature.")
    return services.check_record(reader.session, reader.actor.shop_id, record)


@router.get("/chain-heads")
def get_chain_heads(reader: ReaderDep, app: ServicesDep) -> dict[str, Any]:
    """The head (seq, hash) of every chain of the shop, signed with the shop's key: a till keeps
    the last it saw, and raises an alarm when the server later shows less."""
    shop_id = reader.actor.shop_id
    key = app.keys.signing_key(reader.session, shop_id)
    return services.signed_heads(
        key, shop_id, services.chain_heads(reader.session, shop_id), utc_now()
    )


class HeadIn(Strict):
    seq: int = Field(ge=0, le=services.MAX_SEQ)
    hash: str = Field(pattern=r"^[0-9a-f]{64}$")


class KnownHeads(Strict):
    chain_heads: dict[str, HeadIn] = Field(max_length=10)


@router.post("/verification/heads")
def verify_heads(body: KnownHeads, reader: ReaderDep, app: ServicesDep) -> dict[str, Any]:
    """Are the records a till (or an auditor) was once shown still here, unchanged? One missing
    means a chain was truncated or the database rolled back; journaled when so."""
    result = services.check_heads(
        reader.session,
        reader.actor.shop_id,
        {chain: ChainHead(head.seq, head.hash) for chain, head in body.chain_heads.items()},
    )
    if not result["ok"]:
        _journal_failure(
            app, reader.actor.shop_id, {"tool": "heads", "problems": result["problems"]}
        )
    return result
