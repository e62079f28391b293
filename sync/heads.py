"""The last chain heads the server showed this till, kept across restarts: a server that later
shows a chain shorter than that (restored from an old backup, rolled back, truncated), or another
record at the same place (a fork), raises an alarm that is kept until a manager clears it.

Heads come signed with the shop's key; the signature is checked with the shop's public keys (read
from the server once, then kept). Heads whose signature does not verify are not believed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

from sync.errors import SyncError
from sync.events import ChainAlarm, Events
from sync.store import LocalStore
from till.fiscal.canonical import canonical_json
from till.fiscal.keys import InvalidKey, PublicKey, exact_hex, key_id_of

log = logging.getLogger("till.sync")

HEADS = "chain_heads"
KEYS = "public_keys"
ALARMS = "chain_alarms"

PublicKeySource = Callable[[str], list[dict[str, Any]]]


def _head(value: Any) -> dict[str, Any] | None:
    """{"seq": int, "hash": 64 hex} or None when it is not that."""
    if not isinstance(value, Mapping):
        return None
    seq, digest = value.get("seq"), value.get("hash")
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
        return None
    if exact_hex(digest, 32) is None:
        return None
    return {"seq": seq, "hash": digest}


class ChainHeads:
    """`observe` every set of heads the server shows; alarms are announced, kept and returned."""

    def __init__(
        self, store: LocalStore, events: Events, public_keys: PublicKeySource | None = None
    ) -> None:
        self._store = store
        self._events = events
        self._public_keys = public_keys
        self._lock = threading.Lock()
        self._heads: dict[str, dict[str, dict[str, Any]]] = store.get(HEADS) or {}
        self._keys: dict[str, dict[str, str]] = store.get(KEYS) or {}

    def remembered(self, shop_id: str) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {chain: dict(head) for chain, head in self._heads.get(shop_id, {}).items()}

    def alarms(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._store.get(ALARMS) or []
        return found

    def clear_alarms(self) -> None:
        """A manager has dealt with them (and with the server's operators)."""
        self._store.set(ALARMS, None)

    def observe(
        self,
        shop_id: str,
        heads: Mapping[str, Any],
        signature: Mapping[str, Any] | None = None,
        *,
        replayed: bool = False,
    ) -> list[ChainAlarm]:
        """Compare heads the server shows with the ones it showed before, and keep the newest.
        `replayed`: the heads come from a replayed answer, as old as the first one, so only a
        different record at a remembered place counts against them."""
        if signature is not None:
            problem = self._check_signature(shop_id, heads, signature)
            if problem is not None:
                self._keep(None, [problem])
                return [problem]
        alarms: list[ChainAlarm] = []
        with self._lock:
            before_all = self._heads.get(shop_id, {})
            known = dict(before_all)
            for chain, value in heads.items():
                shown = _head(value)
                if shown is None:
                    alarms.append(self._alarm(shop_id, chain, "malformed", None, None))
                    continue
                before = known.get(chain)
                if before is None or shown["seq"] > before["seq"]:
                    known[chain] = shown
                elif shown["seq"] == before["seq"] and shown["hash"] != before["hash"]:
                    alarms.append(self._alarm(shop_id, chain, "forked", before, shown))
                elif shown["seq"] < before["seq"] and not replayed:
                    alarms.append(self._alarm(shop_id, chain, "went_back", before, shown))
            heads_now = None
            if known != before_all:
                self._heads[shop_id] = known
                heads_now = {shop: dict(chains) for shop, chains in self._heads.items()}
        self._keep(heads_now, alarms)
        return alarms

    def _keep(
        self, heads: dict[str, dict[str, dict[str, Any]]] | None, alarms: list[ChainAlarm]
    ) -> None:
        """Write the new heads and the new alarms in one transaction, then announce the alarms."""
        if heads is None and not alarms:
            return
        with self._store.transaction() as db:
            if heads is not None:
                self._store.put(db, HEADS, heads)
            if alarms:
                kept = self._store.fetch(db, ALARMS) or []
                self._store.put(db, ALARMS, kept + [self._as_json(alarm) for alarm in alarms])
        for alarm in alarms:
            log.error("chain alarm: %s", alarm.message)
            self._events.emit(alarm)

    @staticmethod
    def _as_json(alarm: ChainAlarm) -> dict[str, Any]:
        return {
            "shop_id": alarm.shop_id,
            "chain": alarm.chain,
            "kind": alarm.kind,
            "message": alarm.message,
            "remembered": alarm.remembered,
            "shown": alarm.shown,
        }

    @staticmethod
    def _alarm(
        shop_id: str,
        chain: str,
        kind: str,
        remembered: dict[str, Any] | None,
        shown: dict[str, Any] | None,
    ) -> ChainAlarm:
        if kind == "went_back":
            assert remembered is not None and shown is not None
            what = (
                f"its {chain} chain now ends at record {shown['seq']}, but it showed record "
                f"{remembered['seq']} before: records were lost (a restored backup or a rollback)"
            )
        elif kind == "forked":
            assert remembered is not None
            what = (
                f"record {remembered['seq']} of its {chain} chain is not the one it showed before: "
                "the chain was rewritten"
            )
        elif kind == "malformed":
            what = f"the head it shows for its {chain} chain is not a head"
        else:
            what = f"the signature of its chain heads does not verify ({kind.replace('_', ' ')})"
        return ChainAlarm(
            shop_id,
            chain,
            kind,
            f"Fiscal alarm: the server of shop {shop_id} contradicts itself: {what}. Tell the "
            "manager; validations should stop until the server's operators have checked it.",
            remembered,
            shown,
        )

    # ------------------------------------------------------------------------ signatures

    def _check_signature(
        self, shop_id: str, heads: Mapping[str, Any], signature: Mapping[str, Any]
    ) -> ChainAlarm | None:
        key_id, signed_at, hex_signature = (
            signature.get("key_id"),
            signature.get("signed_at"),
            signature.get("signature"),
        )
        raw = exact_hex(hex_signature, 64)
        if not isinstance(key_id, str) or not isinstance(signed_at, str) or raw is None:
            return self._alarm(shop_id, "*", "bad_signature", None, None)
        key = self._key(shop_id, key_id)
        if key is None and self._public_keys is not None:
            # A key this till has never seen: read the shop's keys again. Still unknown is an
            # alarm; not being able to ask now is not (the heads are then taken unsigned).
            try:
                self._refresh_keys(shop_id)
            except SyncError as error:
                log.warning("the shop's public keys could not be read: %s", error.message)
                return None
            key = self._key(shop_id, key_id)
            if key is None:
                return self._alarm(shop_id, "*", "unknown_key", None, None)
        if key is None:
            return None
        message = canonical_json(
            {"shop_id": shop_id, "chain_heads": dict(heads), "signed_at": signed_at}
        )
        if not key.verify(message, raw):
            return self._alarm(shop_id, "*", "bad_signature", None, None)
        return None

    def _key(self, shop_id: str, key_id: str) -> PublicKey | None:
        with self._lock:
            hex_key = self._keys.get(shop_id, {}).get(key_id)
        return PublicKey.from_hex(hex_key) if hex_key else None

    def _refresh_keys(self, shop_id: str) -> None:
        assert self._public_keys is not None
        found: dict[str, str] = {}
        for entry in self._public_keys(shop_id):
            try:
                key = PublicKey.from_hex(str(entry.get("public_key", "")))
            except InvalidKey:
                continue
            # A key is known by the digest of its bytes, never by what the answer calls it.
            if key_id_of(bytes.fromhex(key.hex)) == entry.get("key_id"):
                found[key.key_id] = key.hex
        with self._lock:
            # Keys are only ever added: a retired key still verifies what it signed.
            self._keys[shop_id] = {**self._keys.get(shop_id, {}), **found}
            keys = dict(self._keys)
        self._store.set(KEYS, keys)
