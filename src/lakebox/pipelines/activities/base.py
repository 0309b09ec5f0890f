"""The contract between the engine and activities: an activity type is a function registered by name.

``execute(context, properties)`` returns the activity's output (a JSON value) or raises
:class:`ActivityFailure` (any other exception fails the activity as a system error naming it). A
plain activity gets its ``typeProperties`` with every expression evaluated; a container (ForEach,
IfCondition, ...) gets them as written and evaluates what it needs, item by item.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from lakebox.errors import LakeboxError
from lakebox.expressions.language import Scope, evaluate

if TYPE_CHECKING:
    from lakebox.pipelines.services import Services


class ActivityFailure(Exception):
    """An activity that failed, with ADF's error fields."""

    def __init__(self, message: str, error_code: str = "2200", failure_type: str = "UserError") -> None:
        super().__init__(message)
        self.message, self.error_code, self.failure_type = message, error_code, failure_type

    def to_error(self) -> dict[str, Any]:
        return {"errorCode": self.error_code, "message": self.message, "failureType": self.failure_type}


class Cancelled(Exception):
    """The run was cancelled, or the activity's timeout passed, while it waited."""


class Body(Protocol):
    def __call__(self, activities: list[dict[str, Any]], scope: Scope, path: str) -> bool: ...


class ChildRuns(Protocol):
    """How ExecutePipeline starts and follows a child run."""

    def start_child(self, pipeline: str, parameters: dict[str, Any], parent_run_id: str) -> str: ...

    def status_of(self, run_id: str) -> tuple[str, str, dict[str, Any]]: ...

    def cancel_child(self, run_id: str) -> None: ...


@dataclass
class RunState:
    """What every activity of one pipeline run shares."""

    run_id: str
    pipeline_name: str
    services: Services
    variables: dict[str, Any]
    declared: dict[str, str]  # variable name -> type
    children: ChildRuns
    cancel: threading.Event = field(default_factory=threading.Event)
    return_value: dict[str, Any] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class ActivityContext:
    state: RunState
    activity: dict[str, Any]
    scope: Scope
    path: str
    deadline: float
    run_body: Body

    @property
    def name(self) -> str:
        return str(self.activity["name"])

    @property
    def services(self) -> Services:
        return self.state.services

    def evaluate(self, value: Any, **scope_changes: Any) -> Any:
        return evaluate(value, self.scope.child(**scope_changes) if scope_changes else self.scope)

    def wait(self, seconds: float) -> None:
        """Sleep, ending early (with :class:`Cancelled`) if the run is cancelled or the timeout passes."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            self.check()
            if self.state.cancel.wait(min(left, 0.2, max(self.deadline - time.monotonic(), 0.001))):
                raise Cancelled("the pipeline run was cancelled")
        self.check()

    def check(self) -> None:
        if self.state.cancel.is_set():
            raise Cancelled("the pipeline run was cancelled")
        if time.monotonic() > self.deadline:
            raise Cancelled("the activity's timeout passed")

    def body(self, activities: list[dict[str, Any]], label: str, **scope_changes: Any) -> bool:
        """Run a container's activities (an iteration, a branch); whether they succeeded."""
        scope = self.scope.child(**scope_changes) if scope_changes else self.scope
        return self.run_body(activities, scope, f"{self.path}{self.name}{label}/")


Execute = Callable[[ActivityContext, dict[str, Any]], Any]


@dataclass(frozen=True)
class ActivityType:
    execute: Execute
    container: bool = False


ACTIVITY_TYPES: dict[str, ActivityType] = {}


def activity(name: str, *, container: bool = False) -> Callable[[Execute], Execute]:
    """Register ``execute`` as the activity type ``name``."""

    def register(execute: Execute) -> Execute:
        ACTIVITY_TYPES[name] = ActivityType(execute, container)
        return execute

    return register


def required(properties: dict[str, Any], key: str, activity_type: str) -> Any:
    if properties.get(key) in (None, ""):
        raise ActivityFailure(f"{activity_type} needs typeProperties.{key}")
    return properties[key]


def failure_of(exc: BaseException) -> ActivityFailure:
    """An exception as an activity failure: lakebox's errors as user errors, others as system errors."""
    if isinstance(exc, ActivityFailure):
        return exc
    if isinstance(exc, LakeboxError):
        return ActivityFailure(exc.message, error_code=str(exc.status_code))
    return ActivityFailure(f"{type(exc).__name__}: {exc}", error_code="InternalError", failure_type="SystemError")
