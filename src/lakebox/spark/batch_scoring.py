"""Batch scoring on a Spark pool: the job a batch deployment runs when its compute is a Spark pool.

It runs in the curated environment (lakebox and PySpark), and its session goes to the pool as every
``lakebox.spark`` session inside a job does. The input's CSV and Parquet files are read by Spark,
scored by the MLflow model in ``mapInPandas`` (one model per Python worker), and written as the
deployment says: one CSV or Parquet file, or a Delta table. Every row keeps ``source_file`` and
``source_row`` (its index in that file). Spark retries failed tasks; a job that fails says why, and
``summary.json`` is kept with its logs as for local scoring.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lakebox.batch.driver import SUMMARY_FILE, Options, add_io_arguments, combine, report_failure


def score(options: Options) -> dict[str, Any]:
    import pandas as pd
    from pyspark.sql import DataFrame, Window
    from pyspark.sql import functions as F
    from pyspark.sql.types import StructField, StructType

    from lakebox.spark import get_session

    started = time.perf_counter()
    spark = get_session("lakebox-batch-scoring")
    root = options.input if options.input.is_dir() else options.input.parent
    frames: list[DataFrame] = []
    parquet = _files(options.input, ".parquet")
    csv = _files(options.input, ".csv")
    if parquet:
        frame = spark.read.parquet(*map(str, parquet)).select("*", "_metadata.file_path", "_metadata.row_index")
        frames.append(frame.withColumnRenamed("row_index", "source_row"))
    if csv:
        frame = spark.read.option("header", True).option("inferSchema", True).csv(list(map(str, csv)))
        frame = frame.select("*", "_metadata.file_path").withColumn("_order", F.monotonically_increasing_id())
        frames.append(
            frame.withColumn(
                "source_row", F.row_number().over(Window.partitionBy("file_path").orderBy("_order")) - 1
            ).drop("_order")
        )
    if not frames:
        raise ValueError(f"no CSV or Parquet files in {options.input}")
    data = frames[0]
    for other in frames[1:]:
        data = data.unionByName(other, allowMissingColumns=True)
    folder = f"^.*?\\Q{root.resolve().as_posix()}\\E/"  # file_path is a URI; keep what follows the input folder
    data = data.withColumn("source_file", F.regexp_replace("file_path", folder, "")).drop("file_path")
    data = data.select(
        *[c for c in data.columns if c not in ("source_file", "source_row")], "source_file", "source_row"
    )
    model_dir = str(options.model_dir)
    sample = data.limit(5).toPandas()
    kind = spark.createDataFrame(pd.DataFrame({"prediction": _predict(model_dir, sample)})).schema["prediction"]
    schema = StructType([*data.schema.fields, StructField("prediction", kind.dataType, True)])
    columns = schema.fieldNames()

    def predict(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch in batches:
            batch["prediction"] = _predict(model_dir, batch)
            yield batch[columns]

    scored = data.mapInPandas(predict, schema)  # type: ignore[arg-type]
    ordered = scored.select(
        *[c for c in columns if c not in ("source_file", "source_row")], "source_file", "source_row"
    )
    rows = _write(ordered, options)
    return {"rows_scored": rows, "seconds": round(time.perf_counter() - started, 3), "predictor": "mlflow (Spark)"}


_MODELS: dict[str, Any] = {}


def _predict(model_dir: str, frame: Any) -> Any:
    """The model's predictions for ``frame`` (the model loaded once per process)."""
    if model_dir not in _MODELS:
        import mlflow.pyfunc

        _MODELS[model_dir] = mlflow.pyfunc.load_model(model_dir)
    model = _MODELS[model_dir]
    raw = model.get_raw_model() if hasattr(model, "get_raw_model") else None
    names = [str(n) for n in getattr(raw, "feature_names_in_", [])]
    features = frame[names] if names else frame.drop(columns=["source_file", "source_row"], errors="ignore")
    predictions = model.predict(features)
    return predictions.to_numpy() if hasattr(predictions, "to_numpy") else predictions


def _files(path: Path, suffix: str) -> list[Path]:
    if path.is_file():
        return [path] if path.suffix.lower() == suffix else []
    return sorted(p for p in path.rglob(f"*{suffix}") if not p.name.startswith((".", "_")))


def _write(frame: Any, options: Options) -> int:
    frame = frame.cache()
    rows = int(frame.count())
    if options.output_format == "delta":
        target = options.output / Path(options.output_file_name).stem
        frame.write.format("delta").mode("append").save(str(target))
        return rows
    parts = options.output / ".lakebox-parts"
    writer = frame.write.mode("overwrite")
    if options.output_format == "csv":
        writer.option("header", True).csv(str(parts))
    else:
        writer.parquet(str(parts))
    combine(parts, options)
    shutil.rmtree(parts, ignore_errors=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lakebox-batch-spark")
    add_io_arguments(parser)
    parser.add_argument("--model-dir", type=Path, required=True)
    arguments = vars(parser.parse_args(argv))
    options = Options(
        **arguments, output_action="append_row", mini_batch_size=0, concurrency=0, error_threshold=-1,
        max_retries=0, timeout=0.0, tabular=True, scoring_script=None,
    )  # fmt: skip
    options.output.mkdir(parents=True, exist_ok=True)
    options.logs.mkdir(parents=True, exist_ok=True)
    try:
        summary = score(options)
    except Exception as exc:
        report_failure(f"batch scoring on Spark failed: {type(exc).__name__}: {str(exc).strip().splitlines()[0]}")
        raise
    (options.logs / SUMMARY_FILE).write_text(json.dumps(summary | {"status": "Completed"}, indent=2))
    print(f"lakebox batch (Spark): {json.dumps(summary)}", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
