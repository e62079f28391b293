"""Issuance routes: ask before printing or sending a receipt or an invoice."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import Field
from sqlalchemy.orm import Session

from server.accounts.services import Actor
from server.deps import MutationDep, ReaderDep
from server.orders.schemas import Strict
from server.receipts import services
from server.receipts.services import Channel, Document

router = APIRouter(tags=["receipts"])


class IssuanceIn(Strict):
    document: Document = Document.RECEIPT
    channel: Channel = Channel.PRINT
    recipient: str | None = Field(
        default=None, max_length=200, description="The e-mail address or phone number sent to"
    )


@router.post("/orders/{order_id}/issuances", status_code=201)
def issue(order_id: str, body: IssuanceIn, mutation: MutationDep) -> Response:
    """Record a print, download, e-mail or text of the order's receipt or invoice, before doing
    it. The answer gives the copy number (1: the original; then DUPLICATA n°1, 2, ...) and the
    signed proof printed as the receipt's QR code."""
    keys = mutation.services.keys

    def produce(session: Session, actor: Actor) -> dict[str, Any]:
        issued = services.issue(
            session, keys, actor, order_id, body.document, body.channel, body.recipient
        )
        return {
            **services.issuance_json(issued.row),
            "proof": issued.proof,
            "event": {"seq": issued.row.event_seq, "hash": issued.event_hash},
        }

    return mutation.respond(produce, status=201)


@router.get("/orders/{order_id}/issuances")
def list_issuances(order_id: str, reader: ReaderDep) -> list[dict[str, Any]]:
    return services.issuances(reader.session, reader.actor, order_id)
