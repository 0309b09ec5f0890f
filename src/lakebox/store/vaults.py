"""Vaults and their secrets. Values are sealed before they reach a row and opened only on demand."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from lakebox.entities import KeyVaultSecret, SecretProperties, SecretSet, SecretUpdate, Vault
from lakebox.errors import NotFoundError, PermissionDeniedError
from lakebox.store.db import Database
from lakebox.store.models import SecretRow, VaultRow
from lakebox.vault.crypto import Sealed, SecretCipher


def _slot(vault_key: str, name_key: str, version: str) -> str:
    return f"{vault_key}/{name_key}/{version}"


class VaultStore:
    """``master_key`` is called once, when a value is first sealed or opened."""

    def __init__(self, db: Database, master_key: Callable[[], bytes]) -> None:
        self._db = db
        self._master_key = master_key

    @functools.cached_property
    def _cipher(self) -> SecretCipher:
        return SecretCipher(self._master_key())

    # Vaults

    def create_vault(self, vault: Vault) -> tuple[Vault, bool]:
        """Create or update a vault's description and tags; returns it and whether it was created."""
        with self._db.write_lock, self._db.session() as session:
            row = session.get(VaultRow, vault.name.lower())
            created = row is None
            if row is None:
                row = VaultRow(name_key=vault.name.lower(), name=vault.name)
                session.add(row)
            row.description, row.tags = vault.description, vault.tags
            session.flush()
            return row.to_entity(), created

    def get_vault(self, name: str) -> Vault:
        with self._db.session() as session:
            return self._vault_row(session, name).to_entity()

    def list_vaults(self) -> list[Vault]:
        with self._db.session() as session:
            return [row.to_entity() for row in session.scalars(select(VaultRow).order_by(VaultRow.name_key))]

    def delete_vault(self, name: str) -> None:
        """Delete a vault with every secret in it."""
        with self._db.write_lock, self._db.session() as session:
            row = self._vault_row(session, name)
            for secret in session.scalars(select(SecretRow).where(SecretRow.vault_key == row.name_key)):
                session.delete(secret)
            session.delete(row)

    # Secrets

    def set_secret(self, vault: str, name: str, secret: SecretSet, created_by: str) -> SecretProperties:
        """Store ``secret.value`` as a new version, which becomes the current one."""
        with self._db.write_lock, self._db.session() as session:
            vault_row = self._vault_row(session, vault)
            version = uuid.uuid4().hex
            sealed = self._cipher.seal(secret.value, _slot(vault_row.name_key, name.lower(), version))
            row = SecretRow(
                vault_key=vault_row.name_key,
                name_key=name.lower(),
                version=version,
                name=name,
                key_id=sealed.key_id,
                nonce=sealed.nonce,
                ciphertext=sealed.ciphertext,
                enabled=secret.enabled,
                content_type=secret.content_type,
                tags=secret.tags,
                created_by=created_by,
            )
            session.add(row)
            session.flush()
            return row.to_entity(vault_row.name)

    def get_secret(self, vault: str, name: str, version: str | None = None) -> KeyVaultSecret:
        """The value of a version (the current one by default); a disabled version is refused."""
        with self._db.session() as session:
            vault_row = self._vault_row(session, vault)
            row = self._version_row(session, vault_row, name, version)
            if not row.enabled:
                raise PermissionDeniedError(f"secret {name!r} version {row.version} in vault {vault!r} is disabled")
            value = self._open(row)
            return KeyVaultSecret(name=row.name, value=value, properties=row.to_entity(vault_row.name))

    def list_secrets(self, vault: str) -> list[SecretProperties]:
        """The current version of each secret, without values."""
        with self._db.session() as session:
            vault_row = self._vault_row(session, vault)
            current: dict[str, SecretRow] = {}
            for row in self._rows(session, vault_row):
                current[row.name_key] = row  # rows come oldest first, so the last one wins
            return [row.to_entity(vault_row.name) for _, row in sorted(current.items())]

    def list_versions(self, vault: str, name: str) -> list[SecretProperties]:
        with self._db.session() as session:
            vault_row = self._vault_row(session, vault)
            rows = self._rows(session, vault_row, name)
            if not rows:
                raise NotFoundError(f"secret {name!r} not found in vault {vault!r}")
            return [row.to_entity(vault_row.name) for row in rows]

    def update_secret(self, vault: str, name: str, version: str | None, update: SecretUpdate) -> SecretProperties:
        with self._db.write_lock, self._db.session() as session:
            vault_row = self._vault_row(session, vault)
            row = self._version_row(session, vault_row, name, version)
            for field, value in update.model_dump(exclude_unset=True).items():
                setattr(row, field, value)
            session.flush()
            return row.to_entity(vault_row.name)

    def delete_secret(self, vault: str, name: str) -> None:
        """Delete every version of a secret."""
        with self._db.write_lock, self._db.session() as session:
            rows = self._rows(session, self._vault_row(session, vault), name)
            if not rows:
                raise NotFoundError(f"secret {name!r} not found in vault {vault!r}")
            for row in rows:
                session.delete(row)

    def all_values(self) -> list[str]:
        """Every stored value, every version: what job and pipeline logs must never show."""
        with self._db.session() as session:
            return [self._open(row) for row in session.scalars(select(SecretRow))]

    # Helpers

    def _open(self, row: SecretRow) -> str:
        slot = _slot(row.vault_key, row.name_key, row.version)
        return self._cipher.open(Sealed(row.key_id, row.nonce, row.ciphertext), slot)

    @staticmethod
    def _vault_row(session: Session, name: str) -> VaultRow:
        row = session.get(VaultRow, name.lower())
        if row is None:
            raise NotFoundError(f"vault {name!r} not found (create it with `lakebox vault create {name}`)")
        return row

    @staticmethod
    def _rows(session: Session, vault: VaultRow, name: str | None = None) -> list[SecretRow]:
        query = select(SecretRow).where(SecretRow.vault_key == vault.name_key)
        if name is not None:
            query = query.where(SecretRow.name_key == name.lower())
        return list(session.scalars(query.order_by(SecretRow.created_at, SecretRow.version)))

    @classmethod
    def _version_row(cls, session: Session, vault: VaultRow, name: str, version: str | None) -> SecretRow:
        rows = cls._rows(session, vault, name)
        if version is not None:
            rows = [row for row in rows if row.version == version]
        if not rows:
            wanted = f"{name!r} version {version}" if version else repr(name)
            raise NotFoundError(f"secret {wanted} not found in vault {vault.name!r}")
        return rows[-1]
