"""Credentials: the device token in a keyring (here one held in memory, never the developer's),
fail closed with a how-to when there is no keyring, and a 0600 file only when configured so."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail, null
from keyring.errors import KeyringLocked, PasswordDeleteError
from pydantic import ValidationError

import sync.credentials
from sync.clock import FakeClock
from sync.credentials import FileCredentials, KeyringCredentials, MemoryCredentials
from sync.errors import CredentialsError, NoKeyring, NotEnrolled
from sync.service import SyncSettings, TillSync, credentials_for

SERVER = "https://caisse.example.fr"


class MemoryKeyring(KeyringBackend):
    """A keyring backend that keeps its secrets in this process only."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.secrets.pop((service, username), None) is None:
            raise PasswordDeleteError("not there")


class LockedKeyring(MemoryKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("the keyring is locked")


class PlainTextKeyring(MemoryKeyring):
    priority = 0.5  # type: ignore[assignment]


def test_the_device_token_lives_in_the_keyring() -> None:
    backend = MemoryKeyring()
    credentials = KeyringCredentials(backend)
    assert credentials.device_token(SERVER) is None
    credentials.save_device_token(SERVER, "token-1")
    assert credentials.device_token(SERVER) == "token-1"
    assert backend.secrets == {("till-device-token", SERVER): "token-1"}
    credentials.forget_device_token(SERVER)
    credentials.forget_device_token(SERVER)
    assert credentials.device_token(SERVER) is None


@pytest.mark.parametrize("backend", [fail.Keyring(), null.Keyring(), PlainTextKeyring()])
def test_no_keyring_fails_closed_and_says_how_to_set_one_up(backend: Any) -> None:
    with pytest.raises(NoKeyring) as refused:
        KeyringCredentials(backend)
    message = refused.value.message
    assert "gnome-keyring" in message and "KWallet" in message
    assert "TILL_SYNC_CREDENTIALS=file" in message


def test_a_locked_keyring_fails_closed() -> None:
    credentials = KeyringCredentials(LockedKeyring())
    with pytest.raises(NoKeyring) as refused:
        credentials.device_token(SERVER)
    assert "locked" in refused.value.message


def test_the_till_does_not_start_without_a_keyring(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(sync.credentials, "get_keyring", fail.Keyring)
    settings = SyncSettings(server=SERVER, data_dir=tmp_path)
    with pytest.raises(NoKeyring):
        TillSync(settings, clock=FakeClock())
    assert not (tmp_path / "drafts.sqlite3").exists()  # it stopped before anything else


def test_the_file_store_only_when_configured(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as refused:
        SyncSettings(server=SERVER, credentials="file")
    assert "TILL_SYNC_CREDENTIALS_FILE" in str(refused.value)
    path = tmp_path / "secrets" / "till.json"
    chosen = credentials_for(SyncSettings(server=SERVER, credentials="file", credentials_file=path))
    assert isinstance(chosen, FileCredentials) and chosen.path == path


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_the_file_store_is_private_and_written_whole(tmp_path: Path) -> None:
    path = tmp_path / "till.json"
    credentials = FileCredentials(path)
    credentials.save_device_token(SERVER, "token-1")
    credentials.save_device_token("https://other.example.fr", "token-2")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [entry.name for entry in tmp_path.iterdir()] == ["till.json"]  # no temporary left
    assert FileCredentials(path).device_token(SERVER) == "token-1"
    credentials.forget_device_token(SERVER)
    assert FileCredentials(path).device_token(SERVER) is None
    assert FileCredentials(path).device_token("https://other.example.fr") == "token-2"


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_a_file_others_can_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "till.json"
    FileCredentials(path).save_device_token(SERVER, "token-1")
    path.chmod(0o644)
    with pytest.raises(CredentialsError) as refused:
        FileCredentials(path).device_token(SERVER)
    assert "chmod 600" in refused.value.message and "0644" in refused.value.message
    path.chmod(0o600)
    path.write_text("[1, 2")
    with pytest.raises(CredentialsError) as refused:
        FileCredentials(path).device_token(SERVER)
    assert "enroll the till again" in refused.value.message


def test_logging_in_needs_an_enrolled_till(tmp_path: Path) -> None:
    till = TillSync(
        SyncSettings(server=SERVER, data_dir=tmp_path),
        clock=FakeClock(),
        credentials=MemoryCredentials(),
    )
    try:
        with pytest.raises(NotEnrolled) as refused:
            till.log_in("u-karim", "1111")
        assert "enrollment code" in refused.value.message
    finally:
        till.close()


def test_plain_http_only_to_this_machine() -> None:
    assert SyncSettings(server="http://127.0.0.1:8000").server_url == "http://127.0.0.1:8000"
    assert SyncSettings(server="http://localhost:8000/").server_url == "http://localhost:8000"
    with pytest.raises(ValidationError) as refused:
        SyncSettings(server="http://192.0.2.10:8000")
    assert "use https" in str(refused.value)
    assert SyncSettings(server="http://192.0.2.10:8000", allow_plain_http=True)
