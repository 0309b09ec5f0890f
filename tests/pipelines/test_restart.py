"""A server killed mid-run: on restart, the run resumes where it was (what finished keeps its outcome and
variables, the activity in progress runs again), and a run it cannot resume fails saying why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import kill_server, wait_for
from tests.pipelines.test_engine import act, pipeline

from lakebox import MLClient
from lakebox.workspace.layout import WorkspaceLayout


def _wait_in_progress(client: MLClient, run_id: str, activity: str) -> None:
    wait_for(lambda: any(a.activity_name == activity for a in client.pipelines.activity_runs(run_id)), 20, activity)


@pytest.mark.slow
def test_a_run_resumes_after_the_server_is_killed(fresh_workspace: WorkspaceLayout, tmp_path: Path) -> None:
    resumable = pipeline(
        "Resumable",
        [
            act("Remember", "SetVariable", variableName="seen", value="@pipeline().parameters.tag"),
            act("Slow", "Wait", {"Remember": ["Succeeded"]}, waitTimeInSeconds=3),
            act(
                "Answer",
                "SetVariable",
                {"Slow": ["Succeeded"]},
                setSystemVariable=True,
                variableName="pipelineReturnValue",
                value=[{"key": "seen", "value": {"type": "Expression", "content": "@variables('seen')"}}],
            ),
        ],
        parameters={"tag": {"type": "String"}},
        variables={"seen": {"type": "String"}},
    )
    secret = pipeline(
        "Secret", [act("Slow", "Wait", waitTimeInSeconds=3)], parameters={"key": {"type": "SecureString"}}
    )
    (tmp_path / "pipeline").mkdir()
    for item in (resumable, secret):
        (tmp_path / "pipeline" / f"{item['name']}.json").write_text(json.dumps(item))
    with MLClient(path=fresh_workspace.root) as client:
        client.pipelines.publish(tmp_path)
        resumed = client.pipelines.run("Resumable", {"tag": "before-crash"})
        lost = client.pipelines.run("Secret", {"key": "hunter22"})
        _wait_in_progress(client, resumed.run_id, "Slow")
        _wait_in_progress(client, lost.run_id, "Slow")
    kill_server(fresh_workspace)

    with MLClient(path=fresh_workspace.root) as client:
        finished = client.pipelines.wait(resumed.run_id, timeout=30)
        history = client.pipelines.activity_runs(resumed.run_id)
        failed = client.pipelines.wait(lost.run_id, timeout=30)
    assert finished.status == "Succeeded", finished.message
    assert finished.output == {"seen": "before-crash"}  # the variable set before the crash was kept
    attempts = [(a.activity_name, a.status.value, (a.error or {}).get("errorCode")) for a in history]
    assert attempts == [
        ("Remember", "Succeeded", None),  # not run again
        ("Slow", "Failed", "ServerRestarted"),
        ("Slow", "Succeeded", None),
        ("Answer", "Succeeded", None),
    ]
    assert failed.status == "Failed" and "SecureString parameters are not kept" in failed.message
