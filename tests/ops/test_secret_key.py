"""The session key every host agrees on: FORMWORK_SECRET_KEY, an earlier release's file, else the instance key's."""
from __future__ import annotations

from pathlib import Path

import pytest

from cli.environment import secret_key


def test_hosts_with_one_instance_key_derive_one_session_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FORMWORK_SECRET_KEY", raising=False)
    monkeypatch.setenv("FORMWORK_INSTANCE_KEY", "ab" * 32)
    keys = set()
    for host in ("a", "b"):
        monkeypatch.setenv("FORMWORK_INSTANCE", str(tmp_path / host))
        keys.add(secret_key())
        assert not (tmp_path / host / "secret_key").exists()  # nothing per host to copy around
    [shared] = keys
    assert len(shared) == 64
    monkeypatch.setenv("FORMWORK_INSTANCE_KEY", "cd" * 32)
    assert secret_key() != shared  # another installation, another key


def test_a_configured_key_or_an_earlier_releases_file_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORMWORK_INSTANCE", str(tmp_path))
    monkeypatch.delenv("FORMWORK_SECRET_KEY", raising=False)
    (tmp_path / "secret_key").write_text("from-an-earlier-release\n")
    assert secret_key() == "from-an-earlier-release"   # its sessions stay valid
    monkeypatch.setenv("FORMWORK_SECRET_KEY", "configured")
    assert secret_key() == "configured"
