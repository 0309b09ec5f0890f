"""Failed authentication is limited per client, over a sliding window (driven by a fake clock)."""

from __future__ import annotations

from lakebox.security.rate_limit import FailureLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_limit_then_wait_out_the_window() -> None:
    clock = Clock()
    limiter = FailureLimiter(limit=3, window=60, clock=clock)
    for _ in range(3):
        assert limiter.retry_after("10.0.0.1") == 0
        limiter.record_failure("10.0.0.1")
        clock.now += 10
    assert limiter.retry_after("10.0.0.1") == 30  # the first failure leaves the window at 1060
    assert limiter.retry_after("10.0.0.2") == 0
    clock.now += 30
    assert limiter.retry_after("10.0.0.1") == 0
