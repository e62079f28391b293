"""The two verification tools of seed 000 §8: the whole chain, and one record by its fields."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body

from server.deps import ReaderDep
from server.errors import Invalid
from server.sealing import services

router = APIRouter(tags=["verification"])


@router.get("/verification/chains")
def verify_chains(reader: ReaderDep) -> dict[str, Any]:
    """Verify every chain of the shop; `first_defect` names the first bad record."""
    return services.verify_shop(reader.session, reader.actor.shop_id).as_json()


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
