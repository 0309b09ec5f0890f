"""Where a job's inputs are and where its outputs go.

Inputs may be local paths, ``azureml://datastores/<store>/paths/<path>`` or
``azureml://jobs/<job>/outputs/<name>``. Outputs are allocated as Azure ML does, on the default
datastore at ``azureml/<job>/<output>/``.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from lakebox.entities import Input, JobOutput, Output
from lakebox.errors import NotFoundError, ValidationError
from lakebox.store.jobs import JobStore
from lakebox.workspace.layout import DEFAULT_DATASTORE, WorkspaceLayout

_DATASTORE_URI = re.compile(r"^azureml://datastores/(?P<store>[^/]+)/paths/(?P<path>.*)$")
_JOB_OUTPUT_URI = re.compile(r"^azureml://jobs/(?P<job>[^/]+)/outputs/(?P<output>[^/]+)/?$")


def datastore_path(layout: WorkspaceLayout, store: str, path: str) -> Path:
    if store != DEFAULT_DATASTORE:
        raise NotFoundError(f"datastore {store!r} not found (this workspace has {DEFAULT_DATASTORE})")
    root = layout.default_datastore_dir.resolve()
    resolved = (root / path).resolve()
    if resolved != root and root not in resolved.parents:
        raise ValidationError(f"path {path!r} leaves datastore {store}")
    return resolved


def resolve_input(layout: WorkspaceLayout, jobs: JobStore, name: str, value: Input) -> Path:
    """The local path behind an input; a path that does not exist is an error naming the input."""
    if match := _DATASTORE_URI.match(value.path):
        path = datastore_path(layout, match["store"], match["path"])
    elif match := _JOB_OUTPUT_URI.match(value.path):
        outputs = jobs.get(match["job"]).outputs
        if match["output"] not in outputs:
            raise NotFoundError(f"job {match['job']} has no output {match['output']!r}")
        path = Path(outputs[match["output"]].local_path)
    elif value.path.startswith("azureml:"):
        raise ValidationError(f"input {name}: {value.path} is not a datastore or job-output URI lakebox knows")
    else:
        path = Path(value.path).expanduser()
    if not path.exists():
        raise NotFoundError(f"input {name}: {value.path} does not exist")
    if value.type == "uri_file" and not path.is_file():
        raise ValidationError(f"input {name} is a uri_file but {value.path} is not a file")
    return path


def stage_input(path: Path, mode: str, job_dir: Path, name: str) -> Path:
    """``ro_mount``: the path itself; ``download``: a private copy for the job."""
    if mode != "download":
        return path
    target = job_dir / "inputs" / name / path.name
    target.parent.mkdir(parents=True, exist_ok=True)
    if path.is_dir():
        shutil.copytree(path, target)
    else:
        shutil.copy2(path, target)
    return target


def allocate_output(layout: WorkspaceLayout, job: str, name: str, output: Output) -> JobOutput:
    if output.path is not None:
        match = _DATASTORE_URI.match(output.path)
        if match is None:
            raise ValidationError(f"output {name}: path must be azureml://datastores/<store>/paths/<path>")
        folder, uri = datastore_path(layout, match["store"], match["path"]), output.path
    else:
        relative = f"azureml/{job}/{name}/"
        folder, uri = (
            datastore_path(layout, DEFAULT_DATASTORE, relative),
            f"azureml://datastores/{DEFAULT_DATASTORE}/paths/{relative}",
        )
    folder.mkdir(parents=True, exist_ok=True)
    local = folder / name if output.type == "uri_file" else folder
    return JobOutput(type=output.type, path=uri, local_path=str(local))
