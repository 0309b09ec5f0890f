"""Server start time, idle memory and MLflow-call overhead: lakebox vs a plain `mlflow server`.

The anchor is what a user would otherwise run for tracking: `mlflow server` on a SQLite store with
one worker. Both run on this machine in one go; the table reports each figure and the ratio
lakebox / mlflow, since absolute times on a shared 2-core machine are noisy.

    .venv/bin/python benchmarks/server_baseline.py [--starts 3] [--requests 300]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import psutil

RESULTS = Path(__file__).parent / "results" / "server_baseline.md"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.02)
    raise RuntimeError(f"{url} did not become healthy")


def tree_rss_mib(pid: int) -> float:
    process = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [process, *process.children(recursive=True)]) / 2**20


def latency_ms(call: Callable[[], object], count: int) -> tuple[float, float]:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


class Lakebox:
    name = "lakebox"

    def __init__(self, root: Path) -> None:
        os.environ["LAKEBOX_HOME"] = str(root / "home")
        from lakebox.workspace.manager import create_workspace

        self.layout, _ = create_workspace("bench", "bench", "bench-ws")
        self.token = self.layout.owner_token()
        self.headers = {"Authorization": f"Bearer {self.token}"}

    def start(self) -> tuple[float, int, str]:
        from lakebox.server.process import start_server

        started = time.perf_counter()
        record, _ = start_server(self.layout)
        return time.perf_counter() - started, record.pid, record.url + "/mlflow"

    def stop(self) -> None:
        from lakebox.server.process import stop_server

        stop_server(self.layout)


class MlflowServer:
    name = "mlflow server"

    def __init__(self, root: Path) -> None:
        self.root = root / "mlflow"
        self.root.mkdir()
        self.headers: dict[str, str] = {}
        self.token = None
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> tuple[float, int, str]:
        port = free_port()
        started = time.perf_counter()
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "mlflow", "server",
                "--backend-store-uri", f"sqlite:///{self.root / 'mlflow.db'}",
                "--artifacts-destination", str(self.root / "artifacts"),
                "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url + "/health")
        return time.perf_counter() - started, self.process.pid, url

    def stop(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, 15)
        self.process.wait(30)


def measure(target: Lakebox | MlflowServer, starts: int, requests: int) -> dict[str, float]:
    start_times = []
    for _ in range(starts):
        elapsed, pid, tracking_uri = target.start()
        start_times.append(elapsed)
        target.stop()
    _, pid, tracking_uri = target.start()
    time.sleep(3)
    idle_rss = tree_rss_mib(pid)
    with httpx.Client(headers=target.headers) as http:
        get_p50, get_p95 = latency_ms(
            lambda: http.get(f"{tracking_uri}/api/2.0/mlflow/experiments/get", params={"experiment_id": "0"}),
            requests,
        )
    if target.token:
        os.environ["MLFLOW_TRACKING_TOKEN"] = target.token
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri)
    run_id = client.create_run("0").info.run_id
    step = iter(range(10**9))
    log_p50, log_p95 = latency_ms(lambda: client.log_metric(run_id, "loss", 0.5, step=next(step)), requests)
    os.environ.pop("MLFLOW_TRACKING_TOKEN", None)
    target.stop()
    return {
        "start to healthy (s, median)": statistics.median(start_times),
        "idle memory (MiB RSS, process tree)": idle_rss,
        "MLflow GET experiment p50 (ms)": get_p50,
        "MLflow GET experiment p95 (ms)": get_p95,
        "MLflow log_metric p50 (ms)": log_p50,
        "MLflow log_metric p95 (ms)": log_p95,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=3)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        anchor = measure(MlflowServer(root), args.starts, args.requests)
        ours = measure(Lakebox(root), args.starts, args.requests)
    lines = [
        "# Server baseline: lakebox vs `mlflow server`",
        "",
        f"Machine: {os.cpu_count()} cores; {args.starts} starts and {args.requests} requests per figure; "
        f"run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} with `{' '.join(sys.argv)}`.",
        "lakebox adds bearer-token auth and a role check (SQLite lookups per call), audit of state changes, "
        "and its own API in the same process; `mlflow server` runs with no auth.",
        "",
        "| measure | mlflow server | lakebox | lakebox / mlflow |",
        "|---|---:|---:|---:|",
    ]
    for key in anchor:
        lines.append(f"| {key} | {anchor[key]:.2f} | {ours[key]:.2f} | {ours[key] / anchor[key]:.2f} |")
    RESULTS.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
