"""A Spark job on a Spark pool: the PySpark script reads the SQL login's password from the vault with
mssparkutils, reads the warehouse with synapsesql and writes Delta, and its logs never show the secret."""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from pydantic import ValidationError

from lakebox import MLClient, NotFoundError
from lakebox.entities import SparkPool, Vault, spark
from lakebox.jobs.spec_file import load_job_file
from lakebox.lake import delta
from tests.conftest import RunningWorkspace

PASSWORD = "job-sql-password-0451"


def test_spark_job_reads_a_vault_secret_that_never_reaches_its_logs(
    lake_client: MLClient, shared_workspace: RunningWorkspace, tmp_path: Path
) -> None:
    lake_client.vaults.create_or_update(Vault(name="keyvault"))
    lake_client.secrets.set("keyvault", "job-sql-password", PASSWORD)
    lake_client.warehouse.create_login("jobreader", PASSWORD, role="Warehouse Data Reader")
    lake_client.warehouse.load("dbo.JobCustomers", pd.DataFrame({"Age": [20, 40, 60]}), mode="overwrite")
    (tmp_path / "prep.py").write_text(
        textwrap.dedent(
            """
            from lakebox.spark import SparkSession, mssparkutils

            spark = SparkSession.builder.appName("JobPrep").getOrCreate()
            print("master", spark.sparkContext.master, spark.conf.get("spark.sql.shuffle.partitions"))
            password = mssparkutils.credentials.getSecret("keyvault", "job-sql-password")
            print("using password", password, flush=True)
            df = (
                spark.read.format("synapsesql")
                .option("url", "jdbc:sqlserver://synapse-workspace.sql.azuresynapse.net:1433")
                .option("dbtable", "dbo.JobCustomers")
                .option("user", "jobreader")
                .option("password", password)
                .load()
            )
            df.filter(df.Age > 30).write.mode("overwrite").format("delta").save(
                "abfss://ml-data@datalake.dfs.core.windows.net/job/adults"
            )
            print(f"Adults: {df.filter(df.Age > 30).count()} rows")
            """
        )
    )
    lake_client.spark_pools.create_or_update(SparkPool(name="prep-pool", node_count=1))
    job = lake_client.jobs.create_or_update(
        spark(
            code=str(tmp_path),
            entry={"file": "prep.py"},
            compute="prep-pool",
            conf={"spark.sql.shuffle.partitions": "3"},
        )
    )
    out = io.StringIO()
    lake_client.jobs.stream(job.name, out=out)
    assert "master local[1] 3" in out.getvalue()
    assert "Adults: 2 rows" in out.getvalue()
    assert "using password ***" in out.getvalue()
    log = (shared_workspace.layout.jobs_dir / job.name / "user_logs" / "std_log.txt").read_text()
    assert PASSWORD not in log and PASSWORD not in shared_workspace.layout.server_log_file.read_text()
    adults = lake_client.datastores.resolve("abfss://ml-data@datalake.dfs.core.windows.net/job/adults")
    assert sorted(delta.read_table(adults).column("Age").to_pylist()) == [40, 60]


def test_spark_job_yaml_and_pools(lake_client: MLClient, tmp_path: Path) -> None:
    (tmp_path / "job.yml").write_text(
        textwrap.dedent(
            """
            $schema: https://azuremlschemas.azureedge.net/latest/sparkJob.schema.json
            type: spark
            code: ./src
            entry:
              file: prep.py
            args: --rows 10
            conf:
              spark.executor.memory: 1g
            compute: yaml-pool
            """
        )
    )
    job = load_job_file(tmp_path / "job.yml")
    assert job.command == "python prep.py --rows 10"
    assert job.environment_variables == {
        "LAKEBOX_SPARK_POOL": "yaml-pool",
        "LAKEBOX_SPARK_CONF": '{"spark.executor.memory": "1g"}',
    }
    assert job.compute is None  # the driver runs on the local compute; the pool is where Spark runs
    with pytest.raises(ValidationError, match="is not spark://host:port, sc://host:port or local"):
        SparkPool(name="remote", master="yarn")
    lake_client.spark_pools.create_or_update(SparkPool(name="listed-pool", node_count=3))
    assert lake_client.spark_pools.get("listed-pool").spark_master == "local[3]"
    lake_client.spark_pools.delete("listed-pool")
    with pytest.raises(NotFoundError, match="Spark pool 'listed-pool' not found"):
        lake_client.spark_pools.get("listed-pool")
