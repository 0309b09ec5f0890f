"""Linked services as Synapse and ADF keep them in git (``linkedService/<name>.json``).

What each type stands for in lakebox:

- ``AzureMLService``: this workspace (``mlWorkspaceName`` must name it);
- ``AzureKeyVault``: a vault (``baseUrl`` ``https://<vault>.vault.azure.net/``);
- ``AzureBlobFS`` / ``AzureBlobStorage``: the datastore registered for the storage account of ``url``;
- ``AzureSqlDW`` / ``AzureSqlDatabase``: the workspace's SQL warehouse (user and password from the
  connection string or a Key Vault secret);
- ``PostgreSql``: a PostgreSQL server (``connectionString`` or host, port, database, username).

Secrets are ``{"type": "AzureKeyVaultSecret", "store": {"referenceName": <AzureKeyVault linked
service>}, "secretName": ...}``; a ``SecureString`` given inline is moved into the vault
``linked-services`` when the linked service is stored, so no stored or returned definition holds one.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

LINKED_SERVICE_TYPES = (
    "AzureMLService",
    "AzureKeyVault",
    "AzureBlobFS",
    "AzureBlobStorage",
    "AzureSqlDW",
    "AzureSqlDatabase",
    "PostgreSql",
)


class LinkedServiceProperties(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    type: str
    type_properties: dict[str, Any] = Field(default_factory=dict, alias="typeProperties")
    annotations: list[Any] = Field(default_factory=list)
    description: str | None = None


class LinkedService(BaseModel):
    """A linked service definition, field for field as in Synapse/ADF JSON."""

    model_config = ConfigDict(extra="allow")

    name: str = Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_ -]{0,259}$")
    properties: LinkedServiceProperties

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class LinkedServiceTarget(BaseModel):
    """What a linked service resolves to here (never a secret's value)."""

    name: str
    type: str
    kind: str = Field(description="workspace, vault, datastore, warehouse or postgresql")
    target: str = Field(description="The workspace, vault, datastore, or server address it names")
    secrets: dict[str, str] = Field(default_factory=dict, description="field -> vault/secret it reads")
