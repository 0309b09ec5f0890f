"""A PySpark script run as a job: it reads the SQL login's password from the vault with
mssparkutils, reads the warehouse with synapsesql and writes Delta, and its logs never show the secret."""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

import pandas as pd

from lakebox import MLClient, command
from lakebox.entities import Vault
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
    job = lake_client.jobs.create_or_update(command(code=tmp_path, command="python prep.py", display_name="spark"))
    out = io.StringIO()
    lake_client.jobs.stream(job.name, out=out)
    assert "Adults: 2 rows" in out.getvalue()
    assert "using password ***" in out.getvalue()
    log = (shared_workspace.layout.jobs_dir / job.name / "user_logs" / "std_log.txt").read_text()
    assert PASSWORD not in log and PASSWORD not in shared_workspace.layout.server_log_file.read_text()
    adults = lake_client.datastores.resolve("abfss://ml-data@datalake.dfs.core.windows.net/job/adults")
    assert sorted(delta.read_table(adults).column("Age").to_pylist()) == [40, 60]
