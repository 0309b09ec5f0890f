"""The parts of Synapse's ``mssparkutils`` that notebooks use for secrets, backed by the workspace vault.

``mssparkutils.credentials.getSecret("keyvault", "sql-password")`` reads the secret as the caller's
identity (a job's managed identity inside jobs), so the read is checked and audited.
"""

from __future__ import annotations

from lakebox.client.ml_client import MLClient


class _Credentials:
    def __init__(self) -> None:
        self._client: MLClient | None = None

    def getSecret(self, vault: str, name: str, linked_service: str | None = None) -> str:
        """The current value of secret ``name`` in ``vault`` (``linked_service`` is accepted and unused)."""
        return self._ml_client().secrets.get(vault, name).value

    def getToken(self, audience: str) -> str:
        """An access token of the caller's identity for ``audience``."""
        from lakebox.identity.credentials import DefaultAzureCredential

        return DefaultAzureCredential().get_token(audience).token

    def use(self, client: MLClient) -> None:
        """Read secrets through ``client`` (what ``get_session`` does with its client)."""
        self._client = client

    def _ml_client(self) -> MLClient:
        if self._client is None:
            self._client = MLClient()
        return self._client


credentials = _Credentials()
