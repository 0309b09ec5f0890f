"""``begin_*`` methods return an :class:`LROPoller`, as the Azure SDK's do."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Generic, TypeVar

from lakebox.errors import UnavailableError

T = TypeVar("T")

PollFunction = Callable[[], tuple[bool, T | None]]


class LROPoller(Generic[T]):
    """Tracks a long-running operation: ``poll`` returns ``(done, result)`` and may raise its error."""

    def __init__(self, poll: PollFunction[T], *, interval: float = 0.5) -> None:
        self._poll = poll
        self._interval = interval
        self._done = False
        self._result: T | None = None

    @classmethod
    def completed(cls, result: T) -> LROPoller[T]:
        """A poller for an operation the server finished within the call."""
        return cls(lambda: (True, result))

    def done(self) -> bool:
        if not self._done:
            self._done, self._result = self._poll()
        return self._done

    def status(self) -> str:
        return "Succeeded" if self.done() else "InProgress"

    def wait(self, timeout: float | None = None) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.done():
            if deadline is not None and time.monotonic() >= deadline:
                return
            time.sleep(self._interval)

    def result(self, timeout: float | None = None) -> T:
        self.wait(timeout)
        if not self._done:
            raise UnavailableError(f"the operation did not finish within {timeout}s")
        return self._result  # type: ignore[return-value]
