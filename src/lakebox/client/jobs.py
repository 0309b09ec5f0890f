"""``ml_client.jobs``: submit command jobs (uploading their code), stream their output, cancel them."""

from __future__ import annotations

import builtins
import sys
import time
from pathlib import Path
from typing import TextIO

from lakebox.client._deployments import upload_folder
from lakebox.client._http import ApiClient
from lakebox.client.environments import EnvironmentOperations
from lakebox.client.poller import LROPoller
from lakebox.entities import Command, Job, JobCreate, JobLogs, JobStatus
from lakebox.entities.command import SweepJob
from lakebox.entities.job import JobSpec
from lakebox.entities.search_space import SEARCH_SPACE_TYPES
from lakebox.entities.sweep import SweepFields, SweepJobCreate
from lakebox.errors import JobFailedError, ValidationError
from lakebox.jobs.code import unpack

_STREAM_POLL_SECONDS = 0.1
_TAIL_LINES = 30


class JobOperations:
    def __init__(self, api: ApiClient, environments: EnvironmentOperations) -> None:
        self._api = api
        self._environments = environments

    def create_or_update(self, job: Command | SweepJob) -> Job:
        """Submit a command or sweep job: the ``code`` folder is uploaded, the environment sent with it."""
        body = self.prepare(job)
        return Job.model_validate(self._api.request("POST", "/api/v1/jobs", json=body.model_dump(mode="json")))

    def prepare(self, job: Command | SweepJob) -> JobCreate | SweepJobCreate:
        """The job as the server takes it: code uploaded, environment resolved (for a schedule, too)."""
        if isinstance(job, SweepJob):
            fields = job.model_dump(include=set(SweepFields.model_fields) - {"trial"})
            return SweepJobCreate(**fields, trial=self._command_body(job.trial))
        return self._command_body(job)

    def _command_body(self, job: Command) -> JobCreate:
        distributions = sorted(k for k, v in job.inputs.items() if isinstance(v, SEARCH_SPACE_TYPES))
        if distributions:
            raise ValidationError(
                f"input(s) {', '.join(distributions)} are search space distributions; submit job.sweep(...) instead"
            )
        code_id = upload_folder(self._api, Path(job.code)) if job.code is not None else None
        return JobCreate(
            **job.model_dump(include=set(JobSpec.model_fields)),
            code_id=code_id,
            environment=self._environments.inline(job.environment),
        )

    def get(self, name: str) -> Job:
        return Job.model_validate(self._api.request("GET", f"/api/v1/jobs/{name}"))

    def list(
        self, *, status: JobStatus | str | None = None, parent_job_name: str | None = None, limit: int = 100
    ) -> builtins.list[Job]:
        """Jobs newest first; with ``parent_job_name``, the trials of that sweep job."""
        params = {
            "status": JobStatus(status).value if status else None,
            "parent_job_name": parent_job_name,
            "limit": limit,
        }
        return [Job.model_validate(item) for item in self._api.request("GET", "/api/v1/jobs", params=params)]

    def stream(self, name: str, out: TextIO | None = None) -> Job:
        """Print the job's output as it comes; return when it ends, raising ``JobFailedError`` if it failed."""
        out = out or sys.stdout
        offset, output = 0, []
        while True:
            logs = JobLogs.model_validate(
                self._api.request("GET", f"/api/v1/jobs/{name}/logs", params={"offset": offset})
            )
            if logs.data:
                out.write(logs.data)
                out.flush()
                output.append(logs.data)
                offset = logs.next_offset
                continue
            if logs.status.terminal:
                break
            time.sleep(_STREAM_POLL_SECONDS)
        job = self.get(name)
        if job.status is not JobStatus.COMPLETED:
            tail = "\n".join("".join(output).splitlines()[-_TAIL_LINES:])
            raise JobFailedError(
                f"job {name} {job.status}: {job.error}\n{tail}".rstrip(), details={"status": job.status}
            )
        return job

    def download(
        self, name: str, download_path: str | Path = ".", output_name: str | None = None, all: bool = False
    ) -> None:
        """Download the job's logs (default), one named output, or with ``all`` everything, laid out as
        Azure ML does: ``artifacts/user_logs/`` and ``named-outputs/<name>/``."""
        root = Path(download_path)
        names = list(self.get(name).outputs) if all else [output_name] if output_name else []
        if all or output_name is None:
            unpack(self._api.request("GET", f"/api/v1/jobs/{name}/archive"), root / "artifacts" / "user_logs")
        for output in names:
            archive = self._api.request("GET", f"/api/v1/jobs/{name}/archive", params={"output": output})
            unpack(archive, root / "named-outputs" / output)

    def begin_cancel(self, name: str) -> LROPoller[Job]:
        job = Job.model_validate(self._api.request("POST", f"/api/v1/jobs/{name}/cancel"))
        return LROPoller.completed(job)
