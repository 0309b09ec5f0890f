"""Command templating: ``${{inputs.x}}``, ``${{outputs.y}}``, and ``$[[ ... ]]`` parts kept when their inputs exist."""

from __future__ import annotations

import re
import shlex

from lakebox.errors import ValidationError

_REFERENCE = re.compile(r"\$\{\{\s*(inputs|outputs)\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_OPTIONAL = re.compile(r"\$\[\[(.*?)\]\]", re.DOTALL)


def references(command: str) -> set[tuple[str, str]]:
    return {(kind, name) for kind, name in _REFERENCE.findall(command)}


def render(command: str, inputs: dict[str, str], outputs: dict[str, str]) -> str:
    """The command with every reference replaced (shell-quoted); an undefined required reference is an error."""
    values = {"inputs": inputs, "outputs": outputs}

    def optional(match: re.Match[str]) -> str:
        part = match.group(1)
        return part if all(name in values[kind] for kind, name in references(part)) else ""

    rendered = _OPTIONAL.sub(optional, command)
    missing = sorted(f"{kind}.{name}" for kind, name in references(rendered) if name not in values[kind])
    if missing:
        raise ValidationError(f"the command refers to undefined {', '.join(missing)}", details={"missing": missing})
    return _REFERENCE.sub(lambda m: shlex.quote(values[m.group(1)][m.group(2)]), rendered)
