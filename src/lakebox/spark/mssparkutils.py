"""The parts of Synapse's ``mssparkutils`` that notebooks use: secrets, backed by the workspace vault,
and a notebook's exit value.

``mssparkutils.credentials.getSecret("keyvault", "sql-password")`` reads the secret as the caller's
identity (a job's managed identity inside jobs), so the read is checked and audited.
``mssparkutils.notebook.exit(value)`` ends the notebook; a pipeline's SynapseNotebook activity
returns the value as ``output.status.Output.result.exitValue``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from lakebox.client.ml_client import MLClient
from lakebox.entities.spark_pool import NOTEBOOK_EXIT_VARIABLE


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


class _Notebook:
    def exit(self, value: object) -> None:
        """End the notebook here, handing ``value`` (as text) to the pipeline that ran it."""
        if target := os.environ.get(NOTEBOOK_EXIT_VARIABLE):
            Path(target).write_text(str(value))
        sys.exit(0)


credentials = _Credentials()
notebook = _Notebook()
