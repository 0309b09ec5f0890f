"""Online endpoints with their keys (encrypted under the vault's master key), and their deployments
with the worker spec the gateway runs for each."""

from __future__ import annotations

import base64
import builtins
import hashlib
import hmac
import secrets
from collections.abc import Callable

from pydantic import BaseModel

from lakebox.entities.endpoint import EndpointAuthKeys, ManagedOnlineDeployment, ManagedOnlineEndpoint
from lakebox.entities.serving import WorkerSpec
from lakebox.errors import NotFoundError
from lakebox.store.db import Database
from lakebox.store.specs import SpecStore
from lakebox.vault.crypto import Sealed, SecretCipher

KEY_TYPES = ("primary", "secondary")


class SealedKey(BaseModel):
    key_id: str
    nonce: str
    ciphertext: str
    digest: str  # SHA-256 of the key, what the gateway compares against


class EndpointRecord(BaseModel):
    name: str
    endpoint: ManagedOnlineEndpoint
    keys: dict[str, SealedKey]


class DeploymentRecord(BaseModel):
    name: str  # "<endpoint>/<deployment>"
    deployment: ManagedOnlineDeployment
    runtime: WorkerSpec | None = None  # what the gateway serves; None until the first build succeeds


class EndpointStore:
    def __init__(self, db: Database, master_key: Callable[[], bytes]) -> None:
        self._endpoints = SpecStore(db, "online_endpoint", EndpointRecord, "online endpoint")
        self._deployments = SpecStore(db, "online_deployment", DeploymentRecord, "online deployment")
        self._master_key = master_key

    # Endpoints

    def put(self, endpoint: ManagedOnlineEndpoint) -> tuple[ManagedOnlineEndpoint, bool]:
        """Store the endpoint; a new one gets fresh primary and secondary keys."""
        try:
            keys = self._endpoints.get(endpoint.name).keys
        except NotFoundError:
            keys = {key_type: self._seal(endpoint.name, key_type, _new_key()) for key_type in KEY_TYPES}
        _, created = self._endpoints.put(EndpointRecord(name=endpoint.name, endpoint=endpoint, keys=keys))
        return endpoint, created

    def get(self, name: str) -> ManagedOnlineEndpoint:
        return self._endpoints.get(name).endpoint

    def list(self) -> builtins.list[ManagedOnlineEndpoint]:
        return [record.endpoint for record in self._endpoints.list()]

    def delete(self, name: str) -> None:
        for record in self.deployments(name):
            self._deployments.delete(record.name)
        self._endpoints.delete(name)

    def keys(self, name: str) -> EndpointAuthKeys:
        record = self._endpoints.get(name)
        cipher = SecretCipher(self._master_key())
        primary, secondary = (cipher.open(_sealed(record.keys[t]), _slot(name, t)) for t in KEY_TYPES)
        return EndpointAuthKeys(primary_key=primary, secondary_key=secondary)

    def key_digests(self, name: str) -> builtins.list[str]:
        return [key.digest for key in self._endpoints.get(name).keys.values()]

    def regenerate_key(self, name: str, key_type: str) -> None:
        record = self._endpoints.get(name)
        record.keys[key_type] = self._seal(name, key_type, _new_key())
        self._endpoints.put(record)

    def token_key(self) -> bytes:
        """The key that signs ``aml_token`` tokens, derived from the master key (nothing more to keep safe)."""
        return hmac.new(self._master_key(), b"lakebox-endpoint-tokens", hashlib.sha256).digest()

    # Deployments

    def put_deployment(self, record: DeploymentRecord) -> None:
        self._deployments.put(record)

    def deployment(self, endpoint: str, name: str) -> DeploymentRecord:
        return self._deployments.get(f"{endpoint}/{name}")

    def deployments(self, endpoint: str | None = None) -> builtins.list[DeploymentRecord]:
        records = self._deployments.list()
        return [r for r in records if endpoint is None or r.deployment.endpoint_name.lower() == endpoint.lower()]

    def delete_deployment(self, endpoint: str, name: str) -> None:
        self._deployments.delete(f"{endpoint}/{name}")

    def _seal(self, endpoint: str, key_type: str, key: str) -> SealedKey:
        sealed = SecretCipher(self._master_key()).seal(key, _slot(endpoint, key_type))
        return SealedKey(
            key_id=sealed.key_id,
            nonce=base64.b64encode(sealed.nonce).decode(),
            ciphertext=base64.b64encode(sealed.ciphertext).decode(),
            digest=hashlib.sha256(key.encode()).hexdigest(),
        )


def _new_key() -> str:
    return secrets.token_urlsafe(32)


def _slot(endpoint: str, key_type: str) -> str:
    return f"online-endpoint:{endpoint.lower()}:{key_type}"


def _sealed(key: SealedKey) -> Sealed:
    return Sealed(key.key_id, base64.b64decode(key.nonce), base64.b64decode(key.ciphertext))
