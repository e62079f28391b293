"""The signed fiscal archive (docs/archives.md): the sealed records of a shop over a period, in a
ZIP written byte for byte the same for the same records, signed with the shop key, and verified.

The format lives here once: the server writes archives with `ArchiveWriter` and `Manifest`,
`till-verify` reads them back with `ArchiveVerifier`.
"""

from __future__ import annotations

import hashlib
import io
import json
import multiprocessing
import os
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any, cast

from nacl.bindings import (
    crypto_core_ed25519_scalar_add,
    crypto_core_ed25519_scalar_mul,
    crypto_core_ed25519_scalar_reduce,
    crypto_scalarmult_ed25519_base_noclamp,
)

from till.errors import TillError
from till.fiscal.keys import InvalidKey, KeyRing, PublicKey, ShopKey, exact_hex
from till.fiscal.reader import UnreadableInput, read_stream
from till.fiscal.records import CHAINS, ChainHead
from till.fiscal.verify import ChainVerifier, VerificationSummary

FORMAT = "till-fiscal-archive/1"
MANIFEST = "manifeste.json"
KEYS = "cles_publiques.json"
README = "README.md"
VERIFIER = "verifier_archive.html"
# The records of each chain, as stored, one per line (JSON Lines), in a file named after them.
RECORD_FILES = {
    "order": "factures",
    "payment": "reglements",
    "closure": "clotures",
    "event": "journal",
}
CHUNK = 1 << 20
# Chains this long are checked in processes of their own when there are cores for it.
PARALLEL_FROM = 20_000


class ArchiveError(TillError):
    """The archive cannot be read as one: its defects cannot even be looked for."""

    code = "unreadable_archive"


def archive_name(start: date, end: date) -> str:
    return f"export_{start:%Y%m%d}_{end:%Y%m%d}.zip"


def records_name(chain: str, start: date, end: date) -> str:
    return f"{RECORD_FILES[chain]}-{start:%Y%m%d}-{end:%Y%m%d}.jsonl"


# ---------------------------------------------------------------------------- the manifest


@dataclass(frozen=True)
class ChainExtract:
    """A chain's records in an archive: `start` is the record just before the first one given
    (its head before the period), `end` the last one given (`start` when there is none)."""

    file: str
    records: int
    start: ChainHead
    end: ChainHead


@dataclass(frozen=True)
class PreviousArchive:
    number: int
    file: str
    sha256: str
    signature: str


@dataclass(frozen=True)
class Manifest:
    """What an archive holds and where it stands among the shop's archives."""

    number: int
    file: str
    previous: PreviousArchive | None
    shop: Mapping[str, Any]  # id, name, siret, vat_number, address
    start: date
    end: date
    sealed_from: str  # records sealed at or after this instant (UTC) ...
    sealed_until: str  # ... and before this one
    timezone: str
    opening_hour: int
    software: Mapping[str, str]  # name, version, fiscal_fingerprint
    signing_key: PublicKey
    chains: Mapping[str, ChainExtract]

    @property
    def shop_id(self) -> str:
        return str(self.shop["id"])

    @property
    def records(self) -> int:
        return sum(extract.records for extract in self.chains.values())

    def as_json(self) -> dict[str, Any]:
        previous = self.previous
        return {
            "format": FORMAT,
            "archive": {
                "number": self.number,
                "file": self.file,
                "previous": None
                if previous is None
                else {
                    "number": previous.number,
                    "file": previous.file,
                    "sha256": previous.sha256,
                    "signature": previous.signature,
                },
            },
            "shop": dict(self.shop),
            "period": {
                "start": self.start.isoformat(),
                "end": self.end.isoformat(),
                "sealed_from": self.sealed_from,
                "sealed_until": self.sealed_until,
                "timezone": self.timezone,
                "opening_hour": self.opening_hour,
            },
            "software": dict(self.software),
            "signing_key": {
                "key_id": self.signing_key.key_id,
                "public_key": self.signing_key.hex,
            },
            "records": self.records,
            "chains": {
                chain: {
                    "file": extract.file,
                    "records": extract.records,
                    "start": {"seq": extract.start.seq, "hash": extract.start.hash},
                    "end": {"seq": extract.end.seq, "hash": extract.end.hash},
                }
                for chain, extract in self.chains.items()
            },
        }

    def to_bytes(self) -> bytes:
        return (json.dumps(self.as_json(), ensure_ascii=False, indent=2) + "\n").encode("utf-8")

    @classmethod
    def from_json(cls, data: Any) -> Manifest:
        fields = _Fields(data, MANIFEST)
        if fields.text("format") != FORMAT:
            raise ArchiveError(f"{MANIFEST}: not a manifest of the format {FORMAT}")
        archive = fields.object("archive")
        period = fields.object("period")
        key = fields.object("signing_key")
        previous = archive.optional_object("previous")
        try:
            signing_key = PublicKey.from_hex(key.text("public_key"))
        except InvalidKey as error:
            raise ArchiveError(f"{MANIFEST}: signing_key: {error.message}") from None
        chains = fields.object("chains")
        return cls(
            number=archive.integer("number"),
            file=archive.text("file"),
            previous=None
            if previous is None
            else PreviousArchive(
                number=previous.integer("number"),
                file=previous.text("file"),
                sha256=previous.text("sha256"),
                signature=previous.text("signature"),
            ),
            shop=fields.object("shop").data,
            start=period.day("start"),
            end=period.day("end"),
            sealed_from=period.text("sealed_from"),
            sealed_until=period.text("sealed_until"),
            timezone=period.text("timezone"),
            opening_hour=period.integer("opening_hour"),
            software=fields.object("software").data,
            signing_key=signing_key,
            chains={name: _extract(chains.object(name)) for name in chains.data},
        )


def _extract(fields: _Fields) -> ChainExtract:
    start, end = fields.object("start"), fields.object("end")
    return ChainExtract(
        file=fields.text("file"),
        records=fields.integer("records"),
        start=ChainHead(start.integer("seq"), start.text("hash")),
        end=ChainHead(end.integer("seq"), end.text("hash")),
    )


class _Fields:
    """Typed access to a JSON object of the manifest, with the place of what is wrong."""

    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, dict):
            raise ArchiveError(f"{where} is not a JSON object")
        self.data: dict[str, Any] = data
        self.where = where

    def _get(self, name: str, kind: type, what: str) -> Any:
        value = self.data.get(name)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise ArchiveError(f"{self.where}: {name} must be {what}")
        return value

    def text(self, name: str) -> str:
        return str(self._get(name, str, "text"))

    def integer(self, name: str) -> int:
        return int(self._get(name, int, "an integer"))

    def day(self, name: str) -> date:
        try:
            return date.fromisoformat(self.text(name))
        except ValueError:
            raise ArchiveError(f"{self.where}: {name} must be a date YYYY-MM-DD") from None

    def object(self, name: str) -> _Fields:
        return _Fields(self.data.get(name), f"{self.where}: {name}")

    def optional_object(self, name: str) -> _Fields | None:
        return None if self.data.get(name) is None else self.object(name)


def keys_json(keys: Iterable[Mapping[str, Any]]) -> bytes:
    """The shop's public keys file: every key that sealed a record, rotated ones included."""
    return (json.dumps(list(keys), ensure_ascii=False, indent=2) + "\n").encode("utf-8")


# ---------------------------------------------------------------------------- writing


class ArchiveWriter:
    """Writes an archive's ZIP: deflated entries in the order they are added, each with the same
    date (the period's last day), attributes and compression, so that the same content always
    gives the same bytes. Record files are streamed, never held whole in memory."""

    def __init__(self, out: IO[bytes], day: date) -> None:
        self._zip = zipfile.ZipFile(out, "w")
        self._date_time = (day.year, day.month, day.day, 0, 0, 0)

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, self._date_time)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.create_system = 3  # Unix, whatever the system writing it
        info.external_attr = 0o100644 << 16
        return info

    def add(self, name: str, data: bytes) -> None:
        self._zip.writestr(self._info(name), data)

    def add_records(self, name: str, batches: Iterable[Iterable[str]]) -> int:
        """Write records (their stored canonical JSON) one per line; returns how many."""
        count = 0
        # Zip64 from the start: a year of a busy shop may pass 2 GiB before compression.
        with self._zip.open(self._info(name), "w", force_zip64=True) as entry:
            for batch in batches:
                lines = [body.encode("utf-8") for body in batch]
                count += len(lines)
                if lines:
                    entry.write(b"\n".join(lines) + b"\n")
        return count

    def close(self) -> None:
        self._zip.close()


def seal_file(key: ShopKey, stream: IO[bytes]) -> tuple[str, str]:
    """The SHA-256 and the Ed25519 signature (hex) of a file's bytes.

    The signature is RFC 8032's, the very bytes libsodium's `crypto_sign` gives (checked by the
    tests), computed from two passes over the file in chunks so that it never has to fit in
    memory: r = SHA-512(prefix || M), R = rB, k = SHA-512(R || A || M), S = r + k a (mod L).
    """
    expanded = hashlib.sha512(bytes.fromhex(key.seed_hex())).digest()
    secret = bytearray(expanded[:32])
    secret[0] &= 248
    secret[31] &= 127
    secret[31] |= 64
    digest = hashlib.sha256()
    nonce = hashlib.sha512(expanded[32:])
    for chunk in _chunks(stream):
        digest.update(chunk)
        nonce.update(chunk)
    r = crypto_core_ed25519_scalar_reduce(nonce.digest())
    point_r = crypto_scalarmult_ed25519_base_noclamp(r)
    challenge = hashlib.sha512(point_r + bytes.fromhex(key.public_key.hex))
    for chunk in _chunks(stream):
        challenge.update(chunk)
    k = crypto_core_ed25519_scalar_reduce(challenge.digest())
    a = crypto_core_ed25519_scalar_reduce(bytes(secret) + bytes(32))
    s = crypto_core_ed25519_scalar_add(r, crypto_core_ed25519_scalar_mul(k, a))
    return digest.hexdigest(), (point_r + s).hex()


def _chunks(stream: IO[bytes]) -> Iterator[bytes]:
    stream.seek(0)
    while chunk := stream.read(CHUNK):
        yield chunk


# ---------------------------------------------------------------------------- verifying


@dataclass
class ArchiveReport:
    """What a verification found besides the defects: the manifest, the records read, and the
    chains' last records."""

    manifest: Manifest | None = None
    records: int = 0
    heads: dict[str, ChainHead] = field(default_factory=dict)


class ArchiveVerifier:
    """Checks an archive as seed 003 describes: the ZIP's signature with the shop's public key,
    then every record of every chain inside (docs/sealing.md §5), from each chain's head before
    the period to its head at the end given by the manifest.

    `defects()` yields one line per defect; `report` holds what was read.
    """

    def __init__(
        self,
        path: Path,
        signature: str,
        signers: Sequence[PublicKey],
        *,
        shop: str | None = None,
    ) -> None:
        """`signers`: the shop's public keys the ZIP may be signed with (the `.pub` beside it);
        they check the records too, with the keys listed inside the archive."""
        self.path = path
        self.signer = signers[0]
        self._signers = signers
        self._signature = signature
        self._shop = shop
        self.report = ArchiveReport()

    def defects(self) -> Iterator[str]:
        signature = exact_hex(self._signature.strip().lower(), 64)
        if signature is None:
            raise ArchiveError("the signature must be 128 hexadecimal digits (64 bytes)")
        try:
            data = self.path.read_bytes()
        except OSError as error:
            raise ArchiveError(f"cannot read {self.path}: {error.strerror}") from None
        signer = next((key for key in self._signers if key.verify(data, signature)), None)
        del data
        if signer is None:
            tried = ", ".join(key.key_id for key in self._signers)
            yield (
                f"{self.path.name}: the ZIP's signature does not verify with the key {tried}: "
                "the archive was changed after it was signed, or this key did not sign it"
            )
        else:
            self.signer = signer
        try:
            with zipfile.ZipFile(self.path) as archive:
                yield from self._contents(archive)
        except (zipfile.BadZipFile, zlib.error, EOFError) as error:
            raise ArchiveError(f"{self.path.name} is not a readable ZIP: {error}") from None

    def _contents(self, archive: zipfile.ZipFile) -> Iterator[str]:
        manifest = Manifest.from_json(_json_entry(archive, MANIFEST))
        self.report.manifest = manifest
        if self._shop is not None and manifest.shop_id != self._shop:
            yield f"{MANIFEST}: the archive is of shop {manifest.shop_id!r}, not {self._shop!r}"
        ring = KeyRing(self._signers)
        listed_ids: set[str] = set()
        listed = _json_entry(archive, KEYS)
        if not isinstance(listed, list):
            raise ArchiveError(f"{KEYS} is not a JSON array of keys")
        for index, entry in enumerate(listed, 1):
            try:
                key = PublicKey.from_hex(entry["public_key"])
            except (InvalidKey, KeyError, TypeError, AttributeError):
                yield f"{KEYS}: key {index} is not a public key of 64 hexadecimal digits"
                continue
            if entry.get("key_id") != key.key_id:
                yield f"{KEYS}: key {index} is listed as {entry.get('key_id')!r}, not {key.key_id}"
            ring.add(key)
            listed_ids.add(key.key_id)
        if self.signer.key_id not in listed_ids:
            yield f"{KEYS}: the key that signed the archive ({self.signer.key_id}) is not listed"
        jobs = []
        for chain in CHAINS:
            extract = manifest.chains.get(chain)
            if extract is None:
                yield f"{MANIFEST}: the {chain} chain is missing"
            else:
                jobs.append(
                    _ChainJob(
                        str(self.path), [k.hex for k in ring], manifest.shop_id, chain, extract
                    )
                )
        for job, result in zip(jobs, _run_jobs(jobs), strict=True):
            yield from result.defects
            self.report.records += result.records
            self.report.heads[job.chain] = result.head

    def previous_archive(self) -> Iterator[str]:
        """When the previous archive the manifest names lies beside this one, check that it is
        the very one this archive was chained to (same SHA-256 and signature)."""
        manifest = self.report.manifest
        if manifest is None or manifest.previous is None:
            return
        previous = manifest.previous
        path = self.path.with_name(previous.file)
        if not path.exists():
            return
        digest = hashlib.sha256()
        with path.open("rb") as stream:
            for chunk in _chunks(stream):
                digest.update(chunk)
        if digest.hexdigest() != previous.sha256:
            yield (
                f"{path.name}: its SHA-256 is not the one this archive's manifest gives for "
                f"archive {previous.number}: it is not the archive this one follows"
            )
        signature = path.with_name(path.name + ".sig")
        if signature.exists() and signature.read_text().strip() != previous.signature:
            yield f"{signature.name}: not the signature this archive's manifest gives"


@dataclass(frozen=True)
class _ChainJob:
    """One chain of an archive to check: what a worker process needs, and nothing that it cannot
    be sent (keys in hex)."""

    path: str
    keys: list[str]
    shop: str
    chain: str
    extract: ChainExtract


@dataclass(frozen=True)
class _ChainResult:
    defects: list[str]
    records: int
    head: ChainHead


def _run_jobs(jobs: list[_ChainJob]) -> Iterator[_ChainResult]:
    """Each chain is checked on its own (docs/sealing.md §5), so the large ones are checked side
    by side, one process each, when there are cores for it: a year of a busy shop is mostly its
    order and payment chains, and a signature check takes a core's full time."""
    large = sum(1 for job in jobs if job.extract.records >= PARALLEL_FROM)
    workers = min(large, os.cpu_count() or 1)
    if workers < 2:
        yield from map(_check_chain, jobs)
        return
    # Spawned, not forked: the same on every system, and safe in a process that has threads.
    # A program that cannot be spawned from (no `if __name__ == "__main__"` guard) gets the
    # chains checked one after the other instead.
    context = multiprocessing.get_context("spawn")
    try:
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            results = list(pool.map(_check_chain, jobs))
    except BrokenProcessPool:
        results = [_check_chain(job) for job in jobs]
    yield from results


def _check_chain(job: _ChainJob) -> _ChainResult:
    name, chain, extract = job.extract.file, job.chain, job.extract
    defects: list[str] = []
    ring = KeyRing(PublicKey.from_hex(key) for key in job.keys)
    verifier = ChainVerifier(
        ring, shop=job.shop, starts={chain: extract.start}, heads={chain: extract.end}
    )
    count = 0
    with zipfile.ZipFile(job.path) as archive:
        try:
            # zipfile reads lines in Python; a buffered reader over it does it in C.
            entry = io.BufferedReader(cast(io.RawIOBase, archive.open(name)), CHUNK)
        except KeyError:
            return _ChainResult(
                [f"{name}: missing from the archive ({chain} chain)"], 0, extract.start
            )
        with entry:
            try:
                for record in read_stream(entry, name):
                    count += 1
                    if isinstance(record, dict) and record.get("chain") != chain:
                        defects.append(f"{name}: record {count}: not a record of the {chain} chain")
                    defects.extend(f"{name}: {defect}" for defect in verifier.check(record))
            except (zipfile.BadZipFile, zlib.error, EOFError) as error:
                defects.append(f"{name}: damaged in the ZIP ({error})")
            except UnreadableInput as error:
                defects.append(error.message)
    defects.extend(f"{name}: {defect}" for defect in verifier.finish())
    if count != extract.records:
        defects.append(f"{name}: {count} record(s) where the manifest announces {extract.records}")
    summary: VerificationSummary = verifier.summary()
    return _ChainResult(defects, count, summary.heads.get(chain, extract.start))


def _json_entry(archive: zipfile.ZipFile, name: str) -> Any:
    try:
        data = archive.read(name)
    except KeyError:
        raise ArchiveError(f"{name} is missing from the archive") from None
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ArchiveError(f"{name} is not valid JSON: {error}") from None
