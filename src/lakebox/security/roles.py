"""The built-in roles and the actions each allows (see README "Roles")."""

from __future__ import annotations

from lakebox.entities.authorization import RoleDefinition


def _role(name: str, description: str, **patterns: list[str]) -> RoleDefinition:
    return RoleDefinition(name=name, description=description, builtin=True, **patterns)


BUILTIN_ROLES: dict[str, RoleDefinition] = {
    role.name.lower(): role
    for role in (
        _role("Owner", "Everything on the control plane, including granting roles. No data actions.", actions=["*"]),
        _role(
            "Contributor",
            "Everything on the control plane except managing identities, roles and assignments.",
            actions=["*"],
            not_actions=["lakebox/authorization/*/write", "lakebox/authorization/*/delete"],
        ),
        _role("Reader", "Read everything on the control plane; change nothing.", actions=["*/read"]),
        _role(
            "AzureML Data Scientist",
            "Run jobs, track experiments and manage models and endpoints; not the workspace or its compute.",
            actions=[
                "lakebox/workspaces/read",
                "lakebox/workspaces/*/read",
                "lakebox/workspaces/*/write",
                "lakebox/workspaces/*/delete",
                "lakebox/workspaces/*/action",
            ],
            not_actions=["lakebox/workspaces/computes/write", "lakebox/workspaces/computes/delete"],
        ),
        _role(
            "AzureML Compute Operator",
            "Create, change and delete compute; read the workspace.",
            actions=["lakebox/workspaces/read", "lakebox/workspaces/computes/*"],
        ),
        _role(
            "Key Vault Secrets Officer",
            "Manage secrets, values included.",
            actions=["lakebox/workspaces/vaults/*"],
            data_actions=["lakebox/workspaces/vaults/secrets/*"],
        ),
        _role(
            "Key Vault Secrets User",
            "Read secret values.",
            data_actions=[
                "lakebox/workspaces/vaults/secrets/getSecret/action",
                "lakebox/workspaces/vaults/secrets/readMetadata/action",
            ],
        ),
        _role(
            "Storage Blob Data Contributor",
            "Read, write and delete datastore contents.",
            data_actions=["lakebox/workspaces/datastores/blobs/*"],
        ),
        _role(
            "Storage Blob Data Reader",
            "Read datastore contents.",
            data_actions=["lakebox/workspaces/datastores/blobs/read"],
        ),
        _role(
            "Warehouse Data Contributor",
            "Query the SQL warehouse and create, load and change its tables (as a SQL admin does).",
            data_actions=["lakebox/workspaces/warehouse/tables/*"],
        ),
        _role(
            "Warehouse Data Reader",
            "Query the SQL warehouse; change nothing in it.",
            data_actions=["lakebox/workspaces/warehouse/tables/read"],
        ),
        _role(
            "AzureML Endpoint Scorer",
            "Score online endpoints with an identity token (aml_token auth) and read them.",
            actions=["lakebox/workspaces/onlineEndpoints/read", "lakebox/workspaces/onlineEndpoints/score/action"],
        ),
    )
}
# What the workspace's creator holds, and what its system-assigned identity (jobs, deployments) holds.
CREATOR_ROLES = ("Owner", "Key Vault Secrets Officer", "Storage Blob Data Contributor", "Warehouse Data Contributor")
SYSTEM_IDENTITY_ROLES = (
    "AzureML Data Scientist",
    "Key Vault Secrets User",
    "Storage Blob Data Contributor",
    "Warehouse Data Reader",
)
