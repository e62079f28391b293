"""`till-verify`: check a chain of sealed records, or a signed fiscal archive, offline with the
shop's public key.

Exit status: 0 when intact, 1 with one line per defect, 2 when the input is unreadable.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from till.about import command_parser
from till.errors import TillError
from till.fiscal.archive import ArchiveVerifier
from till.fiscal.keys import KeyRing, PublicKey
from till.fiscal.reader import read_records
from till.fiscal.records import CHAINS, ChainHead
from till.fiscal.verify import ChainVerifier

EXIT_INTACT, EXIT_DEFECTS, EXIT_UNREADABLE = 0, 1, 2


_HEAD = re.compile(r"(?P<chain>[a-z]+):(?P<seq>[0-9]{1,15}):(?P<hash>[0-9a-f]{64})")


class _UsageError(TillError):
    code = "usage"


def _parser() -> argparse.ArgumentParser:
    parser = command_parser(
        "till-verify",
        "Verify a chain of sealed till records (a JSON array or JSON lines), or a fiscal "
        "archive export_YYYYMMDD_YYYYMMDD.zip with its signature, offline.",
    )
    parser.add_argument(
        "chain_file",
        type=Path,
        metavar="FILE",
        help="the records, in their stored order; or an archive's ZIP",
    )
    parser.add_argument(
        "--key",
        action="append",
        default=[],
        metavar="HEX",
        help="a public key of the shop, 64 hex digits (repeat for rotated keys)",
    )
    parser.add_argument(
        "--key-file",
        action="append",
        default=[],
        type=Path,
        metavar="PATH",
        help="a file holding public keys in hex, one per line",
    )
    parser.add_argument(
        "--sig",
        type=Path,
        metavar="PATH",
        help="an archive's signature file (default: the ZIP's name followed by .sig, beside it)",
    )
    parser.add_argument("--shop", help="the shop the records must belong to")
    parser.add_argument(
        "--head",
        action="append",
        default=[],
        metavar="CHAIN:SEQ:HASH",
        help="a head recorded elsewhere (closure, till) that the chain must reach",
    )
    parser.add_argument(
        "--start",
        action="append",
        default=[],
        metavar="CHAIN:SEQ:HASH",
        help="the record just before the first one given, for a chain excerpt",
    )
    return parser


def _keys(args: argparse.Namespace, beside: Path | None = None) -> list[PublicKey]:
    """The keys given; for an archive, by default the public key file `beside` it."""
    texts: list[str] = list(args.key)
    files: list[Path] = list(args.key_file)
    if not texts and not files and beside is not None and beside.exists():
        files.append(beside)
    for path in files:
        texts.extend(_read_text(path, "key file").split())
    if not texts:
        raise _UsageError(
            "give the shop's public key with --key HEX or --key-file PATH"
            + ("" if beside is None else f" (or put it in {beside.name} beside the archive)")
        )
    return [PublicKey.from_hex(text) for text in texts]


def _read_text(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise _UsageError(f"cannot read the {what} {path}: {error}") from None


def _heads(specs: Sequence[str], option: str) -> dict[str, ChainHead]:
    heads: dict[str, ChainHead] = {}
    for spec in specs:
        match = _HEAD.fullmatch(spec.strip().lower())
        if match is None or match["chain"] not in CHAINS:
            raise _UsageError(
                f"{option} {spec!r}: expected CHAIN:SEQ:HASH with CHAIN one of "
                f"{', '.join(CHAINS)} and a hash of 64 hex digits"
            )
        heads[match["chain"]] = ChainHead(int(match["seq"]), match["hash"])
    return heads


def run(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if zipfile.is_zipfile(args.chain_file):
        return _run_archive(args, sys.stdout)
    out = sys.stdout
    defects = 0
    try:
        verifier = ChainVerifier(
            KeyRing(_keys(args)),
            shop=args.shop,
            starts=_heads(args.start, "--start"),
            heads=_heads(args.head, "--head"),
        )
        for record in read_records(args.chain_file):
            for defect in verifier.check(record):
                defects += 1
                print(defect, file=out)
        for defect in verifier.finish():
            defects += 1
            print(defect, file=out)
    except TillError as error:
        print(f"till-verify: {error.message}", file=sys.stderr)
        return EXIT_UNREADABLE
    summary = verifier.summary()
    if summary.records == 0:
        print(f"till-verify: {args.chain_file} holds no record to verify", file=sys.stderr)
        return EXIT_UNREADABLE
    if defects:
        print(f"FAILED: {defects} defect(s) in {summary.records} record(s)", file=out)
        return EXIT_DEFECTS
    chains = "; ".join(
        f"{name} up to seq {head.seq} ({head.hash[:16]})" for name, head in summary.heads.items()
    )
    print(f"OK: {summary.records} record(s) intact; {chains}", file=out)
    return EXIT_INTACT


def _run_archive(args: argparse.Namespace, out: TextIO) -> int:
    """Seed 003's checks: the ZIP's signature with the shop's public key, then every chain."""
    path: Path = args.chain_file
    defects = 0
    try:
        if args.head or args.start:
            raise _UsageError("an archive gives the start and end of its chains itself")
        signature = _read_text(args.sig or path.with_name(f"{path.name}.sig"), "signature file")
        verifier = ArchiveVerifier(
            path, signature, _keys(args, path.with_name(f"{path.name}.pub")), shop=args.shop
        )
        for defect in verifier.defects():
            defects += 1
            print(defect, file=out)
        for defect in verifier.previous_archive():
            defects += 1
            print(defect, file=out)
    except TillError as error:
        print(f"till-verify: {error.message}", file=sys.stderr)
        return EXIT_UNREADABLE
    report = verifier.report
    if defects:
        print(f"FAILED: {defects} defect(s) in {path.name} ({report.records} record(s))", file=out)
        return EXIT_DEFECTS
    manifest = report.manifest
    assert manifest is not None  # read, or the archive was unreadable
    chains = "; ".join(
        f"{name} up to seq {head.seq} ({head.hash[:16]})" for name, head in report.heads.items()
    )
    print(
        f"OK: {path.name} signed by key {verifier.signer.key_id} (compare it with the shop's "
        f"published key); shop {manifest.shop_id}, {manifest.start} to {manifest.end}; "
        f"{report.records} record(s) intact; {chains}",
        file=out,
    )
    return EXIT_INTACT


def main() -> None:
    try:
        code = run()
        sys.stdout.flush()
    except KeyboardInterrupt:
        code = EXIT_UNREADABLE
    except BrokenPipeError:
        # The reader of our output went away (`| head`): stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = EXIT_UNREADABLE
    except Exception as error:  # the promise is a message, never a traceback
        print(f"till-verify: unexpected error: {error!r}", file=sys.stderr)
        code = EXIT_UNREADABLE
    sys.exit(code)
