"""Role assignments and custom role definitions."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from lakebox.entities import RoleAssignment, RoleDefinition
from lakebox.errors import ConflictError, NotFoundError, ValidationError
from lakebox.security import scopes
from lakebox.security.roles import BUILTIN_ROLES
from lakebox.store.db import Database
from lakebox.store.models import CustomRoleRow, IdentityRow, RoleAssignmentRow

OWNER = "Owner"


class AuthorizationStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    # Role definitions

    def role(self, name: str) -> RoleDefinition:
        """A built-in or custom role by name (any case); the error lists the roles that exist."""
        builtin = BUILTIN_ROLES.get(name.lower())
        if builtin is not None:
            return builtin
        with self._db.session() as session:
            row = session.get(CustomRoleRow, name.lower())
            if row is not None:
                return row.to_entity()
        known = ", ".join(role.name for role in self.roles())
        raise NotFoundError(f"role {name!r} does not exist; roles: {known}")

    def roles(self) -> list[RoleDefinition]:
        with self._db.session() as session:
            custom = [row.to_entity() for row in session.scalars(select(CustomRoleRow))]
        return [*BUILTIN_ROLES.values(), *sorted(custom, key=lambda role: role.name.lower())]

    def put_custom_role(self, role: RoleDefinition) -> RoleDefinition:
        if role.name.lower() in BUILTIN_ROLES:
            raise ConflictError(f"{role.name!r} is a built-in role and cannot be redefined")
        if not (role.actions or role.data_actions):
            raise ValidationError(f"role {role.name!r} grants nothing: give actions or dataActions")
        custom = role.model_copy(update={"builtin": False})
        with self._db.write_lock, self._db.session() as session:
            row = session.get(CustomRoleRow, custom.name.lower())
            definition = custom.model_dump(mode="json", by_alias=False)
            if row is None:
                session.add(CustomRoleRow(name_key=custom.name.lower(), definition=definition))
            else:
                row.definition = definition
        return custom

    def delete_custom_role(self, name: str) -> None:
        if name.lower() in BUILTIN_ROLES:
            raise ConflictError(f"{name!r} is a built-in role and cannot be deleted")
        with self._db.write_lock, self._db.session() as session:
            row = session.get(CustomRoleRow, name.lower())
            if row is None:
                raise NotFoundError(f"custom role {name!r} does not exist")
            in_use = session.scalar(select(RoleAssignmentRow.id).where(RoleAssignmentRow.role == row.to_entity().name))
            if in_use is not None:
                raise ConflictError(f"role {name!r} is still assigned; delete its assignments first")
            session.delete(row)

    # Role assignments

    def assign(self, principal_id: str, role_name: str, scope: str) -> RoleAssignment:
        role = self.role(role_name)
        with self._db.write_lock, self._db.session() as session:
            identity = session.get(IdentityRow, principal_id)
            if identity is None:
                raise NotFoundError(f"identity {principal_id!r} not found")
            duplicate = session.scalar(
                select(RoleAssignmentRow).where(
                    RoleAssignmentRow.principal_id == principal_id,
                    RoleAssignmentRow.role == role.name,
                    RoleAssignmentRow.scope == scope,
                )
            )
            if duplicate is not None:
                raise ConflictError(f"{identity.name} already holds {role.name} at {scope} ({duplicate.id})")
            row = RoleAssignmentRow(id=str(uuid.uuid4()), principal_id=principal_id, role=role.name, scope=scope)
            session.add(row)
            session.flush()
            return row.to_entity(identity.name)

    def assignments(
        self, *, principal_id: str | None = None, scope: str | None = None, include_inherited: bool = False
    ) -> list[RoleAssignment]:
        """Assignments of a principal and/or at ``scope`` and below (and above it, with ``include_inherited``)."""
        query = select(RoleAssignmentRow, IdentityRow.name).join(
            IdentityRow, IdentityRow.id == RoleAssignmentRow.principal_id
        )
        if principal_id is not None:
            query = query.where(RoleAssignmentRow.principal_id == principal_id)
        with self._db.session() as session:
            found = [row.to_entity(name) for row, name in session.execute(query.order_by(RoleAssignmentRow.created_at))]
        if scope is None:
            return found
        return [
            a
            for a in found
            if scopes.contains(scope, a.scope) or (include_inherited and scopes.contains(a.scope, scope))
        ]

    def unassign(self, assignment_id: str) -> RoleAssignment:
        """Delete an assignment, unless it is the last Owner at the top: nobody could grant roles after that."""
        with self._db.write_lock, self._db.session() as session:
            row = session.get(RoleAssignmentRow, assignment_id)
            if row is None:
                raise NotFoundError(f"role assignment {assignment_id!r} not found")
            if row.role == OWNER:
                owners = session.scalars(select(RoleAssignmentRow).where(RoleAssignmentRow.role == OWNER)).all()
                if not any(o.id != row.id and scopes.contains(o.scope, row.scope) for o in owners):
                    raise ConflictError(
                        f"this is the last Owner assignment over {row.scope}; assign another Owner first"
                    )
            identity = session.get(IdentityRow, row.principal_id)
            assignment = row.to_entity(identity.name if identity else row.principal_id)
            session.delete(row)
            return assignment
