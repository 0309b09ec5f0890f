"""Spark with lakebox's Delta path against plain Spark Parquet, on the same data, in one run.

Writes a table of N rows (default 5 million: a long, two doubles, a string) and reads it back
fully (an aggregate over every column), through ``format("delta")`` on a lakebox session
(delta-rs commits, lake URIs) and through Spark's built-in Parquet source on the same session.
Target: the Delta path costs at most 1.5x plain Parquet.

    .venv/bin/python benchmarks/delta_spark.py [--rows 5000000] [--trials 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from lakebox import MLClient
from lakebox.entities import AzureDataLakeGen2Datastore
from lakebox.server.process import stop_server
from lakebox.spark import get_session
from lakebox.workspace.manager import create_workspace

RESULTS = Path(__file__).parent / "results" / "delta_spark.md"
LAKE = "abfss://bench@lake.dfs.core.windows.net"


def data(spark: SparkSession, rows: int) -> DataFrame:
    return spark.range(rows).select(
        F.col("id"),
        (F.col("id") * 0.5).alias("amount"),
        F.rand(seed=1).alias("score"),
        F.concat(F.lit("customer-"), (F.col("id") % 100_000).cast("string")).alias("name"),
    )


def read_all(frame: DataFrame) -> None:
    frame.agg(F.sum("id"), F.sum("amount"), F.avg("score"), F.countDistinct("name")).collect()


def timed(action: Callable[[], None]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--trials", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        os.environ["LAKEBOX_HOME"] = home
        layout, _ = create_workspace("bench", "bench", "bench")
        try:
            with MLClient(path=layout.root) as client:
                lake = Path(home) / "lake"
                client.datastores.create_or_update(
                    AzureDataLakeGen2Datastore(name="lake", account_name="lake", filesystem="bench", path=str(lake))
                )
                spark = get_session("bench", ml_client=client)
                rows = run(spark, args.rows, args.trials, lake)
                spark.stop()
        finally:
            stop_server(layout)
    write_results(rows, args.rows, args.trials)


def run(spark: SparkSession, rows: int, trials: int, lake: Path) -> dict[str, list[float]]:
    source = data(spark, rows).cache()
    source.count()
    times: dict[str, list[float]] = {key: [] for key in ("parquet write", "delta write", "parquet read", "delta read")}
    for trial in range(trials):  # alternate so drift on a noisy machine hits both sides alike
        parquet_path, delta_uri = str(lake / f"parquet-{trial}"), f"{LAKE}/delta-{trial}"
        steps: dict[str, Callable[[], None]] = {
            "parquet write": lambda p=parquet_path: source.write.mode("overwrite").parquet(p),
            "delta write": lambda u=delta_uri: source.write.mode("overwrite").format("delta").save(u),
            "parquet read": lambda p=parquet_path: read_all(spark.read.parquet(p)),
            "delta read": lambda u=delta_uri: read_all(spark.read.format("delta").load(u)),
        }
        for step, action in steps.items():
            times[step].append(timed(action))
    return times


def write_results(times: dict[str, list[float]], rows: int, trials: int) -> None:
    median = {key: statistics.median(values) for key, values in times.items()}
    lines = [
        "# Spark: lakebox Delta path vs plain Parquet",
        "",
        f"{rows:,} rows (long, 2 doubles, string), Spark local[2], median of {trials} trials, one run.",
        "Target: Delta write+read at most 1.5x Parquet write+read.",
        "",
        "| step | plain Parquet (s) | lakebox Delta (s) | ratio |",
        "|---|---|---|---|",
    ]
    for step in ("write", "read"):
        parquet, delta = median[f"parquet {step}"], median[f"delta {step}"]
        lines.append(f"| {step} | {parquet:.2f} | {delta:.2f} | {delta / parquet:.2f}x |")
    parquet_total = median["parquet write"] + median["parquet read"]
    delta_total = median["delta write"] + median["delta read"]
    lines.append(f"| write + read | {parquet_total:.2f} | {delta_total:.2f} | **{delta_total / parquet_total:.2f}x** |")
    RESULTS.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
