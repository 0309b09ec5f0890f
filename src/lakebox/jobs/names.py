"""Names lakebox gives jobs that their submitter did not name."""

from __future__ import annotations

import secrets

_ADJECTIVES = ("amber", "brave", "calm", "eager", "gentle", "lucid", "nimble", "quiet", "sunny", "witty")
_NOUNS = ("heron", "maple", "otter", "pebble", "quartz", "river", "sparrow", "tulip", "willow", "zephyr")


def job_name() -> str:
    """A readable unique name, like Azure ML's (``calm_otter_3f9a1c2b``)."""
    return f"{secrets.choice(_ADJECTIVES)}_{secrets.choice(_NOUNS)}_{secrets.token_hex(4)}"
