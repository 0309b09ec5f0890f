"""The pipeline engine against a real server: ADF's dependency semantics and pipeline outcome, policies,
containers, expressions across activities, cancellation and rerun from failure."""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import RunningWorkspace

from lakebox import BadRequestError, ConflictError, MLClient, ValidationError
from lakebox.entities import PipelineRun


def publish(client: MLClient, folder: Path, *pipelines: dict[str, Any]) -> None:
    (folder / "pipeline").mkdir(parents=True, exist_ok=True)
    for pipeline in pipelines:
        (folder / "pipeline" / f"{pipeline['name']}.json").write_text(json.dumps(pipeline))
    client.pipelines.publish(folder)


def pipeline(name: str, activities: list[dict[str, Any]], **properties: Any) -> dict[str, Any]:
    return {"name": name, "properties": {"activities": activities, **properties}}


def act(name: str, kind: str, after: dict[str, list[str]] | None = None, **type_properties: Any) -> dict[str, Any]:
    item: dict[str, Any] = {"name": name, "type": kind, "typeProperties": type_properties}
    if after:
        item["dependsOn"] = [{"activity": up, "dependencyConditions": conds} for up, conds in after.items()]
    return item


MSI = {"type": "MSI", "resource": "https://ml.azure.com"}
STATUS_VARIABLE = {"status": {"type": "String", "defaultValue": ""}}


def poll_until(name: str, after: str, url: str, finished: list[str]) -> dict[str, Any]:
    """An Until activity that GETs ``url`` with the pipeline's identity (MSI) until the ``status`` it answers,
    kept in the pipeline variable ``status`` (declare ``STATUS_VARIABLE``), is one of ``finished``."""
    statuses = ", ".join(f"'{status}'" for status in finished)
    return act(
        name,
        "Until",
        {after: ["Succeeded"]},
        expression={"type": "Expression", "value": f"@contains(createArray({statuses}), variables('status'))"},
        timeout="0.00:05:00",
        activities=[
            act("Poll", "WebActivity", method="GET", authentication=MSI, url=url),
            act("Pause", "Wait", {"Poll": ["Succeeded"]}, waitTimeInSeconds=0.2),
            act("Keep", "SetVariable", {"Poll": ["Succeeded"]}, variableName="status",
                value="@activity('Poll').output.status"),
        ],
    )  # fmt: skip


def warehouse_service(client: MLClient, folder: Path) -> None:
    """A linked service to the warehouse that logs in as a SQL login holding Warehouse Data Contributor."""
    with contextlib.suppress(ConflictError):
        client.warehouse.create_login("pipeline_writer", "writer-password-1")
    (folder / "linkedService").mkdir(parents=True)
    connection = "Server=tcp:local,1433;Database=sqlpool;User ID=pipeline_writer;Password=writer-password-1"
    (folder / "linkedService" / "Warehouse.json").write_text(
        json.dumps(
            {
                "name": "Warehouse",
                "properties": {"type": "AzureSqlDW", "typeProperties": {"connectionString": connection}},
            }
        )
    )


def wait0(name: str, after: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return act(name, "Wait", after, waitTimeInSeconds=0)


def fail(name: str, after: dict[str, list[str]] | None = None, message: str = "boom") -> dict[str, Any]:
    return act(name, "Fail", after, message=message, errorCode="E42")


def run(client: MLClient, name: str, parameters: dict[str, Any] | None = None) -> tuple[PipelineRun, dict[str, str]]:
    started = client.pipelines.run(name, parameters)
    finished = client.pipelines.wait(started.run_id, timeout=60)
    statuses = {}
    for activity in client.pipelines.activity_runs(started.run_id):
        statuses[activity.path + activity.activity_name] = activity.status.value
    return finished, statuses


def test_dependency_conditions_and_the_leaf_rule(client: MLClient, tmp_path: Path) -> None:
    publish(
        client,
        tmp_path,
        pipeline(
            "Conditions",
            [
                wait0("A"),
                fail("B", {"A": ["Succeeded"]}),
                wait0("OnSuccess", {"B": ["Succeeded"]}),
                wait0("OnFailure", {"B": ["Failed"]}),
                wait0("OnSkip", {"OnSuccess": ["Skipped"]}),
                fail("Other"),
                wait0("OnCompletion", {"Other": ["Completed"]}),
                wait0("Either", {"B": ["Succeeded", "Failed"]}),  # one entry: an OR
                wait0("Both", {"OnFailure": ["Succeeded"], "OnSuccess": ["Succeeded"]}),  # two entries: an AND
            ],
        ),
    )
    finished, statuses = run(client, "Conditions")
    assert statuses == {
        "A": "Succeeded",
        "B": "Failed",
        "OnSuccess": "Skipped",
        "OnFailure": "Succeeded",
        "OnSkip": "Succeeded",
        "Other": "Failed",
        "OnCompletion": "Succeeded",
        "Either": "Succeeded",
        "Both": "Skipped",
    }
    # Leaves: OnSkip, OnCompletion (Other's failure is handled) and Either succeeded; Both, skipped, defers
    # to OnFailure (ok) and OnSuccess, skipped, which defers to B: failed. So the pipeline failed, as in ADF.
    assert finished.status == "Failed"
    assert "Operation on target B failed: boom" in finished.message


@pytest.mark.parametrize(
    ("activities", "expected"),
    [
        ([fail("Try"), wait0("Catch", {"Try": ["Failed"]})], "Succeeded"),  # try-catch
        ([wait0("Try"), wait0("Catch", {"Try": ["Failed"]})], "Succeeded"),  # nothing to catch
        ([fail("If"), wait0("Then", {"If": ["Succeeded"]}), wait0("Else", {"If": ["Failed"]})], "Failed"),  # do-if-else
        ([wait0("If"), wait0("Then", {"If": ["Succeeded"]}), wait0("Else", {"If": ["Failed"]})], "Succeeded"),
        (
            [
                fail("If"),
                wait0("Then", {"If": ["Succeeded"]}),
                wait0("Else", {"If": ["Failed"]}),
                wait0("Skip", {"Then": ["Skipped"]}),
            ],
            "Succeeded",
        ),  # do-if-skip-else
        ([fail("A"), wait0("Done", {"A": ["Completed"]})], "Succeeded"),
    ],
    ids=["try-catch-fails", "try-catch-ok", "do-if-else-fails", "do-if-else-ok", "do-if-skip-else", "upon-completion"],
)
def test_adf_patterns_give_adfs_outcome(
    client: MLClient, tmp_path: Path, activities: list[dict[str, Any]], expected: str, request: pytest.FixtureRequest
) -> None:
    name = "Pattern" + request.node.callspec.id.replace("-", "")
    publish(client, tmp_path, pipeline(name, activities))
    assert run(client, name)[0].status == expected


def test_a_failing_activity_is_retried_and_can_succeed_on_a_later_attempt(client: MLClient, tmp_path: Path) -> None:
    client.warehouse.query("CREATE OR REPLACE TABLE dbo.attempts (n INTEGER)")
    flaky = act(
        "Flaky",
        "Script",
        scripts=[
            {
                "type": "Query",
                "text": "INSERT INTO dbo.attempts VALUES (1); SELECT CASE WHEN (SELECT count(*) FROM dbo.attempts) < 3 "
                "THEN error('not yet') ELSE 1 END AS ok",
            }
        ],
    )
    flaky |= {
        "linkedServiceName": {"referenceName": "Warehouse", "type": "LinkedServiceReference"},
        "policy": {"retry": 3, "retryIntervalInSeconds": 0},
    }
    always = fail("Always") | {"policy": {"retry": 2, "retryIntervalInSeconds": 0}}
    warehouse_service(client, tmp_path)
    publish(client, tmp_path, pipeline("Retries", [flaky, always]))
    finished, _ = run(client, "Retries")
    attempts = client.pipelines.activity_runs(finished.run_id)
    flaky_runs = [a for a in attempts if a.activity_name == "Flaky"]
    assert [a.status for a in flaky_runs] == ["Failed", "Failed", "Succeeded"], [a.error for a in flaky_runs]
    assert "not yet" in (flaky_runs[0].error or {})["message"]
    assert [a.attempt for a in attempts if a.activity_name == "Always"] == [1, 2, 3]
    assert finished.status == "Failed" and "Operation on target Always failed: boom" in finished.message


def test_an_activity_past_its_timeout_fails(client: MLClient, tmp_path: Path) -> None:
    slow = act("Slow", "Wait", waitTimeInSeconds=30) | {"policy": {"timeout": "0.00:00:01"}}
    publish(client, tmp_path, pipeline("Timeout", [slow]))
    started = time.monotonic()
    finished, _ = run(client, "Timeout")
    assert time.monotonic() - started < 10
    error = client.pipelines.activity_runs(finished.run_id)[0].error or {}
    assert finished.status == "Failed" and error["errorCode"] == "ActivityTimedOut"


def test_for_each_runs_in_parallel_up_to_batch_count_and_sequentially_in_order(
    client: MLClient, tmp_path: Path
) -> None:
    body = [
        act("Pause", "Wait", waitTimeInSeconds=0.5),
        act("Collect", "AppendVariable", {"Pause": ["Succeeded"]}, variableName="seen", value="@item()"),
    ]
    parallel = act("Parallel", "ForEach", items="@range(0, 6)", batchCount=3, activities=body)
    sequential = act(
        "InOrder",
        "ForEach",
        {"Parallel": ["Succeeded"]},
        items="@createArray('a', 'b', 'c')",
        isSequential=True,
        activities=[act("Add", "AppendVariable", variableName="ordered", value="@item()")],
    )
    publish(
        client,
        tmp_path,
        pipeline(
            "Loops",
            [parallel, sequential],
            variables={"seen": {"type": "Array", "defaultValue": []}, "ordered": {"type": "Array", "defaultValue": []}},
        ),
    )
    started = time.monotonic()
    finished, statuses = run(client, "Loops")
    elapsed = time.monotonic() - started
    assert finished.status == "Succeeded"
    assert elapsed < 2.8  # 6 half-second iterations three at a time take about 1 s, not 3 s
    assert statuses["Parallel[5]/Collect"] == "Succeeded"
    runs = client.pipelines.activity_runs(finished.run_id)
    assert sorted(next(a for a in runs if a.path == "Parallel[5]/" and a.activity_name == "Collect").output["value"])
    ordered = [a.output["value"] for a in runs if a.activity_name == "Add"]
    assert ordered[-1] == ["a", "b", "c"]


def test_expressions_flow_through_parameters_variables_outputs_and_child_pipelines(
    client: MLClient, tmp_path: Path
) -> None:
    child = pipeline(
        "Child",
        [
            act(
                "Return",
                "SetVariable",
                setSystemVariable=True,
                variableName="pipelineReturnValue",
                value=[
                    {"key": "doubled", "value": {"type": "Expression", "content": "@mul(pipeline().parameters.n, 2)"}}
                ],
            ),
        ],
        parameters={"n": {"type": "Int"}},
    )
    parent = pipeline(
        "Parent",
        [
            act(
                "Set",
                "SetVariable",
                variableName="label",
                value="@concat(pipeline().parameters.prefix, '-', string(pipeline().parameters.n))",
            ),
            act(
                "Call",
                "ExecutePipeline",
                {"Set": ["Succeeded"]},
                pipeline={"referenceName": "Child", "type": "PipelineReference"},
                parameters={"n": "@pipeline().parameters.n"},
                waitOnCompletion=True,
            ),
            act(
                "Branch",
                "IfCondition",
                {"Call": ["Succeeded"]},
                expression={
                    "value": "@greater(activity('Call').output.pipelineReturnValue.doubled, 10)",
                    "type": "Expression",
                },
                ifTrueActivities=[act("Big", "SetVariable", variableName="size", value="big")],
                ifFalseActivities=[act("Small", "SetVariable", variableName="size", value="small")],
            ),
            act(
                "Pick",
                "Switch",
                {"Branch": ["Succeeded"]},
                on="@variables('size')",
                cases=[
                    {
                        "value": "big",
                        "activities": [
                            act("WasBig", "SetVariable", variableName="case", value="@{variables('label')} is big")
                        ],
                    }
                ],
                defaultActivities=[act("Other", "SetVariable", variableName="case", value="other")],
            ),
            act(
                "Keep", "Filter", {"Pick": ["Succeeded"]}, items="@range(1, 10)", condition="@equals(mod(item(), 3), 0)"
            ),
            act(
                "Count",
                "Until",
                {"Keep": ["Succeeded"]},
                expression={"value": "@greater(length(variables('ticks')), 2)", "type": "Expression"},
                activities=[act("Tick", "AppendVariable", variableName="ticks", value="@utcnow()")],
            ),
            act(
                "Result",
                "SetVariable",
                {"Count": ["Succeeded"]},
                setSystemVariable=True,
                variableName="pipelineReturnValue",
                value=[
                    {"key": "case", "value": {"type": "Expression", "content": "@variables('case')"}},
                    {"key": "multiples", "value": {"type": "Expression", "content": "@activity('Keep').output.Value"}},
                    {"key": "ticks", "value": {"type": "Expression", "content": "@length(variables('ticks'))"}},
                ],
            ),
        ],
        parameters={"n": {"type": "Int", "defaultValue": 3}, "prefix": {"type": "String"}},
        variables={
            "label": {"type": "String"},
            "size": {"type": "String"},
            "case": {"type": "String"},
            "ticks": {"type": "Array", "defaultValue": []},
        },
    )
    publish(client, tmp_path, child, parent)
    finished, statuses = run(client, "Parent", {"prefix": "n", "n": "7"})  # strings convert to the declared type
    assert finished.status == "Succeeded", finished.message
    assert finished.output == {"case": "n-7 is big", "multiples": [3, 6, 9], "ticks": 3}
    assert statuses["Branch.ifTrueActivities/Big"] == "Succeeded" and "Branch.ifFalseActivities/Small" not in statuses
    child_run = client.pipelines.list_runs("Child")[0]
    assert child_run.parent_run_id == finished.run_id and child_run.output == {"doubled": 14}


def test_bad_parameters_are_refused_and_nothing_runs(client: MLClient, tmp_path: Path) -> None:
    publish(client, tmp_path, pipeline("Params", [wait0("A")], parameters={"n": {"type": "Int"}}))
    before = len(client.pipelines.list_runs("Params"))
    with pytest.raises(BadRequestError, match="needs parameter 'n'"):
        client.pipelines.run("Params")
    with pytest.raises(BadRequestError, match="'n' is int; 'x' is not"):
        client.pipelines.run("Params", {"n": "x"})
    with pytest.raises(BadRequestError, match="has no parameter extra"):
        client.pipelines.run("Params", {"n": 1, "extra": 2})
    assert len(client.pipelines.list_runs("Params")) == before


def test_a_run_can_be_cancelled(client: MLClient, tmp_path: Path) -> None:
    publish(
        client,
        tmp_path,
        pipeline("Long", [act("Sleep", "Wait", waitTimeInSeconds=60), wait0("After", {"Sleep": ["Completed"]})]),
    )
    started = client.pipelines.run("Long")
    time.sleep(0.5)
    client.pipelines.cancel(started.run_id)
    finished = client.pipelines.wait(started.run_id, timeout=10)
    activities = {a.activity_name: a.status for a in client.pipelines.activity_runs(started.run_id)}
    assert finished.status == "Cancelled" and activities == {"Sleep": "Cancelled"}


def test_rerun_from_failure_keeps_what_succeeded(client: MLClient, tmp_path: Path) -> None:
    client.warehouse.query("DROP TABLE IF EXISTS dbo.rerun_gate")
    client.warehouse.query("CREATE OR REPLACE TABLE dbo.rerun_counter (n INTEGER)")
    warehouse_service(client, tmp_path)
    service = {"linkedServiceName": {"referenceName": "Warehouse", "type": "LinkedServiceReference"}}
    first = (
        act("Count", "Script", scripts=[{"type": "NonQuery", "text": "INSERT INTO dbo.rerun_counter VALUES (1)"}])
        | service
    )
    gate = (
        act(
            "Gate",
            "Script",
            {"Count": ["Succeeded"]},
            scripts=[{"type": "Query", "text": "SELECT * FROM dbo.rerun_gate"}],
        )
        | service
    )
    publish(client, tmp_path, pipeline("Rerun", [first, gate]))
    failed, _ = run(client, "Rerun")
    assert failed.status == "Failed" and "rerun_gate" in failed.message
    client.warehouse.query("CREATE TABLE dbo.rerun_gate (ok INTEGER)")
    again = client.pipelines.wait(client.pipelines.rerun(failed.run_id, from_failure=True).run_id, timeout=30)
    assert again.status == "Succeeded" and again.rerun_of == failed.run_id and again.run_group_id == failed.run_id
    assert client.warehouse.query("SELECT count(*) AS n FROM dbo.rerun_counter").column("n")[0].as_py() == 1
    kept = next(a for a in client.pipelines.activity_runs(again.run_id) if a.activity_name == "Count")
    assert kept.status == "Succeeded" and kept.input == {"copiedFromRun": failed.run_id}


def test_secure_input_and_output_are_redacted_in_run_history(client: MLClient, tmp_path: Path) -> None:
    secret = act("Secret", "SetVariable", variableName="token", value="s3cr3t-value") | {
        "policy": {"secureInput": True, "secureOutput": True}
    }
    publish(
        client,
        tmp_path,
        pipeline(
            "Secure", [secret], variables={"token": {"type": "String"}}, parameters={"key": {"type": "SecureString"}}
        ),
    )
    finished, _ = run(client, "Secure", {"key": "p@ssw0rd"})
    assert finished.parameters == {"key": "***"}
    history = client.pipelines.activity_runs(finished.run_id)
    assert (history[0].input, history[0].output) == ("***", "***")
    assert "s3cr3t-value" not in json.dumps([h.model_dump(mode="json") for h in history])


def test_validation_names_every_problem_and_publishes_nothing(client: MLClient, tmp_path: Path) -> None:
    broken = pipeline(
        "Broken",
        [
            act("A", "SynapseMagic"),
            wait0("B", {"C": ["Succeeded"]}),
            wait0("C", {"B": ["Succeeded"]}),
            wait0("D", {"Nope": ["Succeeded"]}),
            wait0("E", {"B": ["Completed"]}),
            wait0("F", {"B": ["Succeeded"]}),
            act("G", "Copy", inputs=[{"referenceName": "Missing", "type": "DatasetReference"}]),
            act("H", "SetVariable", variableName="undeclared", value="@concat('a',"),
            act("I", "Wait", waitTimeInSeconds=1) | {"policy": {"timeout": "soon"}},
        ],
    )
    broken["properties"]["activities"][6]["inputs"] = broken["properties"]["activities"][6]["typeProperties"].pop(
        "inputs"
    )
    folder = tmp_path / "broken"
    (folder / "pipeline").mkdir(parents=True)
    (folder / "pipeline" / "Broken.json").write_text(json.dumps(broken))
    found = "\n".join(client.pipelines.validate(folder))
    assert "activity 'A': type 'SynapseMagic' is not supported" in found
    assert "dependsOn forms a cycle: B -> C -> B" in found or "dependsOn forms a cycle: C -> B -> C" in found
    assert "'D' depends on 'Nope', which is not an activity beside it" in found
    assert "activity 'B' has an Upon Completion path beside an Upon Success" in found
    assert "activity 'G': dataset 'Missing' does not exist" in found
    assert "sets variable 'undeclared', which is not declared" in found
    assert "expected a value or a function call at position 13, found the end" in found
    assert "policy.timeout: 'soon' is not a timespan" in found
    with pytest.raises(ValidationError, match="problems"):
        client.pipelines.publish(folder)
    assert "Broken" not in {p.name for p in client.pipelines.list()}


def test_web_activity_calls_loopback_only_as_the_pipelines_identity(
    client: MLClient, shared_workspace: RunningWorkspace, tmp_path: Path
) -> None:
    url = f"{shared_workspace.url}/api/v1/pipelines/WebCalls"
    inside = act("Inside", "WebActivity", url=url, method="GET", authentication={"type": "MSI", "resource": "lakebox"})
    outside = act("Outside", "WebActivity", url="http://example.com/", method="GET")
    publish(client, tmp_path, pipeline("WebCalls", [inside, outside]))
    finished, _statuses = run(client, "WebCalls")
    history = {a.activity_name: a for a in client.pipelines.activity_runs(finished.run_id)}
    assert history["Inside"].status == "Succeeded" and history["Inside"].output["name"] == "WebCalls"
    assert "Authorization" not in json.dumps(history["Inside"].input)
    assert "loopback addresses only" in (history["Outside"].error or {})["message"]
