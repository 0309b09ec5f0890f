"""Online serving: lakebox's gateway and workers against ``mlflow models serve``, side by side in one run.

The model is the seed's: a RandomForest (100 trees, depth 10) on 4 features, trained on 100k
synthetic customers and saved with MLflow (signature included). Both servers get the same
JSON requests from ``wrk`` (installed with apt when missing) on this machine:

- single-row requests at concurrency 1 and 32, and 100-row requests at concurrency 32;
- ``mlflow models serve`` with 1 and with 2 workers (2 cores here), its best row kept as the anchor;
- lakebox: the no-code MLflow deployment (micro-batched), compiled (the default: the forest as batch
  scoring compiles it, exactly scikit-learn's answers) and native scikit-learn; and the same model
  behind a custom ``score.py`` (one request per ``run()`` call, as on Azure ML).

Targets (issue 6): at concurrency 32, at least 30x the anchor's throughput with p99 under 100 ms;
at concurrency 1, p50 under 2 ms compiled, and no worse than the model's own in-process single-row
predict time plus 1 ms native.

    .venv/bin/python benchmarks/serving.py [--seconds 10]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
from seed_model import FEATURES, train
from sklearn.ensemble import RandomForestClassifier

from lakebox import MLClient
from lakebox.entities import CodeConfiguration, ManagedOnlineDeployment, ManagedOnlineEndpoint, Model
from lakebox.server.process import stop_server
from lakebox.workspace.manager import create_workspace

ROOT = Path(__file__).parent
RESULTS = ROOT / "results" / "serving.md"
SCORE_PY = """
import json
import mlflow
import numpy as np

def init():
    global model
    model = mlflow.sklearn.load_model("./model")

def run(raw_data):
    rows = json.loads(raw_data)["dataframe_split"]["data"]
    return model.predict(np.array(rows)).tolist()
"""


@dataclass
class Result:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int


def in_process_ms(model: RandomForestClassifier, row: pd.DataFrame) -> float:
    model.predict(row)
    times = []
    for _ in range(50):
        started = time.perf_counter()
        model.predict(row)
        times.append(time.perf_counter() - started)
    return 1000 * float(np.median(times))


def body(frame: pd.DataFrame, rows: int) -> str:
    """MLflow's ``dataframe_split`` request, which both servers take."""
    return json.dumps({"dataframe_split": {"columns": FEATURES, "data": frame.iloc[:rows].values.tolist()}})


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found is None:
        subprocess.run([str(ROOT.parent / "scripts" / "apt-install.sh"), "wrk"], check=True)
        found = shutil.which("wrk")
    assert found is not None
    return found


def wrk(url: str, payload: str, connections: int, seconds: int, headers: dict[str, str]) -> Result:
    """Run wrk against ``url``; its throughput, latency percentiles and non-2xx count."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        lines = ['wrk.method = "POST"', f"wrk.body = {json.dumps(payload)}"]
        lines += [f'wrk.headers["{k}"] = "{v}"' for k, v in {"Content-Type": "application/json", **headers}.items()]
        script.write("\n".join(lines) + "\n")
    threads = min(2, connections)
    command = [ensure_wrk(), f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script.name, url]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    os.unlink(script.name)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])  # type: ignore[index]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    timeouts = re.search(r"Socket errors:.*timeout (\d+)", output)
    return Result(
        rate,
        _percentile(output, "50%"),
        _percentile(output, "99%"),
        (int(errors[1]) if errors else 0) + (int(timeouts[1]) if timeouts else 0),
    )


def _percentile(output: str, label: str) -> float:
    value, unit = re.search(rf"\s{label}\s+([\d.]+)(us|ms|s)\b", output).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def mlflow_serve(model: Path, workers: int, runs: dict[str, tuple[str, int]], seconds: int) -> dict[str, Result]:
    port = free_port()
    command = [sys.executable, "-m", "mlflow", "models", "serve", "-m", str(model), "--env-manager", "local"]
    command += ["-h", "127.0.0.1", "-p", str(port), "--workers", str(workers)]
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}  # it runs uvicorn
    server = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, env=env
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise SystemExit(f"mlflow models serve exited with code {server.returncode}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/ping").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        url = f"http://127.0.0.1:{port}/invocations"
        return {name: wrk(url, payload, c, seconds, {}) for name, (payload, c) in runs.items()}
    finally:
        os.killpg(server.pid, 15)
        server.wait()


def lakebox_serve(
    client: MLClient, model: Model, code: Path, runs: dict[str, tuple[str, int]], seconds: int, instances: int
) -> dict[str, dict[str, Result]]:
    client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="bench")).result()
    deployments = {
        f"no-code MLflow, compiled forest, {instances} instance(s)": ManagedOnlineDeployment(
            name="compiled", endpoint_name="bench", model=model, instance_count=instances
        ),
        f"no-code MLflow, native scikit-learn, {instances} instance(s)": ManagedOnlineDeployment(
            name="native", endpoint_name="bench", model=model, instance_count=instances, compile_model=False
        ),
        f"custom score.py, {instances} instance(s)": ManagedOnlineDeployment(
            name="script", endpoint_name="bench", model=model, instance_count=instances,
            code_configuration=CodeConfiguration(code=str(code), scoring_script="score.py"),
        ),
    }  # fmt: skip
    for label, deployment in deployments.items():
        created = client.online_deployments.begin_create_or_update(deployment).result(timeout=300)
        print(f"{label}: predicting with {created.predictor}", flush=True)
    url = str(client.online_endpoints.get("bench").scoring_uri)
    key = client.online_endpoints.get_keys("bench").primary_key  # type: ignore[union-attr]
    results = {}
    for label, deployment in deployments.items():
        headers = {"Authorization": f"Bearer {key}", "azureml-model-deployment": deployment.name}
        results[label] = {name: wrk(url, payload, c, seconds, headers) for name, (payload, c) in runs.items()}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration of each run")
    parser.add_argument("--instances", type=int, default=1, help="lakebox worker processes per deployment")
    args = parser.parse_args()
    ensure_wrk()
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        model, frame = train(folder / "model")
        single_ms = in_process_ms(model, frame.iloc[:1])
        runs = {
            "1 row, concurrency 1": (body(frame, 1), 1),
            "1 row, concurrency 32": (body(frame, 1), 32),
            "100 rows, concurrency 32": (body(frame, 100), 32),
        }
        anchors = {
            f"mlflow models serve, {w} worker(s)": mlflow_serve(folder / "model", w, runs, args.seconds) for w in (1, 2)
        }
        os.environ["LAKEBOX_HOME"] = str(folder / "home")
        layout, _ = create_workspace("bench", "bench-rg", "bench-ws")
        code = folder / "scoring"
        code.mkdir()
        (code / "score.py").write_text(textwrap.dedent(SCORE_PY))
        try:
            with MLClient(path=layout.root) as client:
                registered = client.models.create_or_update(
                    Model(path=str(folder / "model"), name="churn-rf", type="mlflow_model")
                )
                ours = lakebox_serve(client, registered, code, runs, args.seconds, args.instances)
        finally:
            stop_server(layout)
    write_table(anchors, ours, single_ms, args)


def write_table(
    anchors: dict[str, dict[str, Result]],
    ours: dict[str, dict[str, Result]],
    single_ms: float,
    args: argparse.Namespace,
) -> None:
    best = {
        run: max((a[run] for a in anchors.values()), key=lambda r: r.requests_per_s)
        for run in next(iter(anchors.values()))
    }
    lines = [
        "# Online serving: lakebox against `mlflow models serve`",
        "",
        f"Seed's RandomForest (100 trees, depth 10, 4 features, 100k rows); wrk, {args.seconds} s per run, one run",
        f"on this machine ({os.cpu_count()} cores). In-process single-row `predict`: {single_ms:.2f} ms.",
        "Ratios are against the best `mlflow models serve` worker count for each row.",
        "",
        "| server | requests | req/s | p50 ms | p99 ms | errors | throughput vs mlflow serve |",
        "|---|---|---|---|---|---|---|",
    ]
    for server, results in {**anchors, **{f"lakebox, {k}": v for k, v in ours.items()}}.items():
        for run, result in results.items():
            ratio = result.requests_per_s / best[run].requests_per_s
            lines.append(
                f"| {server} | {run} | {result.requests_per_s:,.0f} | {result.p50_ms:.2f} | {result.p99_ms:.1f} | "
                f"{result.errors} | {ratio:.1f}x |"
            )
    RESULTS.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
