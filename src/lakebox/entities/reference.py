"""Azure ML's references to registered assets: ``azureml:name:version``, ``name:version``, ``name@label``, ``name``."""

from __future__ import annotations


def parse_reference(reference: str) -> tuple[str, str | None, str | None]:
    """``(name, version, label)``; at most one of version and label is set."""
    reference = reference.removeprefix("azureml:")
    if "@" in reference:
        name, label = reference.split("@", 1)
        return name, None, label
    name, _, version = reference.partition(":")
    return name, version or None, None
