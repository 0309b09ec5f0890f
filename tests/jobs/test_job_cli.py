"""`lakebox job` with Azure ML CLI v2 job YAML."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from lakebox.cli.main import main as lakebox
from tests.conftest import RunningWorkspace


def _job_file(tmp_path: Path, body: str) -> Path:
    (tmp_path / "src").mkdir(exist_ok=True)
    (tmp_path / "src" / "count.py").write_text(
        "import os, sys\nprint(len(os.listdir(sys.argv[1])), 'files,', sys.argv[2])\n"
    )
    (tmp_path / "data").mkdir(exist_ok=True)
    (tmp_path / "data" / "a.csv").write_text("x\n")
    path = tmp_path / "job.yml"
    path.write_text(textwrap.dedent(body))
    return path


def test_job_yaml_runs_with_paths_relative_to_the_file(
    shared_workspace: RunningWorkspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    job_file = _job_file(
        tmp_path,
        """
        $schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
        type: command
        code: ./src
        command: python count.py ${{inputs.data}} ${{inputs.label}}
        inputs:
          data:
            type: uri_folder
            path: ./data
          label: demo
        environment: azureml:lakebox-default
        compute: azureml:local
        display_name: counting
        experiment_name: cli-jobs
        """,
    )
    path = ["--path", str(shared_workspace.layout.root)]
    assert lakebox(["job", "create", *path, "-f", str(job_file), "--stream", "-o", "json"]) == 0
    captured = capsys.readouterr()
    assert "1 files, demo" in captured.out
    job = json.loads(captured.out[captured.out.index("{") :])
    assert (job["status"], job["display_name"], job["experiment_name"]) == ("Completed", "counting", "cli-jobs")
    assert lakebox(["job", "list", *path, "--status", "Completed", "-o", "json"]) == 0
    assert job["name"] in {j["name"] for j in json.loads(capsys.readouterr().out)}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("type: command\ncommand: echo\nresources: {}\n", "unknown field(s) resources"),
        ("type: pipeline\ncommand: echo\n", "type 'pipeline' is not supported"),
        ("type: sweep\ncommand: echo\n", "unknown field(s) command for a sweep job"),
        ("type: command\ncommand: echo ${{inputs.none}}\n", "undefined inputs.none"),
    ],
)
def test_bad_job_yaml_is_refused(
    shared_workspace: RunningWorkspace, tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, message: str
) -> None:
    job_file = tmp_path / "job.yml"
    job_file.write_text(body)
    assert lakebox(["job", "create", "--path", str(shared_workspace.layout.root), "-f", str(job_file)]) == 7
    assert message in capsys.readouterr().err


def test_failed_job_stream_exits_1(
    shared_workspace: RunningWorkspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    job_file = tmp_path / "job.yml"
    job_file.write_text("type: command\ncommand: echo broken >&2; exit 2\n")
    path = ["--path", str(shared_workspace.layout.root)]
    assert lakebox(["job", "create", *path, "-f", str(job_file), "--stream"]) == 1
    err = capsys.readouterr().err
    assert "Failed: the command exited with code 2" in err
