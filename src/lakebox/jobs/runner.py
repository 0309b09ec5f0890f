"""The job runner of a workspace server: validation at submission, a queue per compute, one watcher
thread per running job, and recovery of jobs a previous server left behind."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypedDict

import psutil

from lakebox.compute.sizes import DEFAULT_SIZE, VmSize, vm_size
from lakebox.entities import Input, Job, JobCreate, JobOutput, JobStatus, Principal
from lakebox.entities.sweep import SweepJobCreate
from lakebox.environments.builder import ensure_built
from lakebox.environments.spec import resolve_environment
from lakebox.errors import ConflictError, NotFoundError, failure_reason
from lakebox.jobs import code, process
from lakebox.jobs.io import allocate_output, resolve_input
from lakebox.jobs.names import job_name
from lakebox.jobs.sweep.controller import SweepController
from lakebox.jobs.templating import render
from lakebox.jobs.tracking import JobTracking
from lakebox.lake import delta
from lakebox.lake.datastores import lake_resolver
from lakebox.lake.uris import LakeResolver
from lakebox.runtime.processes import pid_alive, wait_for_exit
from lakebox.security import actions
from lakebox.security.authorizer import Authorizer
from lakebox.store.stores import Stores
from lakebox.workspace.defaults import SYSTEM_IDENTITY_NAME
from lakebox.workspace.layout import WorkspaceLayout

_logger = logging.getLogger(__name__)
LOCAL_COMPUTE = "local"
_CANCEL_GRACE_SECONDS = 10
_MEMORY_POLL_SECONDS = 0.5
FAILURE_FILE = "failure.txt"  # a command may say here why it failed, in place of its exit code


class StagedInput(TypedDict):
    """An input laid out for the job before it starts: a private copy, or one version of a Delta table."""

    source: str
    delta_version: int | None


@dataclass(frozen=True)
class Endpoints:
    """How a job reaches back to its server."""

    url: str
    tls_cert: Path | None = None


class JobRunner:
    def __init__(self, layout: WorkspaceLayout, stores: Stores, endpoints: Endpoints) -> None:
        self._layout, self._stores, self._endpoints = layout, stores, endpoints
        self._tracking = JobTracking(layout)
        self._wake = threading.Condition()
        self._running: dict[str, str] = {}  # job -> compute
        self._sweeps = SweepController(self, stores, self._tracking)
        self._stopping = False

    # Lifecycle

    def start(self) -> None:
        self._recover()
        threading.Thread(target=self._schedule_forever, name="job-scheduler", daemon=True).start()

    def stop(self) -> None:
        """Stop scheduling; running jobs keep running and are re-attached by the next server."""
        with self._wake:
            self._stopping = True
            self._wake.notify_all()

    # Submission

    def submit(self, spec: JobCreate | SweepJobCreate, principal: Principal) -> Job:
        """Validate everything a job needs, then queue it; nothing is stored when validation fails."""
        return self.submit_as(spec, principal.name)

    def submit_as(
        self, spec: JobCreate | SweepJobCreate, submitted_by: str, properties: dict[str, str] | None = None
    ) -> Job:
        """Submit on behalf of ``submitted_by`` (a schedule's owner, say), with ``properties`` on the job."""
        if isinstance(spec, SweepJobCreate):
            return self._sweeps.submit(spec, submitted_by, properties or {})
        return self.enqueue(self.plan(spec, submitted_by) | {"properties": properties or {}})

    def check(self, spec: JobCreate | SweepJobCreate) -> None:
        """Everything a submission checks, storing and allocating nothing (a schedule's job, say)."""
        if isinstance(spec, SweepJobCreate):
            self._sweeps.check(spec)
            return
        _, _, inputs, _ = self._resolve(
            spec, self._layout.jobs_dir / "check", lake_resolver(self._stores, self._layout)
        )
        render(spec.command, inputs, {key: key for key in spec.outputs})

    def plan(self, spec: JobCreate, submitted_by: str, parent: str | None = None) -> dict[str, Any]:
        """The stored fields of a command job, once everything it names is checked (raises if not)."""
        name = spec.name or job_name()
        lake = lake_resolver(self._stores, self._layout)
        compute, environment, inputs, staged = self._resolve(spec, self._layout.jobs_dir / name, lake)
        outputs = {key: allocate_output(lake, name, key, out) for key, out in spec.outputs.items()}
        self._check_datastore_access(lake, [Path(s["source"]) for s in staged.values()], list(inputs.values()), outputs)
        return {
            "name": name,
            "spec": spec.model_dump(mode="json") | {"staged_inputs": staged, "submitted_by": submitted_by},
            "compute": compute,
            "environment": environment,
            "command": render(spec.command, inputs, {key: out.local_path for key, out in outputs.items()}),
            "experiment_name": spec.experiment_name or "Default",
            "outputs": {key: out.model_dump() for key, out in outputs.items()},
            "parent_job_name": parent,
        }

    def enqueue(self, fields: dict[str, Any]) -> Job:
        """Store a planned job and queue it."""
        self._stores.jobs.create(**fields)
        job = self._stores.jobs.transition(fields["name"], JobStatus.QUEUED)
        with self._wake:
            self._wake.notify_all()
        return job

    def _resolve(
        self, spec: JobCreate, job_dir: Path, lake: LakeResolver
    ) -> tuple[str, str, dict[str, str], dict[str, StagedInput]]:
        """The compute, environment and inputs a job names, each checked: ``(compute, environment
        name, input values, inputs to stage)``."""
        compute = self._compute_name(spec.compute)
        environment = resolve_environment(spec.environment)[0]
        if spec.code_id:
            code.snapshot(self._layout.code_dir, spec.code_id)
        inputs, staged = self._inputs(spec, job_dir, lake)
        return compute, environment, inputs, staged

    def _compute_name(self, compute: str | None) -> str:
        name = (compute or LOCAL_COMPUTE).removeprefix("azureml:")
        return LOCAL_COMPUTE if name == LOCAL_COMPUTE else self._stores.computes.get(name).name

    def _check_datastore_access(
        self, lake: LakeResolver, sources: list[Path], values: list[str], outputs: dict[str, JobOutput]
    ) -> None:
        """The job's identity needs Storage Blob Data read on the datastores it reads, write on those it writes."""
        identity = self._stores.identities.get_by_name(SYSTEM_IDENTITY_NAME)
        principal = Principal(identity_id=identity.id, name=identity.name, kind=identity.kind, token_id="job")
        authorizer = Authorizer(self._stores.authorization)
        scope = self._stores.workspaces.get().resource_id
        reads = [lake.datastore_of(path) for path in [*sources, *(Path(v) for v in values if Path(v).is_absolute())]]
        writes = [lake.datastore_of(Path(output.local_path)) for output in outputs.values()]
        for action, stores in ((actions.BLOBS_READ, reads), (actions.BLOBS_WRITE, writes)):
            for store in sorted({s for s in stores if s is not None}):
                authorizer.check(principal, action, f"{scope}/datastores/{store}", data=True)

    def _inputs(
        self, spec: JobCreate, job_dir: Path, lake: LakeResolver
    ) -> tuple[dict[str, str], dict[str, StagedInput]]:
        """Input values for the command, and what to lay out for the job before it starts (by target)."""
        values: dict[str, str] = {}
        staged: dict[str, StagedInput] = {}
        for key, value in spec.inputs.items():
            if not isinstance(value, Input):
                values[key] = str(value)
                continue
            path = resolve_input(lake, self._stores, key, value)
            if value.type != "mlflow_model" and delta.is_delta_table(path):
                target = job_dir / "inputs" / key / path.name
                staged[str(target)] = {"source": str(path), "delta_version": delta.open_table(path).version()}
                path = target
            elif value.mode == "download":
                target = job_dir / "inputs" / key / path.name
                staged[str(target)] = {"source": str(path), "delta_version": None}
                path = target
            values[key] = str(path)
        return values, staged

    # Scheduling

    def _schedule_forever(self) -> None:
        while True:
            with self._wake:
                if self._stopping:
                    return
                self._wake.wait(timeout=1.0)
            try:
                self._start_queued()
            except Exception:
                _logger.exception("job scheduling failed")

    def _start_queued(self) -> None:
        for job in self._stores.jobs.unfinished():
            if job.type == "sweep":
                self._sweeps.drive(job.name)
                continue
            if job.status is not JobStatus.QUEUED:
                continue
            with self._wake:
                busy = sum(1 for compute in self._running.values() if compute == job.compute)
                if job.name in self._running or busy >= self._slots(job.compute):
                    continue  # already starting (still Queued in this listing), or no free slot
                self._running[job.name] = job.compute
            threading.Thread(target=self._run, args=(job.name,), name=f"job-{job.name}", daemon=True).start()

    def _slots(self, compute: str) -> int:
        if compute == LOCAL_COMPUTE:
            return os.cpu_count() or 1
        try:
            return self._stores.computes.get(compute).max_instances
        except NotFoundError:
            return 1

    def _size(self, compute: str) -> VmSize:
        try:
            return vm_size(DEFAULT_SIZE if compute == LOCAL_COMPUTE else self._stores.computes.get(compute).size)
        except NotFoundError:  # a re-attached job whose cluster was deleted meanwhile
            return vm_size(DEFAULT_SIZE)

    # Running

    def _run(self, name: str) -> None:
        try:
            self._prepare_and_start(name)
            self._watch(name)
        except Exception as exc:
            self.fail(name, failure_reason(exc, _logger, f"job {name}"))
        finally:
            with self._wake:
                self._running.pop(name, None)
                self._wake.notify_all()

    def _prepare_and_start(self, name: str) -> None:
        job = self._stores.jobs.transition(name, JobStatus.PREPARING)
        spec = JobCreate.model_validate(
            {k: v for k, v in self._stores.jobs.spec(name).items() if k in JobCreate.model_fields}
        )
        extra = self._stores.jobs.spec(name)
        job_dir = self._layout.jobs_dir / name
        log = job_dir / "user_logs" / "std_log.txt"
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "a") as log_stream:
            python = ensure_built(resolve_environment(spec.environment)[1], log_stream.write)
        workdir = self._workdir(spec, job_dir)
        for target, staged in extra.get("staged_inputs", {}).items():
            if staged["delta_version"] is not None:
                delta.materialize_snapshot(staged["source"], Path(target), staged["delta_version"])
            else:
                _copy(Path(staged["source"]), Path(target))
        for output in job.outputs.values():
            folder = Path(output.local_path)
            (folder.parent if output.type == "uri_file" else folder).mkdir(parents=True, exist_ok=True)
        parent_run = self._stores.jobs.get(job.parent_job_name).mlflow_run_id if job.parent_job_name else None
        experiment_id, run_id = self._tracking.start_run(
            job.experiment_name, spec.display_name or name, name, extra.get("submitted_by", "lakebox"), parent_run
        )
        identity = self._stores.identities.get_by_name(SYSTEM_IDENTITY_NAME)
        grant_id, header = self._stores.identities.grant_process_identity(identity.id, f"job:{name}")
        token = self._stores.identities.issue_token(identity.id, f"job {name}", grant_id=grant_id)
        self._stores.jobs.update(name, grant_id=grant_id, mlflow_run_id=run_id, mlflow_experiment_id=experiment_id)
        env = process.job_environment(
            spec.environment_variables, self._lakebox_variables(name, run_id, experiment_id, token, header), python,
            self._size(job.compute),
        )  # fmt: skip
        masked = self._stores.vaults.all_values()
        pid = process.start(job.command, workdir, env, log, job_dir / ".exit_code", self._size(job.compute), masked)
        try:
            self._stores.jobs.transition(name, JobStatus.RUNNING, pid=pid)
        except ConflictError:  # canceled while preparing
            _kill_group(pid)
            raise

    def _workdir(self, spec: JobCreate, job_dir: Path) -> Path:
        workdir = job_dir / "code"
        if spec.code_id:
            shutil.copytree(code.snapshot(self._layout.code_dir, spec.code_id), workdir, dirs_exist_ok=True)
        else:
            workdir.mkdir(parents=True, exist_ok=True)
        return workdir

    def _lakebox_variables(self, name: str, run_id: str, experiment_id: str, token: str, header: str) -> dict[str, str]:
        url = self._endpoints.url
        variables = {
            "MLFLOW_TRACKING_URI": f"{url}/mlflow",
            "MLFLOW_TRACKING_TOKEN": token,
            "MLFLOW_RUN_ID": run_id,
            "MLFLOW_EXPERIMENT_ID": experiment_id,
            "IDENTITY_ENDPOINT": f"{url}/msi/token",
            "IDENTITY_HEADER": header,
            "AZUREML_RUN_ID": name,
            "LAKEBOX_JOB_NAME": name,
            "LAKEBOX_ENDPOINT": url,  # MLClient() inside the job talks to this server, as its managed identity
            "LAKEBOX_FAILURE_FILE": str(self._layout.jobs_dir / name / FAILURE_FILE),
            "LAKEBOX_LOGS_DIR": str(self.log_path(name).parent),  # more logs, downloaded with the job's log
        }
        if self._endpoints.tls_cert:
            cert = str(self._endpoints.tls_cert)
            variables |= {"MLFLOW_TRACKING_SERVER_CERT_PATH": cert, "SSL_CERT_FILE": cert}
        return variables

    def _watch(self, name: str) -> None:
        """Wait for the job's process to end; kill it if its tree outgrows the compute size's memory."""
        pid, _ = self._stores.jobs.runtime(name)
        size = self._size(self._stores.jobs.get(name).compute)
        limit = int(min(size.memory_gib * 2**30, psutil.virtual_memory().total))
        next_check = 0.0
        while pid is not None and pid_alive(pid):
            if time.monotonic() >= next_check:
                next_check = time.monotonic() + _MEMORY_POLL_SECONDS
                if (used := process.tree_memory(pid)) > limit:
                    reason = (
                        f"the job used {used / 2**30:.2f} GiB of memory, more than the {limit / 2**30:.2f} GiB of "
                        f"its compute size {size.name}; it was stopped"
                    )
                    (self._layout.jobs_dir / name / FAILURE_FILE).write_text(reason)
                    _kill_group(pid)
            wait_for_exit(pid, max(0.0, next_check - time.monotonic()))
        self._finish(name)

    def _finish(self, name: str) -> None:
        job = self._stores.jobs.get(name)
        exit_code = process.exit_status(self._layout.jobs_dir / name / ".exit_code")
        try:
            if job.status is JobStatus.CANCELED:
                return
            if exit_code is None:
                unknown = "the job's process ended without an exit status (killed with its process group?)"
                self.fail(name, self._failure_reason(name) or unknown)
                return
            self._stores.jobs.transition(name, JobStatus.FINALIZING)
            if exit_code != 0:
                self.fail(name, self._failure_reason(name) or process.describe_exit(exit_code))
                return
            self._fill_model_outputs(job)
            self._end_run(job, succeeded=True)
            self._stores.jobs.transition(name, JobStatus.COMPLETED)
        finally:
            self._release(name)

    def _failure_reason(self, name: str) -> str | None:
        """What the command wrote to ``$LAKEBOX_FAILURE_FILE`` about why it failed, if anything."""
        file = self._layout.jobs_dir / name / FAILURE_FILE
        reason = file.read_text(errors="replace").strip()[:4000] if file.is_file() else ""
        return reason or None

    def _fill_model_outputs(self, job: Job) -> None:
        """An ``mlflow_model`` output the script left empty gets the model it logged to its run."""
        for output in job.outputs.values():
            folder = Path(output.local_path)
            if output.type == "mlflow_model" and not any(folder.iterdir()) and job.mlflow_run_id:
                assert job.mlflow_experiment_id is not None
                self._tracking.copy_logged_model(job.mlflow_experiment_id, job.mlflow_run_id, folder)

    def _end_run(self, job: Job, succeeded: bool) -> None:
        if job.mlflow_run_id:
            self._tracking.end_run(job.mlflow_run_id, succeeded)

    def fail(self, name: str, reason: str) -> None:
        """Move a job to Failed with ``reason`` (unless it already ended) and close its run and identity."""
        try:
            job = self._stores.jobs.transition(name, JobStatus.FAILED, error=reason)
        except ConflictError:
            return  # already canceled or finished
        self._end_run(job, succeeded=False)
        self._release(name)

    def _release(self, name: str) -> None:
        """End the job's identity: its header and tokens stop working."""
        _, grant_id = self._stores.jobs.runtime(name)
        if grant_id:
            self._stores.identities.revoke_grant(grant_id)

    # Control

    def cancel(self, name: str, principal: Principal) -> Job:
        """Cancel a job (a sweep: with its unfinished trials)."""
        job = self.terminate(name, f"canceled by {principal.name}")
        self.end_trials(name, f"its sweep {name} was canceled by {principal.name}")
        return job

    def end_trials(self, sweep: str, reason: str) -> None:
        """Cancel the sweep's unfinished trials."""
        for trial in self._stores.jobs.trials(sweep):
            if not trial.status.terminal:
                with contextlib.suppress(ConflictError):  # it ended meanwhile
                    self.terminate(trial.name, reason)

    def terminate(self, name: str, reason: str) -> Job:
        """Move a job to Canceled with ``reason`` and end its process tree and identity."""
        job = self._stores.jobs.get(name)
        if job.status.terminal:
            raise ConflictError(f"job {name} is already {job.status}")
        job = self._stores.jobs.transition(name, JobStatus.CANCELED, error=reason)
        pid, _ = self._stores.jobs.runtime(name)
        if pid is not None:
            threading.Thread(target=_kill_group, args=(pid,), daemon=True).start()
        self._end_run(job, succeeded=False)
        self._release(name)
        return job

    def details(self, name: str) -> Job:
        job = self._stores.jobs.get(name)
        if job.mlflow_run_id:
            metrics, params = self._tracking.metrics_and_params(job.mlflow_run_id)
            job = job.model_copy(update={"metrics": metrics, "params": params})
        return job

    def log_path(self, name: str) -> Path:
        self._stores.jobs.get(name)
        return self._layout.jobs_dir / name / "user_logs" / "std_log.txt"

    def note(self, name: str, line: str) -> None:
        """A line of lakebox's own in the job's log (which ``jobs.stream`` shows), stamped with the time."""
        path = self.log_path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a") as log:
            log.write(f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S} {line}\n")

    # Recovery

    def _recover(self) -> None:
        """Re-attach to jobs still running from a previous server, queue again those it was preparing (nothing of
        theirs ran yet), and fail those it was finalizing."""
        for job in self._stores.jobs.unfinished():
            pid, _ = self._stores.jobs.runtime(job.name)
            if job.type == "sweep":
                continue  # the scheduler drives it on from its trials
            if job.status is JobStatus.NOT_STARTED:
                self._stores.jobs.transition(job.name, JobStatus.QUEUED)
            elif job.status is JobStatus.PREPARING:
                self._stores.jobs.transition(job.name, JobStatus.QUEUED)
                self.note(job.name, "the server stopped while the job was being prepared; it is queued again")
            elif job.status in (JobStatus.RUNNING, JobStatus.FINALIZING) and pid is not None:
                with self._wake:
                    self._running[job.name] = job.compute
                threading.Thread(target=self._reattach, args=(job.name,), daemon=True).start()

    def _reattach(self, name: str) -> None:
        try:
            if self._stores.jobs.get(name).status is JobStatus.FINALIZING:
                self.fail(name, "the server stopped while the job was being finalized")
            else:
                self._watch(name)
        finally:
            with self._wake:
                self._running.pop(name, None)
                self._wake.notify_all()


def _copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        shutil.copytree(source, target, dirs_exist_ok=True)
    else:
        shutil.copy2(source, target)


def _kill_group(pid: int) -> None:
    """SIGTERM the job's process group, then SIGKILL whatever is left after the grace period."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + _CANCEL_GRACE_SECONDS
        while pid_alive(pid) and (left := deadline - time.monotonic()) > 0:
            wait_for_exit(pid, left)
        if not pid_alive(pid):
            return
