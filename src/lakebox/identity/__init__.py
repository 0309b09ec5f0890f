"""Credentials with the names of ``azure.identity``, so seed code runs with only its import changed.

from lakebox.identity import DefaultAzureCredential
token = DefaultAzureCredential().get_token("https://management.azure.com/.default")
"""

from lakebox.identity.credentials import (
    AccessToken,
    ChainedTokenCredential,
    DefaultAzureCredential,
    EnvironmentCredential,
    LocalWorkspaceCredential,
    ManagedIdentityCredential,
    TokenCredential,
)

__all__ = [
    "AccessToken",
    "ChainedTokenCredential",
    "DefaultAzureCredential",
    "EnvironmentCredential",
    "LocalWorkspaceCredential",
    "ManagedIdentityCredential",
    "TokenCredential",
]
