"""The fiscal archive format: written byte for byte the same, signed as libsodium signs, and checked
by `till-verify` (signature of the ZIP, then every chain inside), as seed 003's auditor would."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import zipfile
from pathlib import Path

import pytest
from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from tests.till.fiscal.archive_samples import SHOP, SampleArchive
from till.fiscal import archive
from till.fiscal.cli import run
from till.fiscal.keys import ShopKey

ORDERS = "factures-20260301-20260331.jsonl"
PAYMENTS = "reglements-20260301-20260331.jsonl"


@pytest.fixture
def sample(shop_key: ShopKey) -> SampleArchive:
    return SampleArchive.make(shop_key)


def verify(path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str]]:
    """The exit status and the lines printed; for an unreadable archive, the error's line."""
    code = run([str(path), *args])
    out, err = capsys.readouterr()
    return code, out.splitlines() if code != 2 else err.splitlines()


@pytest.mark.parametrize("size", [0, 1, 63, 64, 65, 1000, 4096 * 3 + 7])
def test_the_streamed_signature_is_libsodiums(
    size: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(archive, "CHUNK", 64)  # many chunks, and boundaries inside the data
    for _ in range(5):
        key = ShopKey.generate()
        data = os.urandom(size)
        with io.BytesIO(data) as stream:
            digest, signature = archive.seal_file(key, stream)
        assert digest == hashlib.sha256(data).hexdigest()
        assert signature == SigningKey(bytes.fromhex(key.seed_hex())).sign(data).signature.hex()


def test_the_same_records_give_the_same_zip(sample: SampleArchive, tmp_path: Path) -> None:
    first = sample.write(tmp_path / "a").read_bytes()
    second = sample.write(tmp_path / "b").read_bytes()
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as zipped:
        infos = zipped.infolist()
    assert {info.date_time for info in infos} == {(2026, 3, 31, 0, 0, 0)}
    assert {info.compress_type for info in infos} == {zipfile.ZIP_DEFLATED}
    assert [info.filename for info in infos][:4] == [
        "README.md",
        "verifier_archive.html",
        "cles_publiques.json",
        ORDERS,
    ]


def test_seed_003s_procedure_passes_and_fails_after_one_byte(
    sample: SampleArchive, tmp_path: Path
) -> None:
    path = sample.write(tmp_path)
    with open(path.with_name(path.name + ".pub")) as f:
        verify_key = VerifyKey(bytes.fromhex(f.read()))
    with open(path, "rb") as f:
        data = f.read()
    with open(path.with_name(path.name + ".sig")) as f:
        signature = bytes.fromhex(f.read())
    verify_key.verify(data, signature)
    changed = bytearray(data)
    changed[len(data) // 2] ^= 0x80
    with pytest.raises(BadSignatureError):
        verify_key.verify(bytes(changed), signature)


def test_an_intact_archive_exits_0(
    sample: SampleArchive, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = sample.write(tmp_path)
    code, out = verify(path, capsys)
    assert code == 0
    assert out == [
        f"OK: {path.name} signed by key {sample.key.key_id} (compare it with the shop's published "
        f"key); shop {SHOP}, 2026-03-01 to 2026-03-31; 19 record(s) intact; "
        + "; ".join(
            f"{chain} up to seq {seq} ({line})"
            for chain, seq, line in (
                ("order", 9, _hash16(sample, "order")),
                ("payment", 9, _hash16(sample, "payment")),
                ("closure", 1, _hash16(sample, "closure")),
                ("event", 7, _hash16(sample, "event")),
            )
        )
    ]


def _hash16(sample: SampleArchive, chain: str) -> str:
    return sample.manifest(sample.lines).chains[chain].end.hash[:16]


def test_signature_and_key_may_be_given_from_elsewhere(
    sample: SampleArchive, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = sample.write(tmp_path / "zip")
    elsewhere = tmp_path / "keys"
    elsewhere.mkdir()
    signature = path.with_name(path.name + ".sig").rename(elsewhere / "archive.sig")
    path.with_name(path.name + ".pub").unlink()

    code, out = verify(path, capsys)
    assert code == 2 and f"{path.name}.sig" in out[0]
    code, out = verify(path, capsys, "--sig", str(signature))
    assert code == 2 and f"or put it in {path.name}.pub beside the archive" in out[0]
    code, out = verify(path, capsys, "--sig", str(signature), "--key", sample.key.public_key.hex)
    assert code == 0, out


def test_one_amount_changed_names_the_record(
    sample: SampleArchive, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = sample.write(tmp_path, lines=sample.altered("order", 1, final_price="0.01"))
    code, out = verify(path, capsys)
    assert code == 1
    assert out == [
        f"{ORDERS}: record 2, order #5: altered: its content was changed after sealing: "
        "it no longer matches its signed hash",
        f"FAILED: 1 defect(s) in {path.name} (19 record(s))",
    ]


def test_a_record_removed_is_detected(
    sample: SampleArchive, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = verify(
        sample.write(tmp_path / "middle", lines=sample.without("payment", 2)), capsys
    )
    assert code == 1
    assert out[:2] == [
        f"{PAYMENTS}: record 3, payment #6: gap: seq 6 missing before record 3",
        f"{PAYMENTS}: 5 record(s) where the manifest announces 6",
    ]
    # The first and the last records too: the heads before and at the end of the period tell.
    code, out = verify(sample.write(tmp_path / "first", lines=sample.without("order", 0)), capsys)
    assert (
        code == 1 and out[0] == f"{ORDERS}: record 1, order #4: gap: seq 4 missing before record 1"
    )
    code, out = verify(sample.write(tmp_path / "last", lines=sample.without("order", -1)), capsys)
    assert code == 1
    assert out[0] == (
        f"{ORDERS}: order #9: truncated: the chain ends at seq 8 but a head at seq 9 was "
        "recorded: records were removed from its end"
    )


def test_a_wrong_zip_signature_is_reported(
    sample: SampleArchive, other_key: ShopKey, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = sample.write(tmp_path, signed_by=other_key)
    code, out = verify(path, capsys)
    assert code == 1
    assert out == [
        f"{path.name}: the ZIP's signature does not verify with the key {sample.key.key_id}: "
        "the archive was changed after it was signed, or this key did not sign it",
        f"FAILED: 1 defect(s) in {path.name} (19 record(s))",
    ]


def test_a_changed_byte_is_reported(
    sample: SampleArchive, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = sample.write(tmp_path)
    data = bytearray(path.read_bytes())
    data[40] ^= 0x01  # inside README.md's compressed bytes: the ZIP still opens
    path.write_bytes(bytes(data))
    code, out = verify(path, capsys)
    assert code == 1
    assert out[0].startswith(f"{path.name}: the ZIP's signature does not verify")


def test_a_record_in_the_wrong_file_and_a_foreign_shop(
    sample: SampleArchive, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = {name: list(value) for name, value in sample.lines.items()}
    lines["order"].append(lines["payment"][-1])
    code, out = verify(sample.write(tmp_path, lines=lines), capsys, "--shop", "FR-OTHER")
    assert code == 1
    assert out[0] == "manifeste.json: the archive is of shop 'FR-ARCH-0001', not 'FR-OTHER'"
    assert f"{ORDERS}: record 7: not a record of the order chain" in out


def test_archives_are_checked_against_the_previous_one_beside(
    sample: SampleArchive, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = sample.write(tmp_path / "first")
    previous = tmp_path / "second" / "export_20260201_20260228.zip"
    second = sample.following(first, previous.name).write(tmp_path / "second")
    shutil.copy(first, previous)
    shutil.copy(first.with_name(first.name + ".sig"), previous.with_name(previous.name + ".sig"))
    code, out = verify(second, capsys)
    assert code == 0, out

    previous.write_bytes(b"PK not the same")
    code, out = verify(second, capsys)
    assert code == 1
    assert out[0] == (
        f"{previous.name}: its SHA-256 is not the one this archive's manifest gives for "
        "archive 1: it is not the archive this one follows"
    )


def test_an_unreadable_archive_exits_2(
    sample: SampleArchive, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = sample.write(tmp_path)
    with zipfile.ZipFile(path) as zipped:
        entries = {
            name: zipped.read(name) for name in zipped.namelist() if name != "manifeste.json"
        }
    with zipfile.ZipFile(path, "w") as zipped:
        for name, data in entries.items():
            zipped.writestr(name, data)
    code, out = verify(path, capsys)
    assert code == 2
    assert out == ["till-verify: manifeste.json is missing from the archive"]


def test_large_chains_are_checked_side_by_side_with_the_same_findings(
    sample: SampleArchive,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    lines = sample.altered("order", 1, final_price="0.01")
    del lines["payment"][2]
    path = sample.write(tmp_path, lines=lines)
    alone = verify(path, capsys)
    monkeypatch.setattr(archive, "PARALLEL_FROM", 1)  # every chain in a process of its own
    assert verify(path, capsys) == alone
    assert alone[0] == 1 and len(alone[1]) == 4
