"""How workspace-scoped commands choose their workspace: one set of options, added by ``@with_workspace``."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from lakebox.client.ml_client import MLClient
from lakebox.workspace.layout import WorkspaceLayout
from lakebox.workspace.lookup import find_workspace

F = TypeVar("F", bound=Callable[..., Any])

_OPTIONS: dict[str, Any] = {
    "workspace_name": Annotated[
        str | None,
        typer.Option("--workspace-name", "-w", help="Workspace name (default: config.json or the only one)."),
    ],
    "resource_group": Annotated[str | None, typer.Option("--resource-group", "-g", help="Resource group.")],
    "subscription": Annotated[str | None, typer.Option("--subscription", "-s", help="Subscription id.")],
    "path": Annotated[Path | None, typer.Option("--path", help="Workspace folder, instead of a name.")],
}


@dataclass(frozen=True)
class WorkspaceRef:
    """The workspace a command was pointed at, resolved only when used."""

    workspace_name: str | None = None
    resource_group: str | None = None
    subscription: str | None = None
    path: Path | None = None

    def layout(self) -> WorkspaceLayout:
        return find_workspace(
            path=self.path,
            name=self.workspace_name,
            resource_group=self.resource_group,
            subscription_id=self.subscription,
        )

    def client(self) -> MLClient:
        """A client of the workspace, starting its server when none is running."""
        return MLClient(path=self.layout().root)


def with_workspace(command: F) -> F:
    """Give a command the options ``-w/-g/-s/--path``; it receives them as its ``workspace: WorkspaceRef``."""
    signature = inspect.signature(command, eval_str=True)  # typer reads a set __signature__ as it is
    own = [p for p in signature.parameters.values() if p.name != "workspace"]
    added = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation)
        for name, annotation in _OPTIONS.items()
    ]

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ref = WorkspaceRef(**{name: kwargs.pop(name) for name in _OPTIONS})
        return command(*args, workspace=ref, **kwargs)

    own_as_keywords = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own]
    wrapper.__signature__ = signature.replace(parameters=[*added, *own_as_keywords])  # type: ignore[attr-defined]
    wrapper.__annotations__ = {**{k: v for k, v in command.__annotations__.items() if k != "workspace"}, **_OPTIONS}
    return wrapper  # type: ignore[return-value]
