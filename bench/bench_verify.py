"""Benchmark of the chain verifier: records/s against a bare PyNaCl verify loop, and peak memory.

Targets: the verifier reaches at least 80 % of the bare loop's rate over the same signatures, and
its peak memory stays flat from 10,000 to 1,000,000 records (rss_growth <= 1.3).
Run: python bench/bench_verify.py [--speed N] [--small N] [--large N]
The last line printed is one JSON object of the figures.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from nacl.signing import VerifyKey

from till.fiscal.canonical import canonical_json
from till.fiscal.keys import KeyRing, PublicKey, ShopKey
from till.fiscal.reader import read_records
from till.fiscal.records import Chain
from till.fiscal.verify import ChainVerifier
from till.money import to_json_amount

SHOP = "FR-BENCH-0001"
START = datetime(2026, 1, 1, 7, 0, tzinfo=UTC)
LABELS = ("Café", "Croissant", "Pain au chocolat", "Baguette tradition", "Thé vert", "Quiche")


def _order(n: int) -> dict[str, Any]:
    lines = [
        {
            "article": f"A{(n + i) % 40}",
            "label": LABELS[(n + i) % len(LABELS)],
            "quantity": "1.000",
            "unit_price": "2.50",
            "discount": None,
            "final_price": "2.50",
            "vat_rate": "10.00",
            "vat": "0.23",
            "excl_vat": "2.27",
        }
        for i in range(1 + n % 5)
    ]
    total = to_json_amount(250 * len(lines))
    return {
        "type": "receipt",
        "internal_number": n,
        "public_number": f"T1-{n:08d}",
        "register": "R1",
        "user": "u-claire",
        "delivery_method": "eat_in",
        "lines": lines,
        "vat": [{"rate": "10.00", "incl": total, "vat": "0.00", "excl": total}],
        "final_price": total,
        "payments": [{"mode": "card", "amount": total}],
    }


def write_chain(path: Path, count: int, key: ShopKey) -> None:
    """A realistic mix: an order, its payment and a print event, in turn."""
    chains = {name: Chain(name, SHOP, key) for name in ("order", "payment", "event")}
    with path.open("w", encoding="utf-8") as out:
        for n in range(count):
            sale = n // 3 + 1
            when = START + timedelta(seconds=n)
            kind = n % 3
            fields: dict[str, Any]
            if kind == 0:
                record = chains["order"].append(_order(sale), when)
            elif kind == 1:
                fields = {"order": f"T1-{sale:08d}", "mode": "card", "amount": "5.00"}
                record = chains["payment"].append(fields, when)
            else:
                fields = {"type": "print", "order": f"T1-{sale:08d}", "copy": 1}
                record = chains["event"].append(fields, when)
            out.write(canonical_json(record.as_json()).decode("utf-8") + "\n")


def verify_file(path: Path, key_hex: str) -> tuple[int, int]:
    """Verify a file as till-verify does; returns (records, defects)."""
    verifier = ChainVerifier(KeyRing([PublicKey.from_hex(key_hex)]))
    defects = 0
    for record in read_records(path):
        defects += len(verifier.check(record))
    defects += len(verifier.finish())
    return verifier.summary().records, defects


def bare_rate(path: Path, key_hex: str) -> float:
    verify_key = VerifyKey(bytes.fromhex(key_hex))
    pairs = []
    for record in read_records(path):
        pairs.append((bytes.fromhex(record["hash"]), bytes.fromhex(record["signature"])))
    started = time.perf_counter()
    for digest, signature in pairs:
        verify_key.verify(digest, signature)
    return len(pairs) / (time.perf_counter() - started)


def verifier_rate(path: Path, key_hex: str) -> float:
    started = time.perf_counter()
    records, defects = verify_file(path, key_hex)
    elapsed = time.perf_counter() - started
    if defects:
        raise SystemExit(f"the benchmark chain has {defects} defect(s)")
    return records / elapsed


def peak_rss_mb(path: Path, key_hex: str) -> float:
    """Peak memory of a fresh process that verifies the file."""
    output = subprocess.run(
        [sys.executable, __file__, "--rss-of", str(path), key_hex],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return float(output.strip().splitlines()[-1])


def _rss_of(path: Path, key_hex: str) -> None:
    verify_file(path, key_hex)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--speed", type=int, default=60_000, help="records timed for speed")
    parser.add_argument("--rounds", type=int, default=3, help="best of this many timings")
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--rss-of", nargs=2, metavar=("FILE", "KEY"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rss_of:
        _rss_of(Path(args.rss_of[0]), args.rss_of[1])
        return {}
    key = ShopKey.generate()
    key_hex = key.public_key.hex
    with tempfile.TemporaryDirectory(prefix="bench-verify-") as folder:
        speed_file = Path(folder) / "speed.jsonl"
        write_chain(speed_file, args.speed, key)
        records_per_s = max(verifier_rate(speed_file, key_hex) for _ in range(args.rounds))
        bare_per_s = max(bare_rate(speed_file, key_hex) for _ in range(args.rounds))
        print(f"verifier: {records_per_s:,.0f} records/s; bare PyNaCl loop: {bare_per_s:,.0f}/s")
        sizes = {}
        for name, count in (("small", args.small), ("large", args.large)):
            path = Path(folder) / f"{name}.jsonl"
            write_chain(path, count, key)
            sizes[name] = peak_rss_mb(path, key_hex)
            print(
                f"{count:,} records: peak RSS {sizes[name]:.1f} MB ({_size_mb(path):.0f} MB file)"
            )
            path.unlink()
    figures = {
        "records_per_s": round(records_per_s),
        "bare_per_s": round(bare_per_s),
        "ratio": round(records_per_s / bare_per_s, 3),
        "rss_mb_10k": round(sizes["small"], 1),
        "rss_mb_1m": round(sizes["large"], 1),
        "rss_growth": round(sizes["large"] / sizes["small"], 3),
    }
    print(json.dumps(figures))
    return figures


def _size_mb(path: Path) -> float:
    return path.stat().st_size / 1e6


if __name__ == "__main__":
    main()
