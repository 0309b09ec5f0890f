"""Vaults and their secrets, with Azure Key Vault's names: a secret has versions; a value is only
ever in a :class:`KeyVaultSecret` returned to a caller allowed the ``getSecret`` data action."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

# Key Vault's rules: vault names 3-24 characters, secret names up to 127, letters, digits and dashes.
VAULT_NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9-]{1,22}[A-Za-z0-9]$"
SECRET_NAME_PATTERN = r"^[A-Za-z0-9-]{1,127}$"


class Vault(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=VAULT_NAME_PATTERN)
    description: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    created_on: datetime | None = None


class SecretProperties(BaseModel):
    """What may be shown about a secret version without its value."""

    vault_name: str
    name: str
    version: str
    enabled: bool = True
    content_type: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    created_on: datetime
    created_by: str | None = None


class SecretSet(BaseModel):
    """The body of a ``set``: a new version of the secret (the value is never echoed back)."""

    model_config = ConfigDict(extra="forbid")

    value: str = Field(repr=False)
    content_type: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    enabled: bool = True


class SecretUpdate(BaseModel):
    """Change a version's metadata (not its value: a new value is a new version)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool | None = None
    content_type: str | None = None
    tags: dict[str, str] | None = None


class KeyVaultSecret(BaseModel):
    """A secret's value with its properties; ``repr`` and ``str`` never show the value."""

    name: str
    value: str = Field(repr=False)
    properties: SecretProperties

    def __str__(self) -> str:
        return f"KeyVaultSecret(name={self.name!r}, version={self.properties.version!r})"
