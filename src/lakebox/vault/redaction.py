"""Masking secret values in what processes print.

A job's output passes through ``python -m lakebox.vault.redaction FD`` on its way to the log file:
the filter reads the values to mask from file descriptor FD (JSON, so they are in neither the
environment nor the command line), then copies stdin to stdout with every occurrence replaced by
``***``. It lives in the job's process group, so it outlives a server restart like the job does.
"""

from __future__ import annotations

import json
import os
import re
import select
import sys
from collections.abc import Iterable

MASK = b"***"
# Shorter values would mask ordinary words and digits all over a log; they are documented as not masked.
MIN_MASKED_LENGTH = 4
_READ_SIZE = 65536
_IDLE_FLUSH_SECONDS = 0.2


class Redactor:
    """Replaces each value (and each line of a multi-line value) by ``***``."""

    def __init__(self, values: Iterable[str]) -> None:
        pieces = {piece for value in values for piece in (value, *value.splitlines())}
        pieces = {piece for piece in pieces if len(piece) >= MIN_MASKED_LENGTH}
        encoded = sorted((piece.encode() for piece in pieces), key=len, reverse=True)
        self.longest = len(encoded[0]) if encoded else 0
        self._pattern = re.compile(b"|".join(re.escape(piece) for piece in encoded)) if encoded else None

    def redact(self, data: bytes) -> bytes:
        return self._pattern.sub(MASK, data) if self._pattern else data

    def redact_text(self, text: str) -> str:
        return self.redact(text.encode()).decode(errors="replace")


def filter_stream(redactor: Redactor, source: int, sink: int) -> None:
    """Copy ``source`` to ``sink`` masked, holding back only what could be the start of a split value.

    The held-back tail is written once the source has been quiet for a moment, or at its end.
    """
    pending = b""
    hold = max(redactor.longest - 1, 0)
    while True:
        ready, _, _ = select.select([source], [], [], _IDLE_FLUSH_SECONDS if pending else None)
        if not ready:
            os.write(sink, pending)
            pending = b""
            continue
        chunk = os.read(source, _READ_SIZE)
        if not chunk:
            os.write(sink, redactor.redact(pending))
            return
        pending = redactor.redact(pending + chunk)
        cut = len(pending) - hold
        if cut > 0:
            os.write(sink, pending[:cut])
            pending = pending[cut:]


def main() -> None:
    with os.fdopen(int(sys.argv[1]), "rb") as values_pipe:
        redactor = Redactor(json.loads(values_pipe.read()))
    filter_stream(redactor, sys.stdin.fileno(), sys.stdout.fileno())


if __name__ == "__main__":
    main()
