"""Fiscal archives: made from the records as stored, signed, chained, journaled, kept and served
again; checked as seed 003's auditor does (PyNaCl), by `till-verify` and by docs/archives.md's own
scripts."""

from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
import sys
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError

from server.accounts.models import Role
from server.accounts.services import Actor
from server.archives import services as archives
from server.archives.models import ArchivePart, ArchiveRow
from server.deps import Services
from server.idempotency import REPLAY_HEADER
from server.sealing.models import SealedRecordRow
from server.sealing.services import Sealer
from tests.browser import chromium, verify_in_page
from tests.server.helpers import Till, error_of, other_shop_till
from till.fiscal.archive import MANIFEST, Manifest
from till.fiscal.cli import run as till_verify
from till.fiscal.perimeter import current_fingerprint
from till.fiscal.records import CHAINS
from till.timestamps import utc_now
from till.version import __version__


def today(services: Services, shop_id: str) -> date:
    with services.database.reader() as session:
        return archives.today(session, shop_id, utc_now())


def period(start: date, end: date) -> dict[str, str]:
    return {"start": start.isoformat(), "end": end.isoformat()}


def recent(services: Services, shop_id: str) -> dict[str, str]:
    """Yesterday and today: every record of a test, even one made just before midnight."""
    day = today(services, shop_id)
    return period(day - timedelta(days=1), day)


def make(till: Till, body: dict[str, str]) -> dict[str, Any]:
    result: dict[str, Any] = till.ok("POST", "/archives", json=body)
    return result


def download(till: Till, archive: dict[str, Any], folder: Path) -> Path:
    """The ZIP, its .sig and its .pub, as an auditor saves them."""
    folder.mkdir(parents=True, exist_ok=True)
    for kind, suffix in (("zip", ""), ("sig", ".sig"), ("pub", ".pub")):
        response = till.request("GET", archive["downloads"][kind])
        assert response.status_code == 200, response.text
        name = archive["file_name"] + suffix
        assert response.headers["content-disposition"] == f'attachment; filename="{name}"'
        (folder / name).write_bytes(response.content)
    return folder / archive["file_name"]


def stored_bodies(services: Services, shop_id: str, chain: str) -> list[str]:
    with services.database.reader() as session:
        return list(
            session.scalars(
                select(SealedRecordRow.body)
                .where(SealedRecordRow.shop_id == shop_id, SealedRecordRow.chain == chain)
                .order_by(SealedRecordRow.seq)
            )
        )


def python_blocks(markdown: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", markdown, flags=re.DOTALL)


def test_an_archive_holds_every_record_as_stored_and_verifies(
    services: Services, shop_id: str, cashier: Till, manager: Till, tmp_path: Path
) -> None:
    sale = cashier.sale("creme", "croissant", "eclair", mode="cash")
    cashier.sale("espresso", mode="card")
    refund = manager.ok("POST", f"/orders/{sale['id']}/refund", json={"register_id": "R1"})
    cashier.pay(refund["id"], "cash", refund["final_price"])
    cashier.validate(refund["id"])

    archive = make(manager, recent(services, shop_id))

    path = download(manager, archive, tmp_path)
    data = path.read_bytes()
    assert archive["number"] == 1 and archive["previous"] is None
    assert archive["size"] == len(data)
    assert archive["sha256"] == hashlib.sha256(data).hexdigest()
    with zipfile.ZipFile(io.BytesIO(data)) as zipped:
        names = set(zipped.namelist())
        manifest = Manifest.from_json(json.loads(zipped.read(MANIFEST)))
        for chain, extract in manifest.chains.items():
            lines = zipped.read(extract.file).decode().splitlines()
            stored = stored_bodies(services, shop_id, chain)
            # Every record of the chain, byte for byte as stored, seal and previous hash included;
            # after them, only the journal entry of this archive's making.
            assert lines == stored[: len(lines)]
            assert [json.loads(body)["kind"] for body in stored[len(lines) :]] == (
                ["archive_created"] if chain == "event" else []
            )
            assert extract.records == len(lines)
        orders = [
            json.loads(line) for line in zipped.read(manifest.chains["order"].file).splitlines()
        ]
        readme = zipped.read("README.md").decode()
        keys = json.loads(zipped.read("cles_publiques.json"))
    day = date.fromisoformat(archive["period_end"])
    start = date.fromisoformat(archive["period_start"])
    stem = f"{start:%Y%m%d}_{day:%Y%m%d}"
    assert archive["file_name"] == f"export_{stem}.zip"
    assert names == {
        "README.md",
        "verifier_archive.html",
        "manifeste.json",
        "cles_publiques.json",
        *(
            f"{name}-{start:%Y%m%d}-{day:%Y%m%d}.jsonl"
            for name in ("factures", "reglements", "clotures", "journal")
        ),
    }
    assert [order["public_number"] for order in orders][-3:] == [f"T{n:08d}" for n in range(1, 4)]
    assert len(orders[-3]["lines"]) == 3 and orders[-1]["is_refund"]
    assert all({"hash", "signature", "prev_hash"} <= set(order) for order in orders)
    assert manifest.chains["order"].start.seq == 0  # a new shop: the chain starts in the period
    assert manifest.shop["siret"] == "12345678200010"
    assert manifest.software == {
        "name": "Till",
        "version": __version__,
        "fiscal_fingerprint": current_fingerprint(),
    }
    assert [key["public_key"] for key in keys] == [archive["public_key"]]
    assert f"export_{stem}.zip.sig" in readme and "AAAAMMJJ" not in readme

    # Seed 003's procedure, literally: PyNaCl's VerifyKey from the hex .pub, over the ZIP's bytes.
    public_key = path.with_name(path.name + ".pub").read_text()
    signature = path.with_name(path.name + ".sig").read_text()
    VerifyKey(bytes.fromhex(public_key)).verify(data, bytes.fromhex(signature))
    for offset in (0, len(data) // 2, len(data) - 1):
        changed = bytearray(data)
        changed[offset] ^= 0x01
        with pytest.raises(BadSignatureError):
            VerifyKey(bytes.fromhex(public_key)).verify(bytes(changed), bytes.fromhex(signature))

    assert till_verify([str(path)]) == 0


def test_the_readme_procedures_run_as_written(
    services: Services, shop_id: str, cashier: Till, manager: Till, tmp_path: Path
) -> None:
    """The archive's README (docs/archives.md with the archive's names) gives two Python scripts:
    run as an auditor would, they pass on the archive, and fail once it is changed."""
    cashier.sale("quiche", "eau")
    path = download(manager, make(manager, recent(services, shop_id)), tmp_path)
    with zipfile.ZipFile(path) as zipped:
        zipped.extractall(tmp_path)
    signature_script, chain_script = python_blocks((tmp_path / "README.md").read_text())

    def run(script: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True
        )

    result = run(signature_script)
    assert result.returncode == 0 and "✓ Signature de l'archive valide" in result.stdout
    result = run(chain_script)
    assert result.returncode == 0 and "✓ Toutes les chaînes sont intactes" in result.stdout, result

    data = bytearray(path.read_bytes())
    data[len(data) // 3] ^= 0x20
    path.write_bytes(bytes(data))
    result = run(signature_script)
    assert result.returncode == 1 and "✗ Signature de l'archive invalide" in result.stdout
    orders = next(tmp_path.glob("factures-*.jsonl"))
    orders.write_text(orders.read_text().replace('"final_price":"', '"final_price":"1', 1))
    result = run(chain_script)
    assert result.returncode == 1 and "contenu modifié" in result.stdout, result.stdout


def test_archives_are_chained_journaled_and_listed(
    services: Services, shop_id: str, cashier: Till, manager: Till, accountant: Till, tmp_path: Path
) -> None:
    cashier.sale("the")
    first = make(manager, recent(services, shop_id))
    second = make(manager, recent(services, shop_id))

    assert second["number"] == 2
    assert second["previous"] == {"number": 1, "sha256": first["sha256"]}
    listed = accountant.ok("GET", "/archives")
    assert [a["id"] for a in listed] == [first["id"], second["id"]]
    assert listed[0] == first

    # The second archive holds the journal entry of the first one's making, sealed on the event
    # chain with the first archive's digest and signature.
    path = download(accountant, second, tmp_path / "second")
    with zipfile.ZipFile(path) as zipped:
        manifest = Manifest.from_json(json.loads(zipped.read(MANIFEST)))
        events = [
            json.loads(line) for line in zipped.read(manifest.chains["event"].file).splitlines()
        ]
    assert manifest.previous is not None
    assert (manifest.previous.sha256, manifest.previous.signature) == (
        first["sha256"],
        first["signature"],
    )
    made = [e for e in events if e["kind"] == "archive_created"]
    assert [e["details"]["sha256"] for e in made] == [first["sha256"]]
    assert made[0]["details"]["signature"] == first["signature"]
    assert made[0]["user_id"] == "u-claire"

    # till-verify checks the link to the previous archive when it lies beside.
    download(accountant, first, tmp_path / "second")
    assert till_verify([str(path)]) == 0


def test_the_same_records_give_the_same_bytes(
    services: Services, shop_id: str, cashier: Till
) -> None:
    cashier.sale("cappuccino", "pain-choc")
    day = today(services, shop_id)
    built = []
    for _ in range(2):
        with services.database.reader() as session:
            span = archives.Period.checked(day - timedelta(days=1), day, day)
            with archives.build_archive(session, services.keys, shop_id, span) as archive:
                built.append((b"".join(archive.parts()), archive.sha256, archive.signature))
    assert built[0] == built[1]


def test_only_the_period_is_archived_from_the_head_before_it(
    services: Services, shop_id: str, manager: Till, tmp_path: Path
) -> None:
    """Business days start at the shop's opening hour (6:00 in Paris for the demo shop): a record
    sealed at 5:59 belongs to the day before. (Records sealed in the past on the new shop's still
    empty closure chain: a chain's seal times never go back.)"""
    paris = timedelta(hours=2)  # summer time
    moments = [
        datetime(2025, 6, 10, 5, 59, tzinfo=UTC) - paris,  # 9 June, business day
        datetime(2025, 6, 10, 6, 0, tzinfo=UTC) - paris,  # 10 June
        datetime(2025, 6, 11, 5, 59, 59, tzinfo=UTC) - paris,  # still 10 June
        datetime(2025, 6, 11, 6, 0, tzinfo=UTC) - paris,  # 11 June
    ]
    with (
        services.database.transaction() as session,
        Sealer(session, services.keys, shop_id) as sealer,
    ):
        sealed = [sealer.append("closure", {"n": n}, moment) for n, moment in enumerate(moments)]
    archive = make(manager, period(date(2025, 6, 10), date(2025, 6, 10)))

    path = download(manager, archive, tmp_path)
    with zipfile.ZipFile(path) as zipped:
        manifest = Manifest.from_json(json.loads(zipped.read(MANIFEST)))
        closures = manifest.chains["closure"]
        records = [json.loads(line) for line in zipped.read(closures.file).splitlines()]
    assert [record["n"] for record in records] == [1, 2]
    assert archive["records"] == 2
    assert (closures.start.seq, closures.start.hash) == (sealed[0].seq, sealed[0].hash)
    assert (closures.end.seq, closures.end.hash) == (sealed[2].seq, sealed[2].hash)
    assert manifest.sealed_from == "2025-06-10T04:00:00.000000Z"
    assert manifest.sealed_until == "2025-06-11T04:00:00.000000Z"
    assert till_verify([str(path)]) == 0


def test_a_period_with_nothing_sealed_makes_an_empty_archive(
    services: Services, shop_id: str, manager: Till, tmp_path: Path
) -> None:
    # 29 February to 28 February: a whole year, no more.
    archive = make(manager, period(date(2024, 2, 29), date(2025, 2, 28)))
    assert archive["records"] == 0
    path = download(manager, archive, tmp_path)
    assert till_verify([str(path)]) == 0


@pytest.mark.parametrize(
    ("start", "end", "reason"),
    [
        (date(2025, 3, 2), date(2025, 3, 1), "before it starts"),
        (date(1979, 12, 1), date(1979, 12, 31), "cannot start before 2000-01-01"),
        (date(2024, 2, 29), date(2025, 3, 1), "at most one year"),
        (date(2025, 1, 1), date(2026, 1, 1), "at most one year"),
    ],
)
def test_a_period_is_at_most_one_year_and_not_absurd(
    manager: Till, start: date, end: date, reason: str
) -> None:
    response = manager.request("POST", "/archives", json=period(start, end))
    assert reason in error_of(response, 422, "invalid")


def test_a_period_cannot_end_after_today(services: Services, shop_id: str, manager: Till) -> None:
    day = today(services, shop_id)
    response = manager.request("POST", "/archives", json=period(day, day + timedelta(days=1)))
    assert "after today" in error_of(response, 422, "invalid")


def test_only_managers_make_archives_and_auditors_read_them(
    client: TestClient, services: Services, shop_id: str, device: Till, manager: Till
) -> None:
    body = recent(services, shop_id)
    for user in ("u-karim", "u-compta"):
        response = device.log_in(user).request("POST", "/archives", json=body)
        error_of(response, 403, "forbidden")
    archive = make(device.log_in("u-admin"), body)
    cashier = device.log_in("u-karim")
    error_of(cashier.request("GET", "/archives"), 403, "forbidden")
    error_of(cashier.request("GET", archive["downloads"]["zip"]), 403, "forbidden")
    accountant = device.log_in("u-compta")
    for kind in ("zip", "sig", "pub"):
        assert accountant.request("GET", archive["downloads"][kind]).status_code == 200
    # Another shop neither sees nor downloads it.
    other = other_shop_till(client, services, "u-compta")
    assert other.ok("GET", "/archives") == []
    for kind in ("zip", "sig", "pub"):
        error_of(other.request("GET", archive["downloads"][kind]), 404, "not_found")


def test_a_retried_request_makes_one_archive(
    services: Services, shop_id: str, manager: Till, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = []
    build = archives.build_archive
    monkeypatch.setattr(archives, "build_archive", lambda *args: built.append(args) or build(*args))
    body = recent(services, shop_id)
    headers = {"Idempotency-Key": "archive-once"}
    first = manager.ok("POST", "/archives", json=body, headers=headers)
    again = manager.request("POST", "/archives", json=body, headers=headers)
    assert again.status_code == 201 and again.json() == first
    assert again.headers[REPLAY_HEADER] == "true"
    assert len(manager.ok("GET", "/archives")) == 1
    assert len(built) == 1  # the retry is answered without building it again


def test_archives_are_never_changed_nor_deleted(
    services: Services, shop_id: str, manager: Till
) -> None:
    archive = make(manager, recent(services, shop_id))
    statements = [
        update(ArchiveRow).where(ArchiveRow.id == archive["id"]).values(sha256="0" * 64),
        delete(ArchiveRow).where(ArchiveRow.id == archive["id"]),
        update(ArchivePart).where(ArchivePart.archive_id == archive["id"]).values(data=b"x"),
        delete(ArchivePart).where(ArchivePart.archive_id == archive["id"]),
    ]
    if services.database.dialect == "postgresql":
        statements.append(text("TRUNCATE archive_parts"))
    for statement in statements:
        with pytest.raises(DBAPIError, match="archives are kept"):  # noqa: SIM117
            with services.database.transaction() as session:
                session.execute(statement)
    assert manager.ok("GET", "/archives")[0]["sha256"] == archive["sha256"]


def test_the_verifier_page_checks_a_server_archive(
    services: Services, shop_id: str, cashier: Till, manager: Till, tmp_path: Path
) -> None:
    """The page inside a real archive, in a browser: real order records pass; one amount changed
    in the ZIP breaks its signature and names the order."""
    cashier.sale("formule", "biere", "jus-orange", mode="cash")
    sold = cashier.sale("tarte-citron", mode="card")
    path = download(manager, make(manager, recent(services, shop_id)), tmp_path)
    files = [path, path.with_name(path.name + ".sig"), path.with_name(path.name + ".pub")]
    with zipfile.ZipFile(path) as zipped:
        zipped.extractall(tmp_path)
        entries = [(info, zipped.read(info)) for info in zipped.infolist()]
    with chromium() as driver:
        verdict = verify_in_page(driver, tmp_path / "verifier_archive.html", files)
        assert verdict.state == "ok", verdict.text
        # Every record of the shop but the journal entry of this archive's making.
        stored = sum(len(stored_bodies(services, shop_id, chain)) for chain in CHAINS)
        assert verdict.records == stored - 1

        with zipfile.ZipFile(path, "w") as zipped:
            for info, data in entries:
                if info.filename.startswith("factures-"):
                    data = data.replace(b'"final_price":"3.90"', b'"final_price":"0.90"')
                zipped.writestr(info, data)
        verdict = verify_in_page(driver, tmp_path / "verifier_archive.html", files)
    assert verdict.state == "ko"
    assert "invalide" in verdict.text
    [defect] = verdict.defects
    assert (defect["seq"], defect["kind"]) == (str(sold["internal_number"]), "altered")
    assert sold["public_number"] in defect["text"]


def test_two_archives_made_at_once_do_not_fork_the_chain_of_archives(
    services: Services, shop_id: str, manager: Till
) -> None:
    """Both are built after the same last archive; the second to be kept is refused (409), so
    every archive follows exactly one other."""
    day = today(services, shop_id)
    span = archives.Period.checked(day - timedelta(days=1), day, day)
    actor = Actor(shop_id, "u-claire", "Claire", Role.MANAGER, "test")
    with services.database.reader() as session:
        first = archives.build_archive(session, services.keys, shop_id, span)
        second = archives.build_archive(session, services.keys, shop_id, span)
    with first, services.database.transaction() as session:
        archives.store_archive(session, services.keys, first, actor, utc_now())
    with (
        second,
        pytest.raises(archives.ConcurrentArchive),
        services.database.transaction() as session,
    ):
        archives.store_archive(session, services.keys, second, actor, utc_now())
    assert [a["number"] for a in manager.ok("GET", "/archives")] == [1]
