"""SparkJob (a Spark job definition's script on the lake) and SynapseNotebook (code cells with injected
parameters and an exit value) run as jobs whose Spark sessions use the pool the activity names."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from tests.conftest import RunningWorkspace
from tests.pipelines.test_engine import act, run

from lakebox import MLClient
from lakebox.entities import Datastore, SparkPool

JOB_PY = """
import sys
from lakebox.spark import SparkSession
spark = SparkSession.builder.getOrCreate()
rows = spark.range(int(sys.argv[1])).count()
print(f"counted {rows} on {spark.sparkContext.master}")
"""


@pytest.mark.slow
def test_spark_job_and_notebook_run_on_the_named_pool(shared_workspace: RunningWorkspace, tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    (lake / "scripts").mkdir(parents=True)
    (lake / "scripts" / "count.py").write_text(JOB_PY)
    notebook_cells = [
        {"cell_type": "markdown", "source": ["# Count rows"]},
        {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": ["rows = 5\n"]},
        {
            "cell_type": "code",
            "source": ["n = spark.range(rows).count()\n", "mssparkutils.notebook.exit(f'counted {n}')\n"],
        },
        {"cell_type": "code", "source": ["raise RuntimeError('never reached: exit ends the notebook')\n"]},
    ]
    artifacts = {
        "linkedService/SparkLake.json": {
            "type": "AzureBlobFS",
            "typeProperties": {"url": "https://sparklake.dfs.core.windows.net/"},
        },
        "sparkJobDefinition/Count.json": {
            "targetBigDataPool": {"referenceName": "pipepool"},
            "jobProperties": {"file": "abfss://code@sparklake.dfs.core.windows.net/scripts/count.py", "args": ["3"]},
        },
        "notebook/Counter.json": {
            "bigDataPool": {"referenceName": "pipepool"},
            "cells": notebook_cells,
            "metadata": {"language_info": {"name": "python"}},
        },
        "pipeline/Sparky.json": {
            "activities": [
                act(
                    "Job",
                    "SparkJob",
                    sparkJob={"referenceName": "Count", "type": "SparkJobDefinitionReference"},
                    args=["4"],
                ),
                act(
                    "Notebook",
                    "SynapseNotebook",
                    {"Job": ["Succeeded"]},
                    notebook={"referenceName": "Counter", "type": "NotebookReference"},
                    parameters={"rows": {"value": "@string(add(2, 5))", "type": "int"}},
                ),
            ]
        },
    }
    folder = tmp_path / "artifacts"
    for name, properties in artifacts.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(json.dumps({"name": Path(name).stem, "properties": properties}))
    with MLClient(path=shared_workspace.layout.root) as client:
        client.datastores.create_or_update(
            Datastore(
                name="sparklake", type="azure_blob", path=str(lake), account_name="sparklake", container_name="code"
            )
        )
        assert any("Spark pool 'pipepool' does not exist" in p for p in client.pipelines.validate(folder))
        client.spark_pools.create_or_update(SparkPool(name="pipepool", node_count=1))
        client.pipelines.publish(folder)
        finished, _ = run(client, "Sparky")
        outputs = {a.activity_name: a.output for a in client.pipelines.activity_runs(finished.run_id)}
        assert finished.status == "Succeeded", finished.message
        log = io.StringIO()
        client.jobs.stream(outputs["Job"]["jobName"], out=log)
    assert "counted 4 on local[1]" in log.getvalue()  # the activity's args replace the definition's
    assert outputs["Notebook"]["status"]["Output"]["result"]["exitValue"] == "counted 7"
