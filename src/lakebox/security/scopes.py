"""Scopes: hierarchical resource paths, ``/subscriptions/S/resourceGroups/R/providers/lakebox/workspaces/W[/...]``.

An assignment at a scope applies to that scope and everything below it, never to siblings:
``.../endpoints/a`` covers ``.../endpoints/a/deployments/blue`` but not ``.../endpoints/ab``.
"""

from __future__ import annotations

from lakebox.errors import BadRequestError


def normalize(scope: str) -> str:
    cleaned = "/" + scope.strip().strip("/")
    if "//" in cleaned or any(part in (".", "..") for part in cleaned.split("/")):
        raise BadRequestError(f"scope {scope!r} is not a resource path")
    return cleaned


def contains(outer: str, inner: str) -> bool:
    """Whether ``outer`` is ``inner`` or one of its ancestors (case-insensitive)."""
    outer, inner = outer.lower().rstrip("/"), inner.lower().rstrip("/")
    return outer == "" or inner == outer or inner.startswith(outer + "/")


def resolve(scope: str | None, workspace_scope: str) -> str:
    """An absolute scope from one given absolute, relative to the workspace (``endpoints/E``), or not at all.

    Only scopes that reach this workspace mean anything here: the workspace, what is in it, or what
    contains it (its resource group, its subscription).
    """
    if scope is None or scope.strip() in ("", "/"):
        return workspace_scope
    absolute = normalize(scope if scope.startswith("/") else f"{workspace_scope}/{scope}")
    if not (contains(absolute, workspace_scope) or contains(workspace_scope, absolute)):
        raise BadRequestError(f"scope {absolute} is outside this workspace ({workspace_scope})")
    return absolute
