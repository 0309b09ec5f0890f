"""Failed authentication attempts, limited per client: past the limit a client waits out the window."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class FailureLimiter:
    """At most ``limit`` failures per client within ``window`` seconds; ``clock`` is a parameter for tests."""

    limit: int = 20
    window: float = 60.0
    clock: Callable[[], float] = time.monotonic
    _failures: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def retry_after(self, client: str) -> float:
        """Seconds the client must wait before trying again; 0 when it may try now."""
        with self._lock:
            failures = self._recent(client)
            if len(failures) < self.limit:
                return 0.0
            return max(0.0, failures[0] + self.window - self.clock())

    def record_failure(self, client: str) -> None:
        with self._lock:
            self._recent(client).append(self.clock())
            if len(self._failures) > 10_000:  # forget idle clients so memory stays bounded
                for idle in [c for c, f in self._failures.items() if not f]:
                    del self._failures[idle]

    def _recent(self, client: str) -> deque[float]:
        failures = self._failures.setdefault(client, deque())
        cutoff = self.clock() - self.window
        while failures and failures[0] <= cutoff:
            failures.popleft()
        return failures
