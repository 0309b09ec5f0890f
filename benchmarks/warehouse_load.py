"""Loading a Parquet file into the SQL warehouse, against pandas ``to_sql`` into SQLite, in one run.

All start from the same Parquet file of N rows (default 5 million: customer-like columns).

- anchor: ``pd.read_parquet(f).to_sql("Customers", sqlite_connection)`` with pandas' defaults, and
  tuned (``index=False, chunksize=100_000``) for a fair view of SQLite's best;
- lakebox, the file on a datastore: ``ml_client.warehouse.load("dbo.Customers", "azureml://...")``,
  which the server copies with DuckDB's own Parquet reader (Synapse's ``COPY INTO``);
- lakebox, a local file: ``ml_client.warehouse.load("dbo.Customers", path)``, read with Arrow on
  the client and sent to the server as an Arrow stream.

Target: the warehouse loads at least 10x faster than pandas ``to_sql`` into SQLite.

    .venv/bin/python benchmarks/warehouse_load.py [--rows 5000000]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from lakebox import MLClient
from lakebox.server.process import stop_server
from lakebox.workspace.manager import create_workspace

RESULTS = Path(__file__).parent / "results" / "warehouse_load.md"


def customers(rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    return pd.DataFrame(
        {
            "CustomerID": np.arange(rows, dtype=np.int64),
            "Age": rng.integers(18, 95, rows),
            "Income": rng.lognormal(10.9, 0.5, rows),
            "CreditScore": rng.integers(300, 851, rows),
            "AccountBalance": rng.gamma(2.0, 4000.0, rows),
            "Segment": rng.choice(["retail", "business", "private"], rows),
        }
    )


def load_sqlite(parquet: Path, database: Path, **to_sql: object) -> float:
    database.unlink(missing_ok=True)
    started = time.perf_counter()
    frame = pd.read_parquet(parquet)
    with sqlite3.connect(database) as connection:
        frame.to_sql("Customers", connection, if_exists="replace", **to_sql)  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT count(*) FROM Customers").fetchone()[0] == len(frame)
    return seconds


def load_lakebox(client: MLClient, source: str | Path) -> float:
    started = time.perf_counter()
    result = client.warehouse.load("dbo.Customers", source, mode="overwrite")
    seconds = time.perf_counter() - started
    assert result.rows == result.loaded == client.warehouse.query("SELECT count(*) FROM dbo.Customers")[0][0].as_py()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=5_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        os.environ["LAKEBOX_HOME"] = home
        layout, _ = create_workspace("bench", "bench", "bench")
        parquet = layout.default_datastore_dir / "customers.parquet"
        customers(args.rows).to_parquet(parquet)
        try:
            with MLClient(path=layout.root) as client:
                client.warehouse.query("SELECT 1")  # open the warehouse before timing
                seconds = {
                    "lakebox, file on a datastore (server-side COPY INTO)": load_lakebox(
                        client, "azureml://datastores/workspaceblobstore/paths/customers.parquet"
                    ),
                    "lakebox, local file (Arrow stream over HTTP)": load_lakebox(client, parquet),
                }
        finally:
            stop_server(layout)
        anchors = {
            "pandas read_parquet + to_sql into SQLite, defaults": load_sqlite(parquet, Path(home) / "a.db"),
            "pandas ... to_sql, index=False, chunksize=100000": load_sqlite(
                parquet, Path(home) / "b.db", index=False, chunksize=100_000
            ),
        }
    anchor = next(iter(anchors.values()))
    lines = [
        "# SQL warehouse: loading Parquet",
        "",
        f"{args.rows:,} rows (6 columns) from one Parquet file, one run on this machine.",
        "Target: at least 10x faster than pandas `to_sql` into SQLite (its defaults, the first row).",
        "",
        "| loader | seconds | rows/s | speed-up vs to_sql defaults |",
        "|---|---|---|---|",
    ]
    for name, value in {**anchors, **seconds}.items():
        lines.append(f"| {name} | {value:.2f} | {args.rows / value:,.0f} | {anchor / value:.1f}x |")
    RESULTS.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
