"""Where a job's inputs are and where its outputs go.

Inputs may be local paths, lake URIs (``azureml://datastores/<store>/paths/<path>``,
``abfss://...``), data assets (``azureml:<name>:<version>``, ``azureml:<name>@latest``) or
``azureml://jobs/<job>/outputs/<name>``. A Delta table input is pinned to
its version at submission and laid out for the job as plain Parquet files of that version.
Outputs are allocated as Azure ML does, on the default datastore at ``azureml/<job>/<output>/``.
"""

from __future__ import annotations

import re
from pathlib import Path

from lakebox.entities import Input, JobOutput, Output
from lakebox.entities.datastore import DEFAULT_DATASTORE
from lakebox.errors import BadRequestError, NotFoundError, ValidationError
from lakebox.lake.uris import LakeResolver, is_lake_uri
from lakebox.store.stores import Stores

_DATA_ASSET = re.compile(r"^azureml:(?!//)(?P<name>[^:@/]+)(?::(?P<version>[^:@/]+)|@(?P<label>latest))?$")
_JOB_OUTPUT_URI = re.compile(r"^azureml://jobs/(?P<job>[^/]+)/outputs/(?P<output>[^/]+)/?$")


def resolve_workspace_data(lake: LakeResolver, stores: Stores, name: str, path: str) -> Path:
    """The local path of data the server reads itself: only the workspace's own (a datastore URI, a data asset
    or a job's output), never a path on the server's disk."""
    if not path.startswith("azureml:"):
        raise BadRequestError(
            f"{name} must be a datastore URI (azureml://datastores/...), a data asset (azureml:<name>:<version>) "
            f"or a job output (azureml://jobs/<job>/outputs/<name>); got {path!r}"
        )
    return resolve_input(lake, stores, name, Input(path=path))


def resolve_input(lake: LakeResolver, stores: Stores, name: str, value: Input) -> Path:
    """The local path behind an input; a path that does not exist is an error naming the input."""
    if match := _DATA_ASSET.match(value.path):
        asset = stores.data.get(match["name"], None if match["label"] == "latest" else match["version"])
        return resolve_input(lake, stores, name, value.model_copy(update={"path": asset.path}))
    if is_lake_uri(value.path):
        path = lake.resolve(value.path).local_path
    elif match := _JOB_OUTPUT_URI.match(value.path):
        outputs = stores.jobs.get(match["job"]).outputs
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


def allocate_output(lake: LakeResolver, job: str, name: str, output: Output) -> JobOutput:
    if output.path is not None:
        if not is_lake_uri(output.path):
            raise ValidationError(f"output {name}: path must be azureml://datastores/<store>/paths/<path> or abfss://")
        location = lake.resolve(output.path)
    else:
        location = lake.resolve(f"azureml://datastores/{DEFAULT_DATASTORE}/paths/azureml/{job}/{name}/")
    folder = location.local_path
    folder.mkdir(parents=True, exist_ok=True)
    local = folder / name if output.type == "uri_file" else folder
    return JobOutput(type=output.type, path=output.path or location.uri, local_path=str(local))
