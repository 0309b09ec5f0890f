"""Job runner figures against the tools a user would otherwise run, side by side in one run.

1. Submit-to-first-log-line latency of `python -c "print('hello')"` on the curated environment,
   against `mlflow run` of the same entry point with `--env-manager local`.
2. Reusing a built environment, and a cold build against a plain `uv venv` + `uv pip install` of
   the same requirements (both from uv's package cache).
3. 20 jobs queued on a 2-slot cluster: all complete, never more than 2 at once.

    .venv/bin/python benchmarks/jobs.py [--trials 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lakebox import MLClient, command
from lakebox.entities import ComputeCluster
from lakebox.environments.builder import ensure_built
from lakebox.environments.spec import EnvironmentSpec
from lakebox.server.process import stop_server
from lakebox.workspace.manager import create_workspace

RESULTS = Path(__file__).parent / "results" / "jobs.md"
REQUIREMENTS = ["scikit-learn==1.9.1", "pandas==2.3.3"]


def first_line_lakebox(client: MLClient, trials: int) -> list[float]:
    times = []
    with open(os.devnull, "w") as devnull:
        for _ in range(trials):
            started = time.perf_counter()
            job = client.jobs.create_or_update(command(command="python -c \"print('hello')\""))
            while "hello" not in client._api.request("GET", f"/api/v1/jobs/{job.name}/logs")["data"]:
                time.sleep(0.005)
            times.append(time.perf_counter() - started)
            client.jobs.stream(job.name, out=devnull)
    return times


def first_line_mlflow_run(root: Path, trials: int) -> list[float]:
    project = root / "project"
    project.mkdir()
    (project / "MLproject").write_text(
        'name: hello\nentry_points:\n  main:\n    command: "python -c \\"print(\'hello\')\\""\n'
    )
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{root / 'mlflow.db'}"}
    times = []
    for _ in range(trials):
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "mlflow", "run", str(project), "--env-manager", "local"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        assert process.stdout is not None
        for line in process.stdout:
            if "hello" in line and "print" not in line:
                times.append(time.perf_counter() - started)
                break
        process.wait()
    return times


def environment_builds(root: Path, trials: int) -> tuple[list[float], list[float], list[float]]:
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or "uv"
    ours, plain, reuse = [], [], []
    for trial in range(trials):
        os.environ["LAKEBOX_HOME"] = str(root / f"home-{trial}")
        started = time.perf_counter()
        ensure_built(EnvironmentSpec(pip=REQUIREMENTS))
        ours.append(time.perf_counter() - started)
        started = time.perf_counter()
        ensure_built(EnvironmentSpec(pip=REQUIREMENTS))
        reuse.append(time.perf_counter() - started)
        venv = root / f"plain-{trial}"
        started = time.perf_counter()
        subprocess.run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True)
        subprocess.run(
            [uv, "pip", "install", "--quiet", "--python", str(venv / "bin/python"), *REQUIREMENTS], check=True
        )
        plain.append(time.perf_counter() - started)
    return ours, plain, reuse


def queued_jobs(client: MLClient, root: Path) -> tuple[int, int, float]:
    client.compute.begin_create_or_update(ComputeCluster(name="bench-two", max_instances=2)).result()
    marks = root / "marks"
    marks.mkdir()
    script = f"date +%s.%N > {marks}/$LAKEBOX_JOB_NAME.s; sleep 0.3; date +%s.%N > {marks}/$LAKEBOX_JOB_NAME.e"
    started = time.perf_counter()
    jobs = [client.jobs.create_or_update(command(command=script, compute="bench-two")) for _ in range(20)]
    with open(os.devnull, "w") as devnull:
        completed = sum(client.jobs.stream(j.name, out=devnull).status == "Completed" for j in jobs)
    wall = time.perf_counter() - started
    spans = [(float((marks / f"{j.name}.s").read_text()), float((marks / f"{j.name}.e").read_text())) for j in jobs]
    most = max(sum(1 for s, e in spans if s <= t < e) for t, _ in spans)
    return completed, most, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        os.environ["LAKEBOX_HOME"] = str(root / "home")
        layout, _ = create_workspace("bench", "bench", "bench-jobs")
        client = MLClient(path=layout.root)
        try:
            ours_first = first_line_lakebox(client, args.trials)
            completed, most, wall = queued_jobs(client, root)
        finally:
            stop_server(layout)
        anchor_first = first_line_mlflow_run(root, min(args.trials, 3))
        ours_build, plain_build, reuse = environment_builds(root, min(args.trials, 3))

    first, anchor = statistics.median(ours_first), statistics.median(anchor_first)
    build, plain = statistics.median(ours_build), statistics.median(plain_build)
    lines = [
        "# Jobs: lakebox against `mlflow run` and plain uv",
        "",
        f"Machine: {os.cpu_count()} cores; run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} "
        f"with `{' '.join(sys.argv)}`; medians.",
        "",
        "| measure | anchor | lakebox | lakebox / anchor | target |",
        "|---|---:|---:|---:|---|",
        f"| submit to first log line (s), anchor `mlflow run --env-manager local` | {anchor:.3f} | {first:.3f} "
        f"| {first / anchor:.3f} | < 0.5 s and ≥ 10x faster |",
        f"| cold environment build (s), anchor `uv venv` + `uv pip install` of {', '.join(REQUIREMENTS)} "
        f"| {plain:.2f} | {build:.2f} | {build / plain:.2f} | ≤ 1.3x |",
        f"| cached environment reuse (s) | | {statistics.median(reuse):.4f} | | < 0.2 s |",
        f"| 20 jobs on a 2-slot cluster: completed / most at once / wall (s) | | {completed} / {most} / {wall:.1f} "
        "| | 20 / 2 |",
    ]
    RESULTS.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
