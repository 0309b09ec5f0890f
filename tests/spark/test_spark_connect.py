"""A Spark Connect server as a Spark pool: the delta format and lake URIs work over sc:// too."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pyspark
import pytest

from lakebox import MLClient
from lakebox.entities import SparkPool
from lakebox.lake import delta
from tests.conftest import RunningWorkspace

LAKE = "abfss://ml-data@datalake.dfs.core.windows.net"


@pytest.fixture(scope="module")
def connect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Spark Connect server in local mode on 127.0.0.1, as `start-connect-server.sh` would run it."""
    home = Path(pyspark.__file__).parent
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = tmp_path_factory.mktemp("connect") / "server.log"
    env = {**os.environ, "SPARK_HOME": str(home), "PYSPARK_PYTHON": sys.executable, "SPARK_LOCAL_IP": "127.0.0.1"}
    settings = {
        "spark.connect.grpc.binding.port": str(port),
        "spark.connect.grpc.binding.address": "127.0.0.1",
        "spark.ui.enabled": "false",
        "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    }
    command = [str(home / "bin" / "spark-submit"), "--class", "org.apache.spark.sql.connect.service.SparkConnectServer"]
    command += ["--master", "local[2]", *[f"--conf={k}={v}" for k, v in settings.items()], "spark-internal"]
    with open(log, "w") as out:
        server = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                pytest.fail(f"the Spark Connect server did not start: {log.read_text()[-2000:]}")
            time.sleep(0.5)
    yield f"sc://127.0.0.1:{port}"
    server.terminate()
    server.wait(timeout=60)


def test_delta_over_spark_connect(
    connect_server: str, lake_client: MLClient, shared_workspace: RunningWorkspace, tmp_path: Path
) -> None:
    """In its own process: Spark allows a Connect session only where no classic one runs."""
    lake_client.spark_pools.create_or_update(SparkPool(name="connect-pool", master=connect_server))
    uri = f"{LAKE}/connect/numbers"
    script = tmp_path / "connect_delta.py"
    script.write_text(
        textwrap.dedent(
            f"""
            from lakebox import MLClient
            from lakebox.spark import get_session

            spark = get_session(pool="connect-pool", ml_client=MLClient(path={str(shared_workspace.layout.root)!r}))
            print("session", type(spark).__module__)
            spark.range(100).write.mode("overwrite").format("delta").save({uri!r})
            spark.range(100, 150).write.mode("append").format("delta").save({uri!r})
            print("rows", spark.read.format("delta").load({uri!r}).count())
            print("version 0", spark.read.format("delta").option("versionAsOf", 0).load({uri!r}).count())
            """
        )
    )
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "session pyspark.sql.connect.session" in run.stdout
    assert "rows 150" in run.stdout and "version 0 100" in run.stdout
    assert delta.read_table(lake_client.datastores.resolve(uri)).num_rows == 150
