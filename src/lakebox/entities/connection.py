"""Workspace connections (Azure ML's ``WorkspaceConnection``): a named target with credentials.

Secret credential fields (``password``, ``key``, ``token``, ``client_secret``, ...) never come
back from the API: the server keeps each in the workspace vault ``connections`` and the
connection holds a reference to it, as Azure ML keeps connection secrets in its Key Vault.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

CONNECTION_TYPES = (
    "synapse",
    "warehouse",
    "postgresql",
    "azure_data_lake_gen2",
    "azure_blob",
    "azure_sql_db",
    "git",
    "custom",
)
CredentialType = Literal["ManagedIdentity", "UsernamePassword", "AccessKey", "PAT", "ServicePrincipal", "None"]
SECRET_FIELDS = frozenset({"password", "key", "access_key", "account_key", "token", "pat", "client_secret"})


class SecretReference(BaseModel):
    """Where a secret lives: a vault, a secret name and the version that was current when stored."""

    vault: str
    name: str
    version: str | None = None


class ConnectionCredentials(BaseModel):
    """``type`` plus its fields; a secret field is a literal (write only) or a :class:`SecretReference`."""

    model_config = ConfigDict(extra="allow")

    type: CredentialType = "None"

    def secret_fields(self) -> dict[str, Any]:
        return {k: v for k, v in (self.model_extra or {}).items() if k.lower() in SECRET_FIELDS}


class WorkspaceConnection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$")
    type: str
    target: str
    credentials: ConnectionCredentials = Field(default_factory=ConnectionCredentials)
    metadata: dict[str, str] = Field(default_factory=dict)
    tags: dict[str, str] = Field(default_factory=dict)

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        normalised = value.lower()
        if normalised not in CONNECTION_TYPES:
            raise ValueError(f"connection type {value!r} is not one of {', '.join(CONNECTION_TYPES)}")
        return normalised

    @field_validator("credentials", mode="before")
    @classmethod
    def _from_dict(cls, value: Any) -> Any:
        return {"type": "None"} if value is None else value
