"""The sweep controller: a thread per running sweep that submits its trials as command jobs, stops
trials early by its policy and at its time limits, and at the end names the best trial.

A sweep holds no compute slot of its own; its trials queue on the compute like any job. Everything
the controller knows is in the store (the trials made so far, the seed of the sampling), so a
restarted server drives an unfinished sweep on from where it stood.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import re
import secrets
import threading
import time
from datetime import UTC, datetime
from typing import Any, Protocol

from lakebox.entities import Job, JobCreate, JobStatus
from lakebox.entities.sweep import RandomSamplingAlgorithm, SweepJobCreate
from lakebox.errors import ConflictError, LakeboxError, ValidationError, failure_reason
from lakebox.jobs.names import job_name
from lakebox.jobs.sweep.sampling import Sample, samples
from lakebox.jobs.sweep.termination import trials_to_stop
from lakebox.jobs.tracking import JobTracking
from lakebox.store.stores import Stores

_logger = logging.getLogger(__name__)
_TICK_SECONDS = 0.5
_SEARCH_SPACE_REFERENCE = re.compile(r"\$\{\{\s*search_space\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
BEST_TRIAL_PROPERTY = "best_child_run_id"
SCORE_PROPERTY = "score"


class TrialRunner(Protocol):
    """What the sweep controller needs of the job runner, which runs its trials as command jobs."""

    def check(self, spec: JobCreate) -> None: ...

    def plan(self, spec: JobCreate, submitted_by: str, parent: str | None = None) -> dict[str, Any]: ...

    def enqueue(self, fields: dict[str, Any]) -> Job: ...

    def note(self, name: str, line: str) -> None: ...

    def terminate(self, name: str, reason: str) -> Job: ...

    def end_trials(self, sweep: str, reason: str) -> None: ...

    def fail(self, name: str, reason: str) -> None: ...


class SweepController:
    def __init__(self, runner: TrialRunner, stores: Stores, tracking: JobTracking) -> None:
        self._runner, self._stores, self._tracking = runner, stores, tracking
        self._driving: set[str] = set()
        self._lock = threading.Lock()

    def submit(self, spec: SweepJobCreate, submitted_by: str, properties: dict[str, str]) -> Job:
        """Check the sweep and its first trial as a job submission would; then queue the sweep."""
        name = spec.name or job_name()
        first = self._first_trial(spec, name)
        seed = secrets.randbelow(2**31) if isinstance(spec.sampling_algorithm, RandomSamplingAlgorithm) else 0
        trial = self._runner.plan(first, submitted_by, parent=name)
        return self._runner.enqueue(
            {
                "name": name,
                "spec": spec.model_dump(mode="json") | {"seed": seed, "submitted_by": submitted_by},
                "compute": trial["compute"],
                "environment": trial["environment"],
                "command": spec.trial.command,
                "experiment_name": trial["experiment_name"],
                "outputs": {},
                "job_type": "sweep",
                "properties": properties,
            }
        )

    def check(self, spec: SweepJobCreate) -> None:
        """Everything :meth:`submit` checks, storing nothing."""
        self._runner.check(self._first_trial(spec, "check"))

    @staticmethod
    def _first_trial(spec: SweepJobCreate, name: str) -> JobCreate:
        undefined = sorted(set(_SEARCH_SPACE_REFERENCE.findall(spec.trial.command)) - set(spec.search_space))
        if undefined:
            raise ValidationError(
                f"the trial command refers to search_space.{', search_space.'.join(undefined)}, which the search "
                "space does not define",
                details={"missing": undefined},
            )
        return trial_spec(spec, name, 0, next(samples(spec, 0)))

    def drive(self, name: str) -> None:
        """Make sure a thread drives the sweep on (called on every scheduler tick)."""
        with self._lock:
            if name in self._driving:
                return
            self._driving.add(name)
        threading.Thread(target=self._drive, args=(name,), name=f"sweep-{name}", daemon=True).start()

    def _drive(self, name: str) -> None:
        try:
            self._run(name)
        except Exception as exc:
            self._fail(name, failure_reason(exc, _logger, f"sweep {name}"))
        finally:
            with self._lock:
                self._driving.discard(name)

    def _run(self, name: str) -> None:
        stored = self._stores.jobs.spec(name)
        spec = SweepJobCreate.model_validate({k: v for k, v in stored.items() if k in SweepJobCreate.model_fields})
        job = self._start(name, stored["submitted_by"])
        pending = itertools.islice(samples(spec, stored["seed"]), len(self._stores.jobs.trials(name)), None)
        upcoming: Sample | None = next(pending, None)
        deadline = (job.started_at or datetime.now(UTC)).timestamp() + spec.limits.timeout
        histories: dict[str, list[float]] = {}
        reported = {t.name for t in self._stores.jobs.trials(name) if t.status.terminal}
        while job.status is JobStatus.RUNNING:
            out_of_time = time.time() > deadline
            trials = self._stores.jobs.trials(name)
            if self._stop_trials(spec, trials, histories, out_of_time):
                trials = self._stores.jobs.trials(name)
            self._report_ended(name, trials, reported)
            active = [t for t in trials if not t.status.terminal]
            if out_of_time or len(trials) >= spec.limits.max_total_trials:
                upcoming = None
            while upcoming is not None and len(active) < spec.limits.concurrency:
                active.append(self._submit_trial(spec, name, len(trials), upcoming, stored["submitted_by"]))
                trials.append(active[-1])
                upcoming = next(pending, None) if len(trials) < spec.limits.max_total_trials else None
            if not active and upcoming is None:
                self._finish(name, spec)
                return
            time.sleep(_TICK_SECONDS)
            job = self._stores.jobs.get(name)

    def _start(self, name: str, submitted_by: str) -> Job:
        """Queued -> Preparing -> Running, with the sweep's own MLflow run that its trials' runs nest under."""
        job = self._stores.jobs.get(name)
        if job.status is JobStatus.QUEUED:
            job = self._stores.jobs.transition(name, JobStatus.PREPARING)
        if job.status is JobStatus.PREPARING:
            experiment_id, run_id = self._tracking.start_run(
                job.experiment_name, job.display_name or name, name, submitted_by
            )
            self._stores.jobs.update(name, mlflow_run_id=run_id, mlflow_experiment_id=experiment_id)
            job = self._stores.jobs.transition(name, JobStatus.RUNNING)
            self._runner.note(name, f"sweep started; trials nest under MLflow run {run_id}")
        if job.status is JobStatus.FINALIZING:
            raise LakeboxError("the server stopped while the sweep was being finalized")
        return job

    def _submit_trial(self, spec: SweepJobCreate, name: str, index: int, sample: Sample, submitted_by: str) -> Job:
        try:
            fields = self._runner.plan(trial_spec(spec, name, index, sample), submitted_by, parent=name)
        except LakeboxError as exc:
            raise LakeboxError(f"trial {index} could not be submitted: {exc.message}") from exc
        trial = self._runner.enqueue(fields)
        self._runner.note(name, f"{trial.name} queued with {json.dumps(sample)}")
        return trial

    def _report_ended(self, name: str, trials: list[Job], reported: set[str]) -> None:
        for trial in trials:
            if trial.status.terminal and trial.name not in reported:
                reported.add(trial.name)
                self._runner.note(name, f"{trial.name} {trial.status}" + (f": {trial.error}" if trial.error else ""))

    def _stop_trials(
        self, spec: SweepJobCreate, trials: list[Job], histories: dict[str, list[float]], out_of_time: bool
    ) -> bool:
        """Stop trials past the sweep's or their own time limit, and those the policy gives up on;
        True if it stopped any."""
        running = {t.name: t for t in trials if t.status is JobStatus.RUNNING}
        reasons: dict[str, str] = {}
        if out_of_time:
            reasons = {
                t.name: f"the sweep reached its timeout of {spec.limits.timeout} s"
                for t in trials
                if not t.status.terminal
            }
        elif spec.limits.trial_timeout is not None:
            now = time.time()
            for trial in running.values():
                if trial.started_at and now - trial.started_at.timestamp() > spec.limits.trial_timeout:
                    reasons[trial.name] = (
                        f"the trial ran past the sweep's trial_timeout of {spec.limits.trial_timeout} s"
                    )
        if spec.early_termination is not None and not reasons:
            for trial in trials:
                if trial.mlflow_run_id and (trial.name not in histories or not trial.status.terminal):
                    histories[trial.name] = self._tracking.metric_history(
                        trial.mlflow_run_id, spec.objective.primary_metric
                    )
            policy = spec.early_termination
            stops = trials_to_stop(policy, spec.objective, histories, set(running))
            reasons = {name: f"stopped early by the {policy.type} policy: {why}" for name, why in stops.items()}
        for name, reason in reasons.items():
            with contextlib.suppress(ConflictError):  # it ended meanwhile
                self._runner.terminate(name, reason)
        return bool(reasons)

    def _finish(self, name: str, spec: SweepJobCreate) -> None:
        """Name the best completed trial; its outputs become the sweep's. No scored trial fails the sweep."""
        trials = self._stores.jobs.trials(name)
        metric, maximize = spec.objective.primary_metric, spec.objective.goal == "maximize"
        scored: list[tuple[float, Job]] = []
        for trial in trials:
            if trial.status is JobStatus.COMPLETED and trial.mlflow_run_id:
                metrics, _ = self._tracking.metrics_and_params(trial.mlflow_run_id)
                if metric in metrics:
                    scored.append((metrics[metric], trial))
        self._stores.jobs.transition(name, JobStatus.FINALIZING)
        if not scored:
            self._fail(name, _why_nothing_scored(trials, metric))
            return
        score, best = (max if maximize else min)(scored, key=lambda pair: pair[0])
        self._runner.note(name, f"best trial: {best.name} with {metric} {score:g} ({best.tags.get('hyperparameters')})")
        job = self._stores.jobs.get(name)
        if job.mlflow_run_id:
            self._tracking.log_result(job.mlflow_run_id, {metric: score}, {BEST_TRIAL_PROPERTY: best.name})
            self._tracking.end_run(job.mlflow_run_id, succeeded=True)
        self._stores.jobs.transition(
            name,
            JobStatus.COMPLETED,
            outputs={key: output.model_dump() for key, output in best.outputs.items()},
            properties=job.properties
            | {
                BEST_TRIAL_PROPERTY: best.name,
                SCORE_PROPERTY: repr(score),
            }
            | _counts(trials),
        )

    def _fail(self, name: str, reason: str) -> None:
        self._runner.end_trials(name, f"its sweep {name} failed")
        self._runner.fail(name, reason)


def trial_spec(spec: SweepJobCreate, sweep: str, index: int, sample: Sample) -> JobCreate:
    """Trial ``index`` of the sweep: its command job with the sampled values as inputs (and in
    ``AZUREML_SWEEP_<name>`` variables, as Azure ML sets them)."""
    trial = spec.trial
    variables = {f"AZUREML_SWEEP_{key}": str(value) for key, value in sample.items()}
    return trial.model_copy(
        update={
            "name": f"{sweep}_{index}",
            "command": _SEARCH_SPACE_REFERENCE.sub(lambda m: "${{inputs." + m[1] + "}}", trial.command),
            "inputs": trial.inputs | sample,
            "compute": spec.compute or trial.compute,
            "experiment_name": spec.experiment_name or trial.experiment_name,
            "environment_variables": trial.environment_variables | variables,
            "tags": spec.tags | trial.tags | {"hyperparameters": json.dumps(sample)},
        }
    )


def _why_nothing_scored(trials: list[Job], metric: str) -> str:
    completed = [t for t in trials if t.status is JobStatus.COMPLETED]
    if completed:
        return f"no completed trial logged the primary metric {metric!r} with MLflow ({len(completed)} completed)"
    failed = [t for t in trials if t.status is JobStatus.FAILED]
    first = f"; {failed[0].name}: {failed[0].error}" if failed else ""
    return f"none of the {len(trials)} trials completed ({len(failed)} failed{first})"


def _counts(trials: list[Job]) -> dict[str, str]:
    return {
        f"trials_{status.value.lower()}": str(sum(1 for t in trials if t.status is status))
        for status in (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELED)
    }
