"""Where the till keeps its device token: the system keyring, or, only when explicitly configured,
a file readable by this user alone. With neither, the till refuses to start its client (fail
closed) and says how to set a keyring up. Session tokens are never stored: a PIN log-in lasts as
long as the program.
"""

from __future__ import annotations

import contextlib
import os
import stat
import threading
from pathlib import Path
from typing import Protocol

import orjson
from keyring.backend import KeyringBackend
from keyring.backends import fail, null
from keyring.core import get_keyring
from keyring.errors import KeyringError

from sync.errors import CredentialsError, NoKeyring
from sync.files import atomic_write

SERVICE = "till-device-token"
# keyring's own threshold: backends below it are not recommended (plain-text files and the like).
RECOMMENDED_PRIORITY = 1


class CredentialStore(Protocol):
    """The device token of this till, per server address."""

    def device_token(self, server: str) -> str | None: ...
    def save_device_token(self, server: str, token: str) -> None: ...
    def forget_device_token(self, server: str) -> None: ...


class KeyringCredentials:
    """The system keyring (Secret Service, KWallet, Windows Credential Manager, macOS Keychain).
    `backend` is for tests and demos; by default it is the one keyring chooses for this user."""

    def __init__(self, backend: KeyringBackend | None = None) -> None:
        backend = backend or get_keyring()
        if isinstance(backend, fail.Keyring | null.Keyring):
            raise NoKeyring("none is installed or running")
        priority = float(backend.priority)
        if priority < RECOMMENDED_PRIORITY:
            raise NoKeyring(f"only {type(backend).__name__}, which keeps secrets unprotected")
        self.backend = backend

    def device_token(self, server: str) -> str | None:
        try:
            return self.backend.get_password(SERVICE, server)
        except KeyringError as error:
            raise NoKeyring(f"{type(self.backend).__name__}: {error}") from None

    def save_device_token(self, server: str, token: str) -> None:
        try:
            self.backend.set_password(SERVICE, server, token)
        except KeyringError as error:
            raise NoKeyring(f"{type(self.backend).__name__}: {error}") from None

    def forget_device_token(self, server: str) -> None:
        with contextlib.suppress(KeyringError):  # nothing stored: nothing to forget
            self.backend.delete_password(SERVICE, server)


class FileCredentials:
    """A JSON file of tokens, mode 0600, written atomically; a file others can read is refused."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def _read(self) -> dict[str, str]:
        try:
            info = self.path.stat()
        except FileNotFoundError:
            return {}
        if os.name == "posix" and info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise CredentialsError(
                f"The credentials file {self.path} can be read by other users (mode "
                f"{stat.S_IMODE(info.st_mode):04o}): the till will not use it. Make it private "
                f"with `chmod 600 {self.path}`, or enroll the till again."
            )
        try:
            tokens = orjson.loads(self.path.read_bytes())
        except (OSError, orjson.JSONDecodeError) as error:
            raise CredentialsError(
                f"The credentials file {self.path} cannot be read ({error}); enroll the till again."
            ) from None
        if not isinstance(tokens, dict):
            raise CredentialsError(f"The credentials file {self.path} is not what the till wrote.")
        return {str(key): str(value) for key, value in tokens.items()}

    def _write(self, tokens: dict[str, str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(self.path, private=True) as file:
            file.write(orjson.dumps(tokens))

    def device_token(self, server: str) -> str | None:
        with self._lock:
            return self._read().get(server)

    def save_device_token(self, server: str, token: str) -> None:
        with self._lock:
            tokens = self._read()
            tokens[server] = token
            self._write(tokens)

    def forget_device_token(self, server: str) -> None:
        with self._lock:
            tokens = self._read()
            if tokens.pop(server, None) is not None:
                self._write(tokens)


class MemoryCredentials:
    """Tokens held by this process only: for tests and demos."""

    def __init__(self) -> None:
        self._tokens: dict[str, str] = {}

    def device_token(self, server: str) -> str | None:
        return self._tokens.get(server)

    def save_device_token(self, server: str, token: str) -> None:
        self._tokens[server] = token

    def forget_device_token(self, server: str) -> None:
        self._tokens.pop(server, None)
