"""A fiscal archive of a month of a small shop, written as the server writes them, and damaged
copies of it, for the tests of `till-verify` and of the HTML verifier page."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from till.fiscal.archive import (
    KEYS,
    MANIFEST,
    README,
    VERIFIER,
    ArchiveWriter,
    ChainExtract,
    Manifest,
    PreviousArchive,
    archive_name,
    keys_json,
    records_name,
    seal_file,
)
from till.fiscal.canonical import canonical_json
from till.fiscal.keys import ShopKey
from till.fiscal.perimeter import ROOT
from till.fiscal.records import CHAINS, Chain, ChainHead
from till.timestamps import to_utc_iso

SHOP = "FR-ARCH-0001"
START, END = date(2026, 3, 1), date(2026, 3, 31)
SEALED_FROM = datetime(2026, 2, 28, 23, 0, tzinfo=UTC)  # 1 March, midnight in Paris
SEALED_UNTIL = datetime(2026, 3, 31, 22, 0, tzinfo=UTC)
PAGE = ROOT / "resources" / "archive" / "verifier_archive.html"
LABELS = (
    "Café crème",
    "Œuf mimosa",
    "Thé « vert »",
    'Tarte "maison"',
    "Gâteau 🍰",
    "Bière\tpression",
)


def _order(number: int) -> dict[str, Any]:
    lines = [
        {
            "article_id": f"a{number + i}",
            "label": LABELS[(number + i) % len(LABELS)],
            "quantity": "1.000",
            "unit_price": "4.20",
            "final": "4.20",
            "vat_rate": "10.00",
            "vat": "0.38",
            "excl_vat": "3.82",
        }
        for i in range(1 + number % 3)
    ]
    cents = 420 * len(lines)
    total = f"{cents // 100}.{cents % 100:02d}"
    return {
        "internal_number": number,
        "public_number": f"T{number:08d}",
        "final_price": total,
        "lines": lines,
        "payments": [{"mode": "card", "amount": total}],
        # Member names that sort differently by code point and by UTF-16 code unit (RFC 8785).
        "notes": {"\ufb01n": "ligature", "\U0001f600": "emoji", "é": "accent", "z": None},
    }


@dataclass
class SampleArchive:
    """The records of the period, as stored lines per chain, and the head before it."""

    key: ShopKey
    lines: dict[str, list[str]] = field(default_factory=dict)
    starts: dict[str, ChainHead] = field(default_factory=dict)
    number: int = 1
    previous: PreviousArchive | None = None

    @classmethod
    def make(cls, key: ShopKey, orders: int = 6) -> SampleArchive:
        sample = cls(key)
        before = SEALED_FROM - timedelta(days=2)
        when = SEALED_FROM + timedelta(hours=8)
        chains = {name: Chain(name, SHOP, key) for name in CHAINS}
        # A February before the period: its last records are the chains' heads before it.
        for n in range(1, 4):
            chains["order"].append(_order(n), before)
            chains["payment"].append({"order_seq": n, "amount": "4.20"}, before)
        chains["event"].append({"kind": "login", "user_name": "Claire"}, before)
        sample.starts = {name: chain.head for name, chain in chains.items()}
        sample.lines = {name: [] for name in CHAINS}

        def seal(chain: str, fields: dict[str, Any]) -> None:
            record = chains[chain].append(fields, when)
            sample.lines[chain].append(canonical_json(record.as_json()).decode())

        for n in range(4, 4 + orders):
            when += timedelta(minutes=17)
            order = _order(n)
            seal("order", order)
            seal("payment", {"order_seq": n, "mode": "card", "amount": order["final_price"]})
            seal("event", {"kind": "document_issued", "order": order["public_number"]})
        seal(
            "closure", {"kind": "z", "register_id": "R1", "total": "42.00", "grand_total": "912.40"}
        )
        return sample

    def manifest(self, lines: dict[str, list[str]]) -> Manifest:
        chains = {}
        for chain in CHAINS:
            start = self.starts[chain]
            end = start
            if lines[chain]:
                last = lines[chain][-1]
                record = json.loads(last)
                end = ChainHead(record["seq"], record["hash"])
            chains[chain] = ChainExtract(
                records_name(chain, START, END), len(lines[chain]), start, end
            )
        return Manifest(
            number=self.number,
            file=archive_name(START, END),
            previous=self.previous,
            shop={"id": SHOP, "name": "Café des Arts", "siret": "12345678900012"},
            start=START,
            end=END,
            sealed_from=to_utc_iso(SEALED_FROM),
            sealed_until=to_utc_iso(SEALED_UNTIL),
            timezone="Europe/Paris",
            opening_hour=0,
            software={"name": "Till", "version": "2.0.0", "fiscal_fingerprint": "0" * 64},
            signing_key=self.key.public_key,
            chains=chains,
        )

    def write(
        self,
        folder: Path,
        *,
        lines: dict[str, list[str]] | None = None,
        manifest: Manifest | None = None,
        signed_by: ShopKey | None = None,
    ) -> Path:
        """Write the ZIP, its `.sig` and `.pub` into `folder` (made if need be); `lines` replace
        the genuine records (the manifest still describes the genuine ones)."""
        folder.mkdir(parents=True, exist_ok=True)
        genuine = self.manifest(self.lines)
        path = folder / genuine.file
        with path.open("w+b") as out:
            writer = ArchiveWriter(out, END)
            writer.add(README, b"# Archive\n")
            writer.add(VERIFIER, PAGE.read_bytes())
            writer.add(
                KEYS,
                keys_json([{"key_id": self.key.key_id, "public_key": self.key.public_key.hex}]),
            )
            for chain in CHAINS:
                writer.add_records(records_name(chain, START, END), [(lines or self.lines)[chain]])
            writer.add(MANIFEST, (manifest or genuine).to_bytes())
            writer.close()
            _, signature = seal_file(signed_by or self.key, out)
        path.with_name(path.name + ".sig").write_text(signature)
        path.with_name(path.name + ".pub").write_text(self.key.public_key.hex)
        return path

    def altered(self, chain: str, index: int, **fields: Any) -> dict[str, list[str]]:
        """The lines with record `index` of `chain` changed after sealing."""
        record = json.loads(self.lines[chain][index])
        record.update(fields)
        lines = {name: list(value) for name, value in self.lines.items()}
        lines[chain][index] = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
        return lines

    def without(self, chain: str, index: int) -> dict[str, list[str]]:
        lines = {name: list(value) for name, value in self.lines.items()}
        del lines[chain][index]
        return lines

    def following(self, previous: Path, name: str) -> SampleArchive:
        """The archive that follows `previous`, kept beside it as `name`."""
        sha256 = hashlib.sha256(previous.read_bytes()).hexdigest()
        signature = previous.with_name(previous.name + ".sig").read_text()
        link = PreviousArchive(self.number, name, sha256, signature)
        return replace(self, number=self.number + 1, previous=link)
