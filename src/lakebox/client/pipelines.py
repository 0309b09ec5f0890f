"""``ml_client.pipelines``: publish a folder of Synapse/ADF artifacts, run pipelines, follow their runs."""

from __future__ import annotations

import builtins
import time
from pathlib import Path
from typing import Any

from lakebox.client._http import ApiClient
from lakebox.entities.pipeline import ActivityRun, Artifact, PipelineRun
from lakebox.entities.schedule import ScheduleFire
from lakebox.errors import LakeboxError
from lakebox.pipelines.folder import load_folder

_POLL_SECONDS = 0.2


class PipelineOperations:
    def __init__(self, api: ApiClient) -> None:
        self._api = api

    def validate(self, folder: str | Path) -> builtins.list[str]:
        """Every problem with the folder's artifacts (empty when they would publish)."""
        bundle = load_folder(Path(folder))
        result = self._api.request("POST", "/api/v1/pipelineArtifacts/validate", json=bundle.model_dump(mode="json"))
        return [str(problem) for problem in result["problems"]]

    def publish(self, folder: str | Path) -> dict[str, builtins.list[str]]:
        """Publish the folder's linked services, datasets, pipelines and triggers (all, or none)."""
        bundle = load_folder(Path(folder))
        published = self._api.request("POST", "/api/v1/pipelineArtifacts", json=bundle.model_dump(mode="json"))
        return {key: [str(name) for name in names] for key, names in published.items()}

    def start_trigger(self, name: str) -> Artifact:
        """Start a trigger: it fires from now on (a tumbling window trigger back-fills its windows)."""
        return Artifact.model_validate(self._api.request("POST", f"/api/v1/triggers/{name}/start"))

    def stop_trigger(self, name: str) -> Artifact:
        return Artifact.model_validate(self._api.request("POST", f"/api/v1/triggers/{name}/stop"))

    def trigger_runs(self, name: str, limit: int = 100) -> builtins.list[ScheduleFire]:
        """When the trigger fired (latest first), with the pipeline runs each fire started."""
        answer = self._api.request("GET", f"/api/v1/triggers/{name}/runs", params={"limit": limit})
        return [ScheduleFire.model_validate(item) for item in answer]

    def list(self) -> builtins.list[Artifact]:
        return [Artifact.model_validate(item) for item in self._api.request("GET", "/api/v1/pipelines")]

    def get(self, name: str) -> Artifact:
        return Artifact.model_validate(self._api.request("GET", f"/api/v1/pipelines/{name}"))

    def begin_delete(self, name: str) -> None:
        self._api.request("DELETE", f"/api/v1/pipelines/{name}")

    def run(self, name: str, parameters: dict[str, Any] | None = None) -> PipelineRun:
        """Start a run (``create_run`` in ADF's SDK); follow it with :meth:`wait`."""
        body = {"parameters": parameters or {}}
        return PipelineRun.model_validate(self._api.request("POST", f"/api/v1/pipelines/{name}/createRun", json=body))

    create_run = run

    def get_run(self, run_id: str) -> PipelineRun:
        return PipelineRun.model_validate(self._api.request("GET", f"/api/v1/pipelineRuns/{run_id}"))

    def list_runs(self, pipeline: str | None = None, limit: int = 100) -> builtins.list[PipelineRun]:
        items = self._api.request("GET", "/api/v1/pipelineRuns", params={"pipeline": pipeline, "limit": limit})
        return [PipelineRun.model_validate(item) for item in items]

    def activity_runs(self, run_id: str) -> builtins.list[ActivityRun]:
        items = self._api.request("GET", f"/api/v1/pipelineRuns/{run_id}/activityRuns")
        return [ActivityRun.model_validate(item) for item in items]

    def wait(self, run_id: str, timeout: float | None = None) -> PipelineRun:
        """Wait for the run to end and return it (whatever its outcome)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not (run := self.get_run(run_id)).status.terminal:
            if deadline is not None and time.monotonic() > deadline:
                raise LakeboxError(f"pipeline run {run_id} is still {run.status.value} after {timeout} s")
            time.sleep(_POLL_SECONDS)
        return run

    def cancel(self, run_id: str) -> PipelineRun:
        return PipelineRun.model_validate(self._api.request("POST", f"/api/v1/pipelineRuns/{run_id}/cancel"))

    def rerun(self, run_id: str, *, from_failure: bool = True) -> PipelineRun:
        body = {"from_failure": from_failure}
        return PipelineRun.model_validate(self._api.request("POST", f"/api/v1/pipelineRuns/{run_id}/rerun", json=body))
