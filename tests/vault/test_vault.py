"""The vault on a real server: versions, encryption at rest, data-action RBAC, audit, and masking
of secret values in job logs."""

from __future__ import annotations

import io
import os
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from lakebox import MLClient, NotFoundError, PermissionDeniedError, command
from lakebox.entities import Vault
from lakebox.errors import LakeboxError
from lakebox.vault.crypto import SecretCipher
from lakebox.vault.redaction import Redactor, filter_stream
from tests.conftest import RunningWorkspace

SQL_PASSWORD = "Pa55-word-of-the-sql-admin"


@pytest.fixture
def ml_client(shared_workspace: RunningWorkspace) -> Iterator[MLClient]:
    with MLClient(path=shared_workspace.layout.root) as client:
        client.vaults.create_or_update(Vault(name="keyvault", description="the seed's vault"))
        yield client


def test_cipher_binds_values_to_their_slot_and_key() -> None:
    cipher = SecretCipher(os.urandom(32))
    sealed = cipher.seal("s3cret-value", "keyvault/a/1")
    assert b"s3cret" not in sealed.ciphertext
    assert cipher.open(sealed, "keyvault/a/1") == "s3cret-value"
    with pytest.raises(LakeboxError, match="failed its integrity check"):
        cipher.open(sealed, "keyvault/b/1")  # a row's ciphertext copied onto another secret
    with pytest.raises(LakeboxError, match=f"encrypted with master key {cipher.key_id}"):
        SecretCipher(os.urandom(32)).open(sealed, "keyvault/a/1")


def test_redactor_masks_values_lines_and_values_split_across_writes() -> None:
    redactor = Redactor(["hunter2-long", "line-one\nline-two", "abc"])
    assert redactor.redact(b"pw=hunter2-long; key line-two") == b"pw=***; key ***"
    assert redactor.redact(b"abc is too short to mask") == b"abc is too short to mask"
    source_read, source_write = os.pipe()
    sink_read, sink_write = os.pipe()
    worker = threading.Thread(target=filter_stream, args=(redactor, source_read, sink_write))
    worker.start()
    for piece in (b"start hunt", b"er2-lo", b"ng end\n"):
        os.write(source_write, piece)
    os.close(source_write)
    worker.join(timeout=10)
    os.close(sink_write)
    with os.fdopen(sink_read, "rb") as sink:
        assert sink.read() == b"start *** end\n"


def test_versions_values_and_no_plaintext_at_rest(ml_client: MLClient, shared_workspace: RunningWorkspace) -> None:
    first = ml_client.secrets.set("keyvault", "versioned-password", "first-value-1")
    second = ml_client.secrets.set("keyvault", "versioned-password", SQL_PASSWORD, content_type="password")
    assert first.version != second.version
    assert ml_client.secrets.get("keyvault", "versioned-password").value == SQL_PASSWORD
    assert ml_client.secrets.get("keyvault", "versioned-password", first.version).value == "first-value-1"
    assert [v.version for v in ml_client.secrets.list_versions("keyvault", "versioned-password")] == [
        first.version,
        second.version,
    ]
    listed = ml_client.secrets.list("keyvault")
    assert [(s.name, s.version, s.content_type) for s in listed if s.name == "versioned-password"] == [
        ("versioned-password", second.version, "password")
    ]
    assert SQL_PASSWORD not in repr(ml_client.secrets.get("keyvault", "versioned-password"))
    at_rest = b"".join(p.read_bytes() for p in shared_workspace.layout.root.glob("lakebox.db*"))
    assert b"first-value-1" not in at_rest and SQL_PASSWORD.encode() not in at_rest
    key_file = shared_workspace.layout.master_key_file
    assert key_file.stat().st_mode & 0o777 == 0o600


def test_disabled_and_deleted_secrets(ml_client: MLClient) -> None:
    version = ml_client.secrets.set("keyvault", "rotating", "old-rotating-value").version
    ml_client.secrets.update("keyvault", "rotating", version, enabled=False)
    with pytest.raises(PermissionDeniedError, match=f"version {version} in vault 'keyvault' is disabled"):
        ml_client.secrets.get("keyvault", "rotating")
    ml_client.secrets.delete("keyvault", "rotating")
    with pytest.raises(NotFoundError, match="secret 'rotating' not found in vault 'keyvault'"):
        ml_client.secrets.get("keyvault", "rotating")
    with pytest.raises(NotFoundError, match="vault 'no-such-vault' not found"):
        ml_client.secrets.get("no-such-vault", "sql-password")


@pytest.mark.parametrize(
    ("role", "can_list", "can_read", "can_set"),
    [
        ("Reader", False, False, False),
        ("Contributor", False, False, False),
        ("Key Vault Secrets User", True, True, False),
        ("Key Vault Secrets Officer", True, True, True),
    ],
)
def test_secret_values_need_data_roles(
    ml_client: MLClient, shared_workspace: RunningWorkspace, role: str, can_list: bool, can_read: bool, can_set: bool
) -> None:
    ml_client.secrets.set("keyvault", "api-key", "the-api-key-value")
    _, token = shared_workspace.new_identity(role)
    with shared_workspace.http(token) as caller:
        listed = caller.get("/api/v1/vaults/keyvault/secrets")
        read = caller.get("/api/v1/vaults/keyvault/secrets/api-key")
        written = caller.put("/api/v1/vaults/keyvault/secrets/api-key", json={"value": "overwritten-value"})
    assert (listed.status_code == 200, read.status_code == 200, written.status_code == 201) == (
        can_list,
        can_read,
        can_set,
    )
    if not can_read:
        assert read.json()["details"] == {
            "action": "lakebox/workspaces/vaults/secrets/getSecret/action",
            "scope": shared_workspace.layout.read_config().resource_id + "/vaults/keyvault",
            "data_action": True,
        }
        assert "the-api-key-value" not in read.text


def test_reads_are_audited_by_name_never_by_value(ml_client: MLClient, shared_workspace: RunningWorkspace) -> None:
    ml_client.secrets.set("keyvault", "audited", "audited-secret-value")
    ml_client.secrets.get("keyvault", "audited")
    entries = [e for e in ml_client.audit.list(limit=50) if e.target.endswith("/vaults/keyvault/secrets/audited")]
    assert {e.action for e in entries} >= {
        "lakebox/workspaces/vaults/secrets/getSecret/action",
        "lakebox/workspaces/vaults/secrets/setSecret/action",
    }
    with shared_workspace.http() as owner:
        exposed = owner.get("/api/v1/audit", params={"limit": 1000}).text
    assert "audited-secret-value" not in exposed
    assert "audited-secret-value" not in shared_workspace.layout.server_log_file.read_text()


def test_job_reads_a_secret_as_its_identity_and_its_log_masks_it(
    ml_client: MLClient, shared_workspace: RunningWorkspace, tmp_path: Path
) -> None:
    ml_client.secrets.set("keyvault", "job-secret", "job-visible-secret-42")
    (tmp_path / "read_secret.py").write_text(
        textwrap.dedent(
            """
            from lakebox import MLClient
            value = MLClient().secrets.get("keyvault", "job-secret").value
            print(f"the value is {value}!", flush=True)
            print("length", len(value))
            """
        )
    )
    job = ml_client.jobs.create_or_update(command(code=tmp_path, command="python read_secret.py"))
    out = io.StringIO()
    ml_client.jobs.stream(job.name, out=out)
    assert "the value is ***!" in out.getvalue()
    assert "length 21" in out.getvalue()
    log = shared_workspace.layout.jobs_dir / job.name / "user_logs" / "std_log.txt"
    assert "job-visible-secret-42" not in log.read_text()
    reads = [e for e in ml_client.audit.list(limit=50) if e.target.endswith("/secrets/job-secret")]
    assert ("workspace-managed-identity", "lakebox/workspaces/vaults/secrets/getSecret/action") in {
        (e.principal_name, e.action) for e in reads
    }
