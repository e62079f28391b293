"""The fiscal perimeter: a change to it without a new major version fails here."""

from __future__ import annotations

from pathlib import Path

from till.fiscal.perimeter import PERIMETER, ROOT, fingerprint, recorded_fingerprints
from till.version import major_version


def test_every_file_of_the_perimeter_exists() -> None:
    missing = [path for path in PERIMETER if not (ROOT / path).is_file()]
    assert missing == []


def test_the_current_major_version_has_the_recorded_fingerprint() -> None:
    recorded = recorded_fingerprints()
    major = major_version()
    assert major in recorded, f"no fingerprint recorded for major version {major}"
    assert fingerprint() == recorded[major], (
        "the fiscal perimeter changed: raise the major version in till/version.py, then run "
        "`python -m till.fiscal.perimeter` to record the new version's fingerprint"
    )


def test_recorded_versions_only_go_forward_with_distinct_fingerprints() -> None:
    recorded = recorded_fingerprints()
    assert max(recorded) == major_version()
    assert len(set(recorded.values())) == len(recorded)


def test_the_fingerprint_covers_content_order_and_major_version(tmp_path: Path) -> None:
    for relative in PERIMETER:
        target = tmp_path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((ROOT / relative).read_bytes())
    base = fingerprint(1, root=tmp_path)
    assert fingerprint(1, root=tmp_path) == base
    assert fingerprint(2, root=tmp_path) != base
    first = tmp_path / PERIMETER[0]
    first.write_bytes(first.read_bytes() + b"\n")
    assert fingerprint(1, root=tmp_path) != base
