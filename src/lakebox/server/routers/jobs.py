"""``/api/v1/jobs`` and ``/api/v1/code``: submit command jobs, follow them, cancel them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import anyio
from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from lakebox.entities import Job, JobCreate, JobLogs, JobStatus, Principal
from lakebox.entities.sweep import SweepJobCreate
from lakebox.errors import BadRequestError, NotFoundError
from lakebox.jobs import code
from lakebox.security import actions
from lakebox.server.auth import require
from lakebox.server.context import get_context

router = APIRouter(tags=["jobs"])
_LOG_CHUNK = 256 * 1024


class CodeSnapshot(BaseModel):
    code_id: str


@router.post("/code", response_model=CodeSnapshot, status_code=201, summary="Upload a code snapshot (tar.gz)")
async def upload_code(request: Request, _: Principal = require(actions.CODES_WRITE)) -> CodeSnapshot:
    declared = int(request.headers.get("content-length") or 0)
    if declared > code.MAX_SNAPSHOT_BYTES:
        raise BadRequestError("the code snapshot is over 200 MiB; add an .amlignore")
    data = await request.body()
    code_id = await anyio.to_thread.run_sync(code.store, get_context(request).layout.code_dir, data)
    return CodeSnapshot(code_id=code_id)


@router.post("/jobs", response_model=Job, status_code=201, summary="Submit a command or sweep job")
def submit_job(
    body: Annotated[JobCreate | SweepJobCreate, Field(discriminator="type")],
    request: Request,
    principal: Principal = require(actions.JOBS_WRITE),
) -> Job:
    return get_context(request).runner.submit(body, principal)


@router.get("/jobs", response_model=list[Job], summary="List jobs, newest first")
def list_jobs(
    request: Request,
    limit: int = Query(100, ge=1, le=1000),
    status: JobStatus | None = None,
    parent_job_name: str | None = Query(None, description="Only the trials of this sweep job."),
    _: Principal = require(actions.JOBS_READ),
) -> list[Job]:
    return get_context(request).stores.jobs.list(limit=limit, status=status, parent=parent_job_name)


@router.get("/jobs/{name}", response_model=Job, summary="Show a job, with its run's metrics and params")
def get_job(name: str, request: Request, _: Principal = require(actions.JOBS_READ, scope="jobs/{name}")) -> Job:
    return get_context(request).runner.details(name)


@router.get("/jobs/{name}/logs", response_model=JobLogs, summary="The job's output from a byte offset on")
def job_logs(
    name: str,
    request: Request,
    offset: int = Query(0, ge=0),
    _: Principal = require(actions.JOBS_READ, scope="jobs/{name}"),
) -> JobLogs:
    context = get_context(request)
    status = context.stores.jobs.get(name).status  # read first: output after a terminal status is complete
    path = context.runner.log_path(name)
    data = b""
    if path.exists():
        with open(path, "rb") as log:
            log.seek(offset)
            data = log.read(_LOG_CHUNK)
    return JobLogs(data=data.decode(errors="replace"), next_offset=offset + len(data), status=status)


@router.get(
    "/jobs/{name}/archive",
    summary="A job's output (or its logs, `logs`) as tar.gz",
    response_class=Response,
    responses={200: {"content": {"application/gzip": {}}}},
)
def job_archive(
    name: str,
    request: Request,
    output: str = Query("logs", description="An output's name, or `logs`."),
    _: Principal = require(actions.JOBS_READ, scope="jobs/{name}"),
) -> Response:
    context = get_context(request)
    job = context.stores.jobs.get(name)
    if output == "logs":
        folder = context.runner.log_path(name).parent
    elif output in job.outputs:
        local = Path(job.outputs[output].local_path)
        folder = local.parent if job.outputs[output].type == "uri_file" else local
    else:
        raise NotFoundError(f"job {name} has no output {output!r}; outputs: {', '.join(job.outputs) or 'none'}")
    return Response(code.pack(folder, honour_ignore_files=False), media_type="application/gzip")


@router.post("/jobs/{name}/cancel", response_model=Job, summary="Cancel a job and end its process tree")
def cancel_job(
    name: str, request: Request, principal: Principal = require(actions.JOBS_CANCEL, scope="jobs/{name}")
) -> Job:
    return get_context(request).runner.cancel(name, principal)
