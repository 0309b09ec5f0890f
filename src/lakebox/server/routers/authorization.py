"""``/api/v1/roleDefinitions`` and ``/api/v1/roleAssignments``: who may do what, where."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request, Response

from lakebox.entities import Principal, RoleAssignment, RoleAssignmentCreate, RoleDefinition
from lakebox.errors import NotFoundError
from lakebox.security import actions, scopes
from lakebox.server.auth import require
from lakebox.server.context import get_context

router = APIRouter(tags=["authorization"])


@router.get("/roleDefinitions", response_model=list[RoleDefinition], summary="List built-in and custom roles")
def list_roles(request: Request, _: Principal = require(actions.ROLE_DEFINITIONS_READ)) -> list[RoleDefinition]:
    return get_context(request).stores.authorization.roles()


@router.put("/roleDefinitions", response_model=RoleDefinition, summary="Create or replace a custom role")
def put_role(
    role: RoleDefinition, request: Request, _: Principal = require(actions.ROLE_DEFINITIONS_WRITE)
) -> RoleDefinition:
    return get_context(request).stores.authorization.put_custom_role(role)


@router.delete("/roleDefinitions/{name}", status_code=204, summary="Delete an unassigned custom role")
def delete_role(name: str, request: Request, _: Principal = require(actions.ROLE_DEFINITIONS_DELETE)) -> Response:
    get_context(request).stores.authorization.delete_custom_role(name)
    return Response(status_code=204)


@router.get("/roleAssignments", response_model=list[RoleAssignment], summary="List role assignments")
def list_assignments(
    request: Request,
    assignee: str | None = Query(None, description="Identity name or id."),
    scope: str | None = Query(None, description="Only assignments at this scope or below."),
    include_inherited: bool = Query(False, description="Also assignments above the scope that apply to it."),
    _: Principal = require(actions.ROLE_ASSIGNMENTS_READ),
) -> list[RoleAssignment]:
    context = get_context(request)
    principal_id = _identity_id(request, assignee) if assignee else None
    resolved = scopes.resolve(scope, context.scope_of()) if scope else None
    return context.stores.authorization.assignments(
        principal_id=principal_id, scope=resolved, include_inherited=include_inherited
    )


@router.post("/roleAssignments", response_model=RoleAssignment, status_code=201, summary="Assign a role at a scope")
def create_assignment(
    body: RoleAssignmentCreate, request: Request, _: Principal = require(actions.ROLE_ASSIGNMENTS_WRITE)
) -> RoleAssignment:
    context = get_context(request)
    scope = scopes.resolve(body.scope, context.scope_of())
    return context.stores.authorization.assign(_identity_id(request, body.assignee), body.role, scope)


@router.delete("/roleAssignments/{assignment_id}", response_model=RoleAssignment, summary="Delete a role assignment")
def delete_assignment(
    assignment_id: str, request: Request, _: Principal = require(actions.ROLE_ASSIGNMENTS_DELETE)
) -> RoleAssignment:
    return get_context(request).stores.authorization.unassign(assignment_id)


def _identity_id(request: Request, assignee: str) -> str:
    identities = get_context(request).stores.identities
    try:
        return identities.get_by_name(assignee).id
    except NotFoundError:
        return identities.get(assignee).id
