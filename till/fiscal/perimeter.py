"""The fiscal perimeter: the files that implement the fiscal rules, and their fingerprint.

fingerprint = SHA-256(contents of the files below, concatenated in this order, then the major
version in decimal ASCII) (seed 000 §11). A change to any of them needs a new major version, whose
fingerprint is recorded in fingerprints.json; the test suite fails until both are done.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from till.version import major_version

ROOT = Path(__file__).resolve().parents[2]
RECORDED = Path(__file__).with_name("fingerprints.json")

# Paths from the project's root. The list itself is part of the perimeter.
PERIMETER = (
    "till/money.py",
    "till/vat.py",
    "till/order.py",
    "till/timestamps.py",
    "till/periods.py",
    "till/fiscal/canonical.py",
    "till/fiscal/keys.py",
    "till/fiscal/records.py",
    "till/fiscal/verify.py",
    "till/fiscal/reader.py",
    "till/fiscal/cli.py",
    "till/fiscal/proof.py",
    "till/fiscal/archive.py",
    "printing/receipts.py",
    "printing/pdf.py",
    "server/db.py",
    "server/sealing/keys.py",
    "server/sealing/services.py",
    "server/orders/services.py",
    "server/orders/validation.py",
    "server/migrations/versions/0001_initial_schema.py",
    "server/migrations/versions/0002_archives.py",
    "server/migrations/versions/0003_registers_closures_journal_issuances.py",
    "server/registers/services.py",
    "server/closures/services.py",
    "server/receipts/services.py",
    "server/journal/services.py",
    "server/archives/services.py",
    "server/exports/fec.py",
    "server/exports/saft.py",
    "resources/archive/verifier_archive.html",
    "till/fiscal/perimeter.py",
    "docs/sealing.md",
    "docs/archives.md",
)


def fingerprint(major: int | None = None, root: Path = ROOT) -> str:
    digest = hashlib.sha256()
    for relative in PERIMETER:
        digest.update((root / relative).read_bytes())
    digest.update(str(major_version() if major is None else major).encode("ascii"))
    return digest.hexdigest()


def recorded_fingerprints() -> dict[int, str]:
    return {int(major): value for major, value in json.loads(RECORDED.read_text()).items()}


def current_fingerprint() -> str:
    """The recorded fingerprint of this major version: what the software shows of itself.

    It is read, not computed, because an installed copy has no source tree to hash; the test suite
    checks that the recorded value is the one the sources give.
    """
    return recorded_fingerprints()[major_version()]


def record_current() -> str:
    """Record the fingerprint of the current major version; an existing major is never rewritten."""
    recorded = recorded_fingerprints()
    major = major_version()
    current = fingerprint(major)
    if recorded.get(major, current) != current:
        raise SystemExit(
            f"major version {major} already has the fingerprint {recorded[major]}: the fiscal "
            "perimeter changed, so raise the major version in till/version.py first"
        )
    recorded[major] = current
    text = json.dumps({str(k): v for k, v in sorted(recorded.items())}, indent=2)
    RECORDED.write_text(text + "\n")
    return current


if __name__ == "__main__":
    print(record_current())
