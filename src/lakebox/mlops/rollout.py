"""Deploy-if-better with a safe rollout, run by the control plane.

1. **Evaluate.** The candidate and the model behind the endpoint's production deployment (the one with the
   most traffic) are scored on the held-out data by the same code (:mod:`lakebox.mlops.evaluation`). Unless
   the candidate beats production by ``min_improvement``, nothing changes and the decision says why.
2. **Deploy.** The candidate is registered as the next version of the production model's name (unless it
   is a registered version already) and deployed beside production, with production's code, environment
   and settings, taking no traffic.
3. **Shift.** Traffic moves to it in steps (10% -> 50% -> 100% by default). Through each step the gateway's
   figures for the candidate are watched; more errors than ``max_error_rate`` or a p95 latency above
   ``max_latency_ms`` sends all traffic back to production at once.

Every decision is stored with its figures. A server that stops mid-rollout sends the traffic back to
production when it starts again.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path

from lakebox.entities import Principal
from lakebox.entities.endpoint import ManagedOnlineDeployment, ManagedOnlineEndpoint
from lakebox.entities.model import Model, ModelCreate
from lakebox.entities.rollout import FINISHED, METRICS, DeployIfBetter, Rollout, RolloutStep
from lakebox.errors import BadRequestError, ConflictError, LakeboxError, failure_reason
from lakebox.jobs.io import resolve_workspace_data
from lakebox.lake.uris import LakeResolver
from lakebox.mlops.evaluation import score_models
from lakebox.models.registry import ModelRegistry
from lakebox.serving.controller import EndpointController
from lakebox.serving.process import GatewayClient
from lakebox.store.stores import Stores
from lakebox.store.types import utcnow

_logger = logging.getLogger(__name__)
_SOURCE = re.compile(r"^(azureml://|runs:/)")  # files to register; anything else names a registered version
_WATCH_SECONDS = 1.0
_DEPLOY_TIMEOUT_SECONDS = 900
_EARLY_JUDGEMENT_REQUESTS = 10  # before a step ends, it is judged only on at least this many answers


class Rollouts:
    def __init__(
        self,
        stores: Stores,
        registry: ModelRegistry,
        endpoints: EndpointController,
        gateway: GatewayClient,
        lake: Callable[[], LakeResolver],
    ) -> None:
        self._stores, self._registry, self._endpoints = stores, registry, endpoints
        self._gateway, self._lake = gateway, lake
        self._lock = threading.Lock()

    def start(self, policy: DeployIfBetter, principal: Principal) -> Rollout:
        """Check the policy, record the rollout and run it in the background."""
        endpoint = self._stores.endpoints.get(policy.endpoint_name)
        candidate = _candidate_deployment(policy.deployment_name, self._production(endpoint).name)
        live = {name.lower(): share for name, share in (endpoint.traffic or {}).items() if share > 0}
        if candidate.lower() in live:
            raise BadRequestError(
                f"deployment {candidate} takes {live[candidate.lower()]}% of {endpoint.name}'s traffic; "
                "give the candidate another deployment_name"
            )
        self._candidate_files(policy.candidate)
        self._test_data(policy.test_data)
        with self._lock:
            running = [r.name for r in self.list(endpoint.name) if r.status not in FINISHED]
            if running:
                raise ConflictError(f"rollout {running[0]} of {endpoint.name} is still running; wait for it to end")
            rollout = Rollout(
                **policy.model_dump(),
                name=f"{endpoint.name}-{utcnow():%Y%m%d%H%M%S%f}",
                created_by=principal.name,
                created_at=utcnow(),
            )
            self._stores.rollouts.put(rollout)
        worker = threading.Thread(target=self._run, args=(rollout, principal), name=f"rollout-{rollout.name}")
        worker.daemon = True
        worker.start()
        return rollout

    def get(self, name: str) -> Rollout:
        return self._stores.rollouts.get(name)

    def list(self, endpoint_name: str) -> list[Rollout]:
        """The endpoint's rollouts, latest first."""
        return sorted(
            (r for r in self._stores.rollouts.list() if r.endpoint_name.lower() == endpoint_name.lower()),
            key=lambda r: r.created_at,
            reverse=True,
        )

    def resume(self) -> None:
        """After a restart: a rollout the last server left running sends all traffic back to production."""
        for rollout in self._stores.rollouts.list():
            if rollout.status not in FINISHED:
                reason = "the server stopped during the rollout"
                if rollout.status == "Shifting" and rollout.production_deployment:
                    reason += self._restore(rollout)
                self._finish(rollout, "Failed", reason)

    # The steps

    def _run(self, rollout: Rollout, principal: Principal) -> None:
        try:
            if self._evaluate(rollout):
                deployment = self._deploy(rollout, principal)
                self._shift(rollout, deployment)
        except Exception as exc:
            self._fail(rollout, failure_reason(exc, _logger, f"rollout {rollout.name}"))

    def _evaluate(self, rollout: Rollout) -> bool:
        """Score both models; True if the candidate is better by the minimum improvement."""
        endpoint = self._stores.endpoints.get(rollout.endpoint_name)
        production = self._production(endpoint)
        production_model = self._registry.deployed(production.model)
        candidate_files = self._candidate_files(rollout.candidate)
        rows, (production_score, candidate_score) = score_models(
            [self._registry.local_path(production_model), candidate_files],
            self._test_data(rollout.test_data),
            rollout.label_column,
            rollout.metric,
        )
        sign = 1 if METRICS[rollout.metric] else -1
        improvement = sign * (candidate_score - production_score)
        self._save(
            rollout,
            production_deployment=production.name,
            production_model=production_model.id,
            production_score=production_score,
            candidate_score=candidate_score,
            improvement=improvement,
            test_rows=rows,
        )
        if improvement < rollout.min_improvement or improvement <= 0:
            self._finish(
                rollout,
                "NotBetter",
                f"{rollout.metric} {candidate_score:.4f} against production's {production_score:.4f} on {rows} rows: "
                f"an improvement of {improvement:+.4f}, "
                + (f"below the minimum {rollout.min_improvement:g}" if improvement > 0 else "so it is not better")
                + "; nothing was changed",
            )
            return False
        return True

    def _deploy(self, rollout: Rollout, principal: Principal) -> str:
        """Register the candidate and deploy it beside production with no traffic; its deployment's name."""
        self._save(rollout, status="Deploying")
        production = self._stores.endpoints.deployment(rollout.endpoint_name, str(rollout.production_deployment))
        production_model = self._registry.deployed(production.deployment.model)
        model = self._register(rollout, production_model)
        name = _candidate_deployment(rollout.deployment_name, str(rollout.production_deployment))
        candidate = production.deployment.model_copy(
            update={"name": name, "model": model.id, "description": f"candidate of rollout {rollout.name}"}
        )
        self._endpoints.put_deployment(ManagedOnlineDeployment.model_validate(candidate.model_dump()), principal)
        self._wait_deployed(rollout.endpoint_name, name)
        return name

    def _register(self, rollout: Rollout, production_model: Model) -> Model:
        if not _SOURCE.match(rollout.candidate):
            model = self._registry.resolve(rollout.candidate)
        else:
            model = self._registry.register(
                ModelCreate(
                    name=production_model.name,
                    path=rollout.candidate,
                    type="mlflow_model",
                    description=f"candidate of rollout {rollout.name}",
                    properties={"rollout": rollout.name, rollout.metric: f"{rollout.candidate_score:.6f}"},
                ),
                None,
                folder_name=self._registry.local_path(production_model).name,  # a score.py's "./model" finds it
            )
        self._save(rollout, candidate_model=model.id)
        return model

    def _wait_deployed(self, endpoint: str, name: str) -> None:
        deadline = time.monotonic() + _DEPLOY_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            state = self._stores.endpoints.deployment(endpoint, name).deployment
            if state.provisioning_state == "Succeeded":
                return
            if state.provisioning_state == "Failed":
                raise BadRequestError(f"the candidate's deployment {name} failed: {state.error}")
            time.sleep(_WATCH_SECONDS / 4)
        raise BadRequestError(f"the candidate's deployment {name} was not ready within {_DEPLOY_TIMEOUT_SECONDS}s")

    def _shift(self, rollout: Rollout, candidate: str) -> None:
        production = str(rollout.production_deployment)
        self._save(rollout, status="Shifting", deployment_name=candidate)
        for share in rollout.traffic_steps:
            self._set_traffic(rollout.endpoint_name, {production: 100 - share, candidate: share})
            step = RolloutStep(traffic=share, started_at=utcnow())
            rollout.steps.append(step)
            failure = self._watch(rollout, candidate, step)
            if failure is not None:
                self._finish(rollout, "RolledBack", failure + self._restore(rollout))
                return
        self._finish(
            rollout,
            "Succeeded",
            f"{candidate} serves {rollout.candidate_model} with all traffic: {rollout.metric} "
            f"{rollout.candidate_score:.4f} against {rollout.production_score:.4f}; {production} is kept with none",
        )

    def _watch(self, rollout: Rollout, candidate: str, step: RolloutStep) -> str | None:
        """Watch one step to its end; why it failed, or None."""
        started = time.monotonic()
        while True:
            elapsed = time.monotonic() - started
            stats = self._gateway.window(rollout.endpoint_name, candidate, max(elapsed, 0.001))
            step.requests, step.errors, step.error_rate, step.p95_ms = (
                stats.requests,
                stats.errors,
                stats.error_rate,
                stats.p95_ms,
            )
            ended = elapsed >= rollout.step_seconds
            failure = _breach(rollout, step, ended)
            if failure is None and ended and step.requests < rollout.min_requests:
                failure = f"only {step.requests} requests reached {candidate} at {step.traffic}% "
                failure += f"in {rollout.step_seconds:g}s, fewer than the {rollout.min_requests} needed to judge it"
            if failure is not None or ended:
                step.passed, step.ended_at = failure is None, utcnow()
                self._save(rollout)
                return failure
            self._save(rollout)
            time.sleep(min(_WATCH_SECONDS, max(rollout.step_seconds - elapsed, 0)))

    def _set_traffic(self, endpoint_name: str, traffic: dict[str, int]) -> None:
        endpoint = self._stores.endpoints.get(endpoint_name)
        self._endpoints.put_endpoint(ManagedOnlineEndpoint.model_validate(endpoint.model_dump() | {"traffic": traffic}))

    def _restore(self, rollout: Rollout) -> str:
        """All traffic back to production; what was done, for the decision's reason."""
        production = str(rollout.production_deployment)
        try:
            self._set_traffic(rollout.endpoint_name, {production: 100})
        except LakeboxError as exc:
            return f"; restoring all traffic to {production} failed: {exc.message}"
        return f"; all traffic is back on {production}"

    # Helpers

    def _production(self, endpoint: ManagedOnlineEndpoint) -> ManagedOnlineDeployment:
        """The deployment with the most traffic."""
        live = {name: share for name, share in (endpoint.traffic or {}).items() if share > 0}
        if not live:
            raise BadRequestError(f"endpoint {endpoint.name} sends no traffic to any deployment: it has no production")
        name = max(live, key=lambda n: live[n])
        return self._stores.endpoints.deployment(endpoint.name, name).deployment

    def _candidate_files(self, candidate: str) -> Path:
        if _SOURCE.match(candidate):
            return self._registry.source_files(candidate)
        return self._registry.local_path(self._registry.resolve(candidate))

    def _test_data(self, test_data: str) -> Path:
        return resolve_workspace_data(self._lake(), self._stores, "test_data", test_data)

    def _save(self, rollout: Rollout, **changes: object) -> None:
        for field, value in changes.items():
            setattr(rollout, field, value)
        self._stores.rollouts.put(rollout)

    def _finish(self, rollout: Rollout, status: str, reason: str) -> None:
        self._save(rollout, status=status, reason=reason, finished_at=utcnow())
        _logger.info("rollout %s %s: %s", rollout.name, status, reason)

    def _fail(self, rollout: Rollout, reason: str) -> None:
        if rollout.status == "Shifting":
            reason += self._restore(rollout)
        self._finish(rollout, "Failed", reason)


def _candidate_deployment(asked: str | None, production: str) -> str:
    """The deployment the candidate goes to: the one asked for, else blue or green, whichever is not production."""
    name = asked or ("green" if production.lower() == "blue" else "blue")
    if name.lower() == production.lower():
        raise BadRequestError(f"the candidate cannot replace the production deployment {name} in place")
    return name


def _breach(rollout: Rollout, step: RolloutStep, ended: bool) -> str | None:
    """Why the candidate's figures in this step fail the policy, or None."""
    judged = step.requests >= max(rollout.min_requests, 1 if ended else _EARLY_JUDGEMENT_REQUESTS)
    if judged and step.error_rate > rollout.max_error_rate:
        return (
            f"at {step.traffic}% traffic {step.errors} of {step.requests} requests failed "
            f"({step.error_rate:.1%}, above the {rollout.max_error_rate:.1%} allowed)"
        )
    if judged and rollout.max_latency_ms is not None and (step.p95_ms or 0) > rollout.max_latency_ms:
        return (
            f"at {step.traffic}% traffic the p95 latency was {step.p95_ms:.1f} ms "
            f"(above the {rollout.max_latency_ms:g} ms allowed)"
        )
    return None
