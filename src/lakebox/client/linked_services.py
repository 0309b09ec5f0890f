"""``ml_client.linked_services``: Synapse/ADF linked services from their JSON files."""

from __future__ import annotations

import builtins
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pydantic

from lakebox.client._http import ApiClient
from lakebox.entities.linked_service import LinkedService, LinkedServiceTarget
from lakebox.errors import ValidationError


class LinkedServiceOperations:
    def __init__(self, api: ApiClient) -> None:
        self._api = api

    def create_or_update(self, service: LinkedService | dict[str, Any] | str | Path) -> LinkedService:
        """Store a linked service given as an object, its JSON dict, or the path of its JSON file."""
        definition = _definition(service)
        response = self._api.request(
            "PUT", f"/api/v1/linkedServices/{quote(definition.name)}", json=definition.to_json()
        )
        return LinkedService.model_validate(response)

    def get(self, name: str) -> LinkedService:
        return LinkedService.model_validate(self._api.request("GET", f"/api/v1/linkedServices/{quote(name)}"))

    def target(self, name: str) -> LinkedServiceTarget:
        """What the linked service resolves to in this workspace."""
        response = self._api.request("GET", f"/api/v1/linkedServices/{quote(name)}/target")
        return LinkedServiceTarget.model_validate(response)

    def list(self) -> builtins.list[LinkedService]:
        return [LinkedService.model_validate(item) for item in self._api.request("GET", "/api/v1/linkedServices")]

    def delete(self, name: str) -> None:
        self._api.request("DELETE", f"/api/v1/linkedServices/{quote(name)}")


def _definition(service: LinkedService | dict[str, Any] | str | Path) -> LinkedService:
    if isinstance(service, LinkedService):
        return service
    if isinstance(service, str | Path):
        try:
            service = json.loads(Path(service).read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise ValidationError(f"cannot read linked service {service}: {exc}") from exc
    try:
        return LinkedService.model_validate(service)
    except pydantic.ValidationError as exc:
        raise ValidationError(f"not a linked service definition: {exc}") from exc
