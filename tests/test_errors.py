"""The reasons stored when background work (a job, a sweep, a rollout, a provisioning) fails."""

from __future__ import annotations

import logging

import pytest

from lakebox.errors import ConflictError, failure_reason

_logger = logging.getLogger("lakebox.tests.errors")


def test_a_lakebox_error_is_stored_as_its_own_message_and_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR):
        reason = failure_reason(ConflictError("endpoint e already has a rollout running"), _logger, "rollout r1")
    assert reason == "endpoint e already has a rollout running"
    assert not caplog.records


def test_an_unexpected_error_is_logged_with_its_traceback_and_stored_without_its_text(
    caplog: pytest.LogCaptureFixture,
) -> None:
    try:
        {}["password=hunter2"]
    except KeyError as exc:
        with caplog.at_level(logging.ERROR):
            reason = failure_reason(exc, _logger, "job j1")
    assert reason == "internal error in job j1 (KeyError); see the server log"
    assert "hunter2" not in reason
    (record,) = caplog.records
    assert record.getMessage() == "job j1 failed with an unexpected error"
    assert record.exc_info is not None and record.exc_info[0] is KeyError
