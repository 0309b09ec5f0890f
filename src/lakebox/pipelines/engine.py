"""The pipeline engine of a workspace server: runs pipelines as ADF does, records every activity
attempt, and picks up the runs a previous server left unfinished.

Activities whose dependencies are met run at once, each in its own thread; a container (ForEach,
IfCondition, ...) runs its body the same way. Every attempt is stored as it starts and as it ends, and
variables as they change, so a restarted server resumes a run: what finished keeps its outcome, what
was in progress runs again. ``rerun --from-failure`` starts a new run in the same group that keeps the
top-level activities that succeeded and runs the rest.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lakebox.entities.pipeline import ActivityRun, ActivityStatus, Artifact, PipelineRun, PipelineRunStatus
from lakebox.errors import BadRequestError, ConflictError, LakeboxError, failure_reason
from lakebox.expressions.functions import format_timestamp, utc_now
from lakebox.expressions.language import Scope, evaluate
from lakebox.expressions.timespan import parse_timespan
from lakebox.pipelines import graph
from lakebox.pipelines.activities import ACTIVITY_TYPES
from lakebox.pipelines.activities.base import ActivityContext, Body, Cancelled, RunState, failure_of
from lakebox.pipelines.services import Services

_logger = logging.getLogger(__name__)
DEFAULT_TIMEOUT = "0.12:00:00"
DEFAULT_RETRY_INTERVAL = 30
REDACTED = "***"
RESTART_ERROR = "ServerRestarted"
_PARAMETER_TYPES = {"string", "securestring", "int", "float", "bool", "array", "object", "secureobject"}


@dataclass
class _Seed:
    """An outcome carried over from an earlier run (a resumed run, or a rerun from failure)."""

    outcome: graph.Outcome
    output: Any
    error: dict[str, Any] | None
    activity_type: str = ""
    copied_from: str | None = None  # a rerun records it again, naming the run it came from


class PipelineEngine:
    def __init__(self, services: Services, clock: Callable[[], datetime] = utc_now) -> None:
        self._services, self._clock = services, clock
        self._store = services.stores.pipelines
        self._live: dict[str, RunState] = {}
        self._lock = threading.Lock()

    # Starting, cancelling, rerunning

    def start(self) -> None:
        """Resume the runs a previous server left unfinished."""
        for run in self._store.unfinished_runs():
            self._recover(run)

    def run(
        self,
        name: str,
        parameters: dict[str, Any],
        invoked_by: dict[str, str],
        *,
        parent_run_id: str | None = None,
        rerun_of: PipelineRun | None = None,
        seeds: dict[str, _Seed] | None = None,
    ) -> PipelineRun:
        """Check the parameters and start a run; nothing is stored when they are wrong."""
        pipeline = self._store.pipelines.get(name)
        values = bind_parameters(pipeline, parameters)
        run_id = str(uuid.uuid4())
        run = self._store.create_run(
            PipelineRun(
                run_id=run_id,
                pipeline_name=pipeline.name,
                status=PipelineRunStatus.QUEUED,
                parameters=_masked(pipeline, values),
                invoked_by=invoked_by,
                run_group_id=rerun_of.run_group_id if rerun_of else run_id,
                rerun_of=rerun_of.run_id if rerun_of else None,
                parent_run_id=parent_run_id,
            )
        )
        self._launch(run, pipeline, values, seeds or {}, variables=None)
        return run

    def cancel(self, run_id: str) -> PipelineRun:
        run = self._store.get_run(run_id)
        if run.status.terminal:
            raise ConflictError(f"pipeline run {run_id} is already {run.status.value}")
        with self._lock:
            state = self._live.get(run_id)
        if state is None:
            return self._store.transition(run_id, PipelineRunStatus.CANCELLED, "cancelled (it was not running)")
        run = self._store.transition(run_id, PipelineRunStatus.CANCELING)
        state.cancel.set()
        return run

    def rerun(self, run_id: str, *, from_failure: bool, invoked_by: dict[str, str]) -> PipelineRun:
        """A new run of the same pipeline and parameters; ``from_failure`` keeps what succeeded."""
        original = self._store.get_run(run_id)
        if not original.status.terminal:
            raise ConflictError(f"pipeline run {run_id} is {original.status.value}; rerun it when it has ended")
        if any(value == REDACTED for value in original.parameters.values()):
            raise BadRequestError("this run had SecureString parameters, which are not kept; start a new run")
        seeds = self._finished_top_level(run_id, only_succeeded=True) if from_failure else {}
        return self.run(original.pipeline_name, original.parameters, invoked_by, rerun_of=original, seeds=seeds)

    # Child runs (ExecutePipeline)

    def start_child(self, pipeline: str, parameters: dict[str, Any], parent_run_id: str) -> str:
        invoked_by = {"name": parent_run_id, "invokedByType": "PipelineActivity"}
        return self.run(pipeline, parameters, invoked_by, parent_run_id=parent_run_id).run_id

    def status_of(self, run_id: str) -> tuple[str, str, dict[str, Any]]:
        run = self._store.get_run(run_id)
        return run.status.value, run.message, run.output

    def cancel_child(self, run_id: str) -> None:
        with contextlib.suppress(ConflictError):
            self.cancel(run_id)

    # Running

    def _launch(
        self,
        run: PipelineRun,
        pipeline: Artifact,
        values: dict[str, Any],
        seeds: dict[str, _Seed],
        variables: dict[str, Any] | None,
    ) -> None:
        declared = {
            name: str((spec or {}).get("type", "String"))
            for name, spec in (pipeline.properties.get("variables") or {}).items()
        }
        initial = {
            name: (spec or {}).get("defaultValue")
            for name, spec in (pipeline.properties.get("variables") or {}).items()
        }
        state = RunState(
            run_id=run.run_id,
            pipeline_name=pipeline.name,
            services=self._services,
            variables=initial | (variables or {}),
            declared=declared,
            children=self,
        )
        scope = Scope(
            pipeline={
                "parameters": values,
                "RunId": run.run_id,
                "Pipeline": pipeline.name,
                "DataFactory": self._services.workspace_name,
                "GroupId": run.run_group_id,
                "TriggerType": run.invoked_by.get("invokedByType", "Manual"),
                "TriggerName": run.invoked_by.get("name", "Manual"),
                "TriggerTime": format_timestamp(self._clock()),
                "globalParameters": {},
            },
            variables=state.variables,
            clock=self._clock,
        )
        with self._lock:
            self._live[run.run_id] = state
        activities = list(pipeline.properties.get("activities") or [])
        thread = threading.Thread(
            target=self._execute, args=(state, activities, scope, seeds), name=f"pipeline-{run.run_id[:8]}", daemon=True
        )
        thread.start()

    def _execute(
        self, state: RunState, activities: list[dict[str, Any]], scope: Scope, seeds: dict[str, _Seed]
    ) -> None:
        run_id = state.run_id
        try:
            self._store.transition(run_id, PipelineRunStatus.IN_PROGRESS)
            failures: list[str] = []
            ok = self._level(state, activities, scope, "", seeds, failures)
            if state.cancel.is_set():
                status, message = PipelineRunStatus.CANCELLED, "cancelled"
            else:
                status = PipelineRunStatus.SUCCEEDED if ok else PipelineRunStatus.FAILED
                message = "" if ok else "; ".join(failures) or "an activity failed"
            self._store.transition(run_id, status, message, output=state.return_value)
        except Exception as exc:
            reason = failure_reason(exc, _logger, f"pipeline run {run_id}")
            self._store.transition(run_id, PipelineRunStatus.FAILED, reason)
        finally:
            with self._lock:
                self._live.pop(run_id, None)

    def _level(
        self,
        state: RunState,
        activities: list[dict[str, Any]],
        scope: Scope,
        path: str,
        seeds: dict[str, _Seed] | None = None,
        failures: list[str] | None = None,
    ) -> bool:
        """Run one list of activities by their dependencies; whether they succeeded (the leaf rule)."""
        outcomes: dict[str, graph.Outcome] = {}
        records: dict[str, Any] = {}
        for name, seed in (seeds or {}).items():
            outcomes[name] = seed.outcome
            records[name] = {"output": seed.output, "error": seed.error, "status": seed.outcome}
            if seed.copied_from:
                self._record_copy(state, name, seed)
        pending = [a for a in activities if a["name"] not in outcomes]
        changed = threading.Condition()
        running = 0

        def finished(name: str, outcome: graph.Outcome, record: dict[str, Any], error: str | None) -> None:
            nonlocal running
            with changed:
                outcomes[name], records[name] = outcome, record
                if error and failures is not None:
                    failures.append(f"Operation on target {name} failed: {error}")
                running -= 1
                changed.notify_all()

        with changed:
            while True:
                for item in list(pending):
                    if state.cancel.is_set():
                        break
                    decision = graph.decide(item, outcomes)
                    if decision == "wait":
                        continue
                    pending.remove(item)
                    if decision == "skip":
                        self._record_skip(state, item, path)
                        outcomes[item["name"]] = "Skipped"
                        records[item["name"]] = {"output": None, "error": None, "status": "Skipped"}
                        continue
                    running += 1
                    visible = scope.child(activities={**scope.activities, **records})
                    threading.Thread(
                        target=self._activity, args=(state, item, visible, path, finished), daemon=True
                    ).start()
                if running == 0 and (not pending or state.cancel.is_set() or not self._any_ready(pending, outcomes)):
                    break
                changed.wait()
        if state.cancel.is_set():
            return False
        return graph.succeeded(activities, outcomes)

    @staticmethod
    def _any_ready(pending: list[dict[str, Any]], outcomes: dict[str, graph.Outcome]) -> bool:
        return any(graph.decide(item, outcomes) != "wait" for item in pending)

    def _activity(
        self,
        state: RunState,
        item: dict[str, Any],
        scope: Scope,
        path: str,
        finished: Callable[[str, graph.Outcome, dict[str, Any], str | None], None],
    ) -> None:
        name = str(item["name"])
        try:
            outcome, output, error = self._attempts(state, item, scope, path)
        except Exception as exc:  # a bug here must not hang the level
            _logger.exception("activity %s of run %s", name, state.run_id)
            outcome, output, error = "Failed", None, failure_of(exc).to_error()
        finished(
            name,
            outcome,
            {"output": output, "error": error, "status": outcome},
            error["message"] if error and outcome == "Failed" else None,
        )

    def _attempts(
        self, state: RunState, item: dict[str, Any], scope: Scope, path: str
    ) -> tuple[graph.Outcome, Any, dict[str, Any] | None]:
        kind = ACTIVITY_TYPES[str(item["type"])]
        policy = item.get("policy") or {}
        timeout = parse_timespan(str(policy.get("timeout") or DEFAULT_TIMEOUT))
        retries = int(policy.get("retry") or 0)
        interval = float(policy.get("retryIntervalInSeconds", DEFAULT_RETRY_INTERVAL))
        raw = dict(item.get("typeProperties") or {})
        output: Any = None
        error: dict[str, Any] | None = None
        for attempt in range(1, retries + 2):
            context = ActivityContext(state, item, scope, path, time.monotonic() + timeout, self._body(state))
            recorded_input: Any = _container_input(raw) if kind.container else raw
            activity_id: int | None = None
            try:
                properties = raw if kind.container else evaluate(raw, scope)
                recorded_input = _container_input(properties) if kind.container else properties
                activity_id = self._record_start(state, item, path, attempt, recorded_input, policy)
                output = kind.execute(context, properties)
                context.check()
                status, error = ActivityStatus.SUCCEEDED, None
            except Cancelled as exc:
                status = ActivityStatus.CANCELLED if state.cancel.is_set() else ActivityStatus.FAILED
                error = {
                    "errorCode": "ActivityTimedOut" if status is ActivityStatus.FAILED else "Cancelled",
                    "message": f"{exc} ({policy.get('timeout') or DEFAULT_TIMEOUT})"
                    if status is ActivityStatus.FAILED
                    else str(exc),
                    "failureType": "UserError",
                }
                output = None
            except Exception as exc:
                status, error, output = ActivityStatus.FAILED, failure_of(exc).to_error(), None
            if activity_id is None:
                activity_id = self._record_start(state, item, path, attempt, recorded_input, policy)
            shown = REDACTED if policy.get("secureOutput") and output is not None else output
            self._store.finish_activity(activity_id, status, _jsonable(shown), error)
            if status is ActivityStatus.SUCCEEDED and item["type"] in ("SetVariable", "AppendVariable"):
                with state.lock:
                    self._store.save_variables(state.run_id, state.variables)
            if status is not ActivityStatus.FAILED or attempt > retries:
                break
            try:
                context.deadline = time.monotonic() + interval + 1
                context.wait(interval)
            except Cancelled:
                break
        outcome: graph.Outcome = (
            "Succeeded"
            if status is ActivityStatus.SUCCEEDED
            else ("Cancelled" if status is ActivityStatus.CANCELLED else "Failed")
        )
        return outcome, output, error

    def _body(self, state: RunState) -> Body:
        def body(activities: list[dict[str, Any]], scope: Scope, path: str) -> bool:
            return self._level(state, activities, scope, path)

        return body

    def _record_start(
        self, state: RunState, item: dict[str, Any], path: str, attempt: int, recorded: Any, policy: dict[str, Any]
    ) -> int:
        shown = REDACTED if policy.get("secureInput") else _jsonable(recorded)
        return self._store.start_activity(
            ActivityRun(
                run_id=state.run_id,
                activity_name=item["name"],
                activity_type=item["type"],
                path=path,
                status=ActivityStatus.IN_PROGRESS,
                attempt=attempt,
                input=shown,
            )
        )

    def _record_copy(self, state: RunState, name: str, seed: _Seed) -> None:
        copied = ActivityRun(
            run_id=state.run_id,
            activity_name=name,
            activity_type=seed.activity_type,
            status=ActivityStatus(seed.outcome),
            input={"copiedFromRun": seed.copied_from},
        )
        self._store.finish_activity(self._store.start_activity(copied), copied.status, seed.output, seed.error)

    def _record_skip(self, state: RunState, item: dict[str, Any], path: str) -> None:
        self._store.start_activity(
            ActivityRun(
                run_id=state.run_id,
                activity_name=item["name"],
                activity_type=item["type"],
                path=path,
                status=ActivityStatus.SKIPPED,
            )
        )

    # Recovery

    def _recover(self, run: PipelineRun) -> None:
        reason = "the server stopped while this activity ran"
        self._store.abandon_activities(run.run_id, reason)
        if run.status is PipelineRunStatus.CANCELING:
            self._store.transition(run.run_id, PipelineRunStatus.CANCELLED, "cancelled (the server restarted)")
            return
        if any(value == REDACTED for value in run.parameters.values()):
            self._store.transition(
                run.run_id,
                PipelineRunStatus.FAILED,
                "the server restarted mid-run, and this run's SecureString parameters are not kept; start it again",
            )
            return
        try:  # the pipeline may have been deleted or changed since the run started
            pipeline = self._store.pipelines.get(run.pipeline_name)
            values = bind_parameters(pipeline, run.parameters)
        except LakeboxError as exc:
            self._store.transition(run.run_id, PipelineRunStatus.FAILED, f"cannot resume after a restart: {exc}")
            return
        _logger.info("resuming pipeline run %s of %s", run.run_id, run.pipeline_name)
        seeds = self._finished_top_level(run.run_id, only_succeeded=False, pipeline=pipeline)
        self._launch(run, pipeline, values, seeds, variables=self._store.variables(run.run_id))

    def _finished_top_level(
        self, run_id: str, *, only_succeeded: bool, pipeline: Artifact | None = None
    ) -> dict[str, _Seed]:
        """The top-level activities of a run that reached their final outcome."""
        latest: dict[str, ActivityRun] = {}
        for attempt in self._store.activity_runs(run_id):
            if attempt.path == "":
                latest[attempt.activity_name] = attempt
        retries = {
            str(a["name"]): int((a.get("policy") or {}).get("retry") or 0)
            for a in ((pipeline.properties.get("activities") or []) if pipeline else [])
        }
        seeds = {}
        for name, attempt in latest.items():
            final = attempt.status in (ActivityStatus.SUCCEEDED, ActivityStatus.SKIPPED) or (
                attempt.status is ActivityStatus.FAILED
                and (attempt.error or {}).get("errorCode") != RESTART_ERROR
                and attempt.attempt > retries.get(name, 0)
            )
            if only_succeeded and attempt.status is not ActivityStatus.SUCCEEDED:
                continue
            if final:
                seeds[name] = _Seed(
                    attempt.status.value,  # type: ignore[arg-type]
                    attempt.output,
                    attempt.error,
                    attempt.activity_type,
                    copied_from=run_id if only_succeeded else None,
                )
        return seeds


def bind_parameters(pipeline: Artifact, given: dict[str, Any]) -> dict[str, Any]:
    """The run's parameter values: given ones converted to their declared types, defaults for the rest."""
    declared = pipeline.properties.get("parameters") or {}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise BadRequestError(f"pipeline {pipeline.name} has no parameter {', '.join(unknown)}")
    values = {}
    for name, spec in declared.items():
        spec = spec or {}
        kind = str(spec.get("type", "String")).lower()
        if name in given:
            values[name] = _convert(name, kind, given[name])
        elif "defaultValue" in spec:
            values[name] = spec["defaultValue"]
        else:
            raise BadRequestError(f"pipeline {pipeline.name} needs parameter {name!r} (it has no default)")
    return values


def _convert(name: str, kind: str, value: Any) -> Any:
    if not isinstance(value, str) or kind in ("string", "securestring"):
        return value
    try:
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
        if kind == "bool":
            if value.lower() not in ("true", "false"):
                raise ValueError(value)
            return value.lower() == "true"
        if kind in ("array", "object", "secureobject"):
            return json.loads(value)
    except ValueError:
        raise BadRequestError(f"parameter {name!r} is {kind}; {value!r} is not") from None
    return value


def _masked(pipeline: Artifact, values: dict[str, Any]) -> dict[str, Any]:
    declared = pipeline.properties.get("parameters") or {}
    secure = {n for n, spec in declared.items() if str((spec or {}).get("type", "")).lower().startswith("secure")}
    return {name: REDACTED if name in secure else value for name, value in values.items()}


def _container_input(properties: dict[str, Any]) -> dict[str, Any]:
    nested = {"activities", "ifTrueActivities", "ifFalseActivities", "cases", "defaultActivities"}
    return {key: value for key, value in properties.items() if key not in nested}


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str)) if value is not None else None
