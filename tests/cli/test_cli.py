"""The lakebox CLI: output formats, one-line errors, exit codes scripts can rely on."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from lakebox import __version__
from lakebox.cli.main import main as lakebox
from lakebox.workspace.layout import WorkspaceLayout
from tests.conftest import SKLEARN, RunningWorkspace


def _json(capsys: pytest.CaptureFixture[str]) -> object:
    return json.loads(capsys.readouterr().out)


def test_workspace_create_list_show_delete(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["workspace", "create", "--subscription", "sub", "--resource-group", "rg", "--name", "cli-ws"]
    assert lakebox([*args, "-o", "json"]) == 0
    created = _json(capsys)
    assert created["name"] == "cli-ws" and Path(created["path"]).is_dir()

    assert lakebox(["workspace", "list", "-o", "json"]) == 0
    assert [(w["name"], w["exists"]) for w in _json(capsys)] == [("cli-ws", True)]

    assert lakebox(["workspace", "show", "-w", "cli-ws", "-o", "json"]) == 0
    shown = _json(capsys)
    assert shown["server"] == "stopped"
    assert shown["default_datastore"].endswith("datastores/workspaceblobstore")

    assert lakebox(["workspace", "delete", "-w", "cli-ws"]) == 7
    assert "needs --yes" in capsys.readouterr().err
    assert Path(created["path"]).is_dir()
    assert lakebox(["workspace", "delete", "-w", "cli-ws", "--yes"]) == 0
    assert not Path(created["path"]).exists()


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["workspace", "show", "-w", "missing"], 5, "error: found no workspace 'missing'"),
        (["workspace", "create", "-s", "s", "-g", "rg", "-n", "x"], 7, "error: workspace name 'x' is invalid"),
        (["server", "status", "--path", "/nonexistent"], 5, "error: /nonexistent is not a lakebox workspace"),
    ],
)
def test_errors_are_one_line_with_an_exit_code(
    home: Path, capsys: pytest.CaptureFixture[str], args: list[str], code: int, message: str
) -> None:
    assert lakebox(args) == code
    err = capsys.readouterr().err
    assert err.startswith(message)
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_conflict_and_debug_traceback(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["workspace", "create", "-s", "s", "-g", "rg", "-n", "dup"]
    assert lakebox(args) == 0
    capsys.readouterr()
    assert lakebox(args) == 6
    assert "Traceback" not in capsys.readouterr().err
    assert lakebox(["--debug", *args]) == 6
    assert "Traceback" in capsys.readouterr().err


def test_usage_errors_and_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert lakebox(["workspace", "create", "--name", "only"]) == 2
    assert "Missing option" in capsys.readouterr().err
    assert lakebox(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"lakebox {__version__}"


def test_audit_list_and_verify_detects_tampering(
    fresh_workspace: WorkspaceLayout, capsys: pytest.CaptureFixture[str]
) -> None:
    path = ["--path", str(fresh_workspace.root)]
    assert lakebox(["audit", "verify", *path, "-o", "json"]) == 0
    assert _json(capsys)["ok"] is True
    assert lakebox(["audit", "list", *path, "-o", "json"]) == 0
    assert _json(capsys)[-1]["action"] == "lakebox/workspaces/write"

    with sqlite3.connect(fresh_workspace.database_file) as db:
        db.execute("UPDATE audit_entries SET outcome = 'failed' WHERE seq = 1")
    assert lakebox(["audit", "verify", *path]) == 1
    captured = capsys.readouterr()
    assert "audit log broken at entry 1: entry 1 was altered after it was recorded" in captured.err


def test_secret_commands_never_print_a_value_unasked(
    shared_workspace: RunningWorkspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    value_file = tmp_path / "value"
    value_file.write_text("cli-secret-value-7\n")
    path = ["--path", str(shared_workspace.layout.root)]
    assert lakebox(["vault", "create", "--name", "clivault", *path]) == 0
    assert lakebox(["secret", "set", "--vault", "clivault", "--name", "db", "--file", str(value_file), *path]) == 0
    assert lakebox(["secret", "list", "--vault", "clivault", "-o", "json", *path]) == 0
    assert "cli-secret-value-7" not in capsys.readouterr().out
    assert lakebox(["secret", "show", "--vault", "clivault", "--name", "db", "-o", "json", *path]) == 0
    assert _json(capsys)["value"] == "cli-secret-value-7"  # type: ignore[index]
    assert lakebox(["secret", "show", "--vault", "clivault", "--name", "nope", *path]) == 5
    assert capsys.readouterr().err.startswith("error: secret 'nope' not found in vault 'clivault'")


def test_data_commands(shared_workspace: RunningWorkspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = ["--path", str(shared_workspace.layout.root)]
    folder = tmp_path / "cli-lake"
    assert lakebox(["datastore", "create", "--name", "cli_lake", "--folder", str(folder), "-o", "json", *path]) == 0
    assert _json(capsys)["local_path"] == str(folder.resolve())  # type: ignore[index]
    csv = tmp_path / "people.csv"
    csv.write_text("name,age\nada,36\nalan,41\n")
    assert lakebox(["sql", "load", str(csv), "--table", "dbo.People", "--mode", "overwrite", *path]) == 0
    assert "dbo.People" in capsys.readouterr().out
    assert lakebox(["sql", "SELECT name FROM dbo.People WHERE age > 40", "-o", "json", *path]) == 0
    assert _json(capsys) == [{"name": "alan"}]
    assert lakebox(["sql", "tables", "-o", "json", *path]) == 0
    assert {"schema": "dbo", "name": "People", "rows": 2, "columns": 2} in _json(capsys)  # type: ignore[operator]
    password = tmp_path / "pw"
    password.write_text("cli-login-pw-1\n")
    login = ["sql-login", "create", "--name", "cli_reader", "--password-file", str(password), "--reader"]
    assert lakebox([*login, *path]) == 0
    assert lakebox(["spark-pool", "create", "--name", "cli-pool", "--nodes", "3", "--conf", "spark.x=1", *path]) == 0
    capsys.readouterr()
    assert lakebox(["spark-pool", "show", "cli-pool", "-o", "json", *path]) == 0
    assert _json(capsys)["spark_config"] == {"spark.x": "1"}  # type: ignore[index]
    capsys.readouterr()
    assert lakebox(["sql", "SELEC 1", *path]) == 7  # invalid input
    assert "SQL error: Parser Error" in capsys.readouterr().err


def test_model_and_online_endpoint_commands(
    shared_workspace: RunningWorkspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import mlflow
    import pandas as pd
    from mlflow.models import infer_signature
    from sklearn.dummy import DummyClassifier

    path = ["--path", str(shared_workspace.layout.root)]
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0]})
    model = DummyClassifier(strategy="constant", constant=7).fit(frame, [7, 7, 7])
    mlflow.sklearn.save_model(
        model, tmp_path / "model", signature=infer_signature(frame, [7]), pip_requirements=SKLEARN
    )
    (tmp_path / "endpoint.yml").write_text("name: cli-ep\nauth_mode: key\n")
    deployment = "name: only\nendpoint_name: cli-ep\nmodel: ./model\ninstance_count: 1\n"
    (tmp_path / "deployment.yml").write_text(deployment)
    (tmp_path / "request.json").write_text(json.dumps({"input_data": {"columns": ["x"], "data": [[5.0]]}}))

    assert lakebox(["online-endpoint", "create", "-f", str(tmp_path / "endpoint.yml"), *path]) == 0
    assert lakebox(["online-deployment", "create", "-f", str(tmp_path / "deployment.yml"), "--all-traffic", *path]) == 0
    capsys.readouterr()
    assert lakebox(["online-endpoint", "invoke", "cli-ep", "-r", str(tmp_path / "request.json"), *path]) == 0
    assert json.loads(capsys.readouterr().out) == [7]
    assert lakebox(["online-endpoint", "show", "cli-ep", "-o", "json", *path]) == 0
    assert _json(capsys)["traffic"] == {"only": 100}  # type: ignore[index]
    assert lakebox(["online-endpoint", "update", "--name", "cli-ep", "--traffic", "only=50", *path]) == 7
    assert "add up to 100" in capsys.readouterr().err
    assert lakebox(["online-deployment", "delete", "only", "-e", "cli-ep", *path]) == 6  # conflict
    assert "traffic" in capsys.readouterr().err
    assert lakebox(["model", "list", "-o", "json", *path]) == 0
    assert any(m["name"] == "cli-ep-only-model" for m in _json(capsys))  # type: ignore[union-attr]
    assert lakebox(["online-endpoint", "delete", "cli-ep", *path]) == 0


def test_batch_endpoint_and_pipeline_commands(
    shared_workspace: RunningWorkspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import mlflow
    import pandas as pd
    from sklearn.dummy import DummyClassifier

    path = ["--path", str(shared_workspace.layout.root)]
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0]})
    mlflow.sklearn.save_model(
        DummyClassifier(strategy="constant", constant=3).fit(frame, [3, 3, 3]), tmp_path / "m", pip_requirements=SKLEARN
    )
    (tmp_path / "endpoint.yml").write_text("name: cli-batch\nauth_mode: aad_token\n")
    (tmp_path / "deployment.yml").write_text(
        "name: d1\nendpoint_name: cli-batch\nmodel: ./m\nresources:\n  instance_count: 2\n"
        "settings:\n  mini_batch_size: 1\n  output_file_name: out.csv\n"
    )
    (tmp_path / "data").mkdir()
    for index in range(3):
        frame.to_csv(tmp_path / "data" / f"part{index}.csv", index=False)
    assert lakebox(["batch-endpoint", "create", "-f", str(tmp_path / "endpoint.yml"), *path]) == 0
    assert lakebox(["batch-deployment", "create", "-f", str(tmp_path / "deployment.yml"), *path]) == 0
    capsys.readouterr()
    assert lakebox(["batch-deployment", "show", "d1", "-e", "cli-batch", "-o", "json", *path]) == 0
    settings = _json(capsys)["settings"]  # type: ignore[index]
    assert (settings["instance_count"], settings["mini_batch_size"]) == (2, 1)
    invoke = ["batch-endpoint", "invoke", "cli-batch", "-i", str(tmp_path / "data"), "--set", "error_threshold=0"]
    assert lakebox([*invoke, "--stream", "-o", "json", *path]) == 0
    streamed = capsys.readouterr().out
    job = json.loads(streamed[streamed.rindex("\n{") :])  # the job, after its log
    assert job["status"] == "Completed" and "3 inputs in 3 mini-batches, 2 processes" in streamed
    assert lakebox(["batch-endpoint", "invoke", "cli-batch", "-i", str(tmp_path / "nope"), *path]) == 5
    assert "does not exist" in capsys.readouterr().err

    folder = tmp_path / "artifacts"
    (folder / "pipeline").mkdir(parents=True)
    steps = [
        {
            "name": "Hello",
            "type": "SetVariable",
            "typeProperties": {"variableName": "v", "value": "@pipeline().parameters.who"},
        }
    ]
    (folder / "pipeline" / "Hello.json").write_text(
        json.dumps(
            {
                "name": "CliHello",
                "properties": {
                    "activities": steps,
                    "parameters": {"who": {"type": "String"}},
                    "variables": {"v": {"type": "String"}},
                },
            }
        )
    )
    assert lakebox(["pipeline", "validate", str(folder), *path]) == 0
    assert lakebox(["pipeline", "publish", str(folder), *path]) == 0
    capsys.readouterr()
    assert lakebox(["pipeline", "run", "CliHello", "-p", "who=world", "--wait", "-o", "json", *path]) == 0
    run_id = _json(capsys)["run_id"]  # type: ignore[index]
    assert lakebox(["pipeline", "show", run_id, "-o", "json", *path]) == 0
    shown = _json(capsys)
    assert shown["activities"][0]["output"]["value"] == "world"  # type: ignore[index]
    assert lakebox(["pipeline", "run", "CliHello", *path]) == 7  # bad request: the parameter is missing
    assert "needs parameter 'who'" in capsys.readouterr().err
    steps[0]["type"] = "Teleport"
    (folder / "pipeline" / "Hello.json").write_text(
        json.dumps({"name": "CliHello", "properties": {"activities": steps}})
    )
    assert lakebox(["pipeline", "validate", str(folder), *path]) == 1
    assert "type 'Teleport' is not supported" in capsys.readouterr().err
