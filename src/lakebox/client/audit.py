"""``ml_client.audit``: the workspace's audit log."""

from __future__ import annotations

from lakebox.client._http import ApiClient
from lakebox.entities import AuditEntry, AuditOutcome, AuditVerification


class AuditOperations:
    def __init__(self, api: ApiClient) -> None:
        self._api = api

    def list(
        self,
        *,
        limit: int = 100,
        before_seq: int | None = None,
        action: str | None = None,
        principal: str | None = None,
        outcome: AuditOutcome | str | None = None,
    ) -> list[AuditEntry]:
        """Entries newest first; ``before_seq`` pages backwards."""
        params = {
            "limit": limit,
            "before_seq": before_seq,
            "action": action,
            "principal": principal,
            "outcome": AuditOutcome(outcome).value if outcome else None,
        }
        return [AuditEntry.model_validate(item) for item in self._api.request("GET", "/api/v1/audit", params=params)]

    def verify(self) -> AuditVerification:
        """Check the hash chain; the result names the first altered entry, if any."""
        return AuditVerification.model_validate(self._api.request("GET", "/api/v1/audit/verify"))
