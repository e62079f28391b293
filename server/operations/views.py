"""Health, version and metrics: what a load balancer, a monitor and an auditor look at first."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from sqlalchemy import func, select

from server.deps import ReadSession, ServicesDep
from server.sealing.models import SealedRecordRow
from till.fiscal.perimeter import current_fingerprint
from till.version import SOFTWARE_NAME, __version__

router = APIRouter(tags=["operations"])


@router.get("/health")
def health() -> dict[str, str]:
    """Liveness: the process answers (monitors watch /metrics for the rest)."""
    return {"status": "ok"}


@router.get("/version")
def version() -> dict[str, Any]:
    """The software version and the fiscal fingerprint of this version (seed 000 §11)."""
    return {
        "software": SOFTWARE_NAME,
        "version": __version__,
        "fiscal_fingerprint": current_fingerprint(),
    }


@router.get("/metrics")
def metrics(session: ReadSession, services: ServicesDep) -> Response:
    chains = [
        (shop, chain, length)
        for shop, chain, length in session.execute(
            select(SealedRecordRow.shop_id, SealedRecordRow.chain, func.max(SealedRecordRow.seq))
            .group_by(SealedRecordRow.shop_id, SealedRecordRow.chain)
            .order_by(SealedRecordRow.shop_id, SealedRecordRow.chain)
        )
    ]
    return Response(
        services.metrics.render(chains), media_type="text/plain; version=0.0.4; charset=utf-8"
    )
