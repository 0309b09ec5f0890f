"""What every create-or-update (``PUT /<resources>/{name}``) route does the same way."""

from __future__ import annotations

from fastapi import Response

from lakebox.errors import BadRequestError


def check_name(noun: str, in_body: str, in_path: str, *, case_sensitive: bool = False) -> None:
    """The body must name the resource the path names."""
    same = in_body == in_path if case_sensitive else in_body.lower() == in_path.lower()
    if not same:
        raise BadRequestError(f"the body names {noun} {in_body!r} but the path names {in_path!r}")


def set_created(response: Response, created: bool) -> None:
    """201 when the PUT created the resource, 200 when it replaced one."""
    response.status_code = 201 if created else 200
