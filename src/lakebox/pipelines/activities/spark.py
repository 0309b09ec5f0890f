"""SparkJob and SynapseNotebook: a PySpark script, or a notebook's code cells, run as a job whose Spark
sessions go to the Synapse pool the activity names.

The script (a Spark job definition's ``file``, an ``abfss://`` URI or a datastore path, with its
``pyFiles``) or the notebook becomes the job's code; ``lakebox.spark`` sessions inside it find the
pool and ``conf`` as a Spark job's do. A notebook gets ``spark`` and ``mssparkutils`` predefined, as in
Synapse; the activity's ``parameters`` go in a cell after the one tagged ``parameters``, and
``mssparkutils.notebook.exit(value)`` becomes ``output.status.Output.result.exitValue``.
"""

from __future__ import annotations

import json
import re
import secrets
import shlex
import tempfile
from pathlib import Path
from typing import Any

from lakebox.entities import JobCreate
from lakebox.entities.pipeline import Artifact
from lakebox.entities.spark_pool import NOTEBOOK_EXIT_VARIABLE, SPARK_CONF_VARIABLE, SPARK_POOL_VARIABLE
from lakebox.errors import NotFoundError
from lakebox.jobs import code
from lakebox.pipelines.activities.base import ActivityContext, ActivityFailure, activity, required
from lakebox.pipelines.activities.ml import wait_for_job

NOTEBOOK_PRELUDE = (
    "# The names a Synapse notebook has without imports.\n"
    "from lakebox.spark import SparkSession, mssparkutils\n"
    "spark = SparkSession.builder.getOrCreate()\n"
    "sc = spark.sparkContext\n"
)


@activity("SparkJob")
def spark_job(context: ActivityContext, properties: dict[str, Any]) -> Any:
    reference = required(properties, "sparkJob", "SparkJob")
    definition = _artifact(context, "spark_job_definitions", reference, "Spark job definition")
    job = dict(definition.properties.get("jobProperties") or {})
    script = _lake_file(context, str(properties.get("file") or job.get("file") or ""), "file")
    extra = [
        _lake_file(context, str(path), "pyFiles")
        for path in properties.get("pythonCodeReference") or job.get("pyFiles") or []
    ]
    given = properties.get("args")
    args = [str(arg) for arg in (given if isinstance(given, list) else job.get("args") or [])]
    pool = _pool(context, properties.get("targetBigDataPool") or definition.properties.get("targetBigDataPool"))
    conf = {**(job.get("conf") or {}), **(properties.get("conf") or {})}
    files = {script.name: script.read_bytes(), **{path.name: path.read_bytes() for path in extra}}
    command = " ".join(["python", shlex.quote(script.name), *map(shlex.quote, args)])
    name = _run_job(context, files, command, pool, conf)
    return {"jobName": name, "status": "Succeeded", "sparkPool": pool}


@activity("SynapseNotebook")
def synapse_notebook(context: ActivityContext, properties: dict[str, Any]) -> Any:
    reference = required(properties, "notebook", "SynapseNotebook")
    notebook = _artifact(context, "notebooks", reference, "notebook")
    pool = _pool(context, properties.get("sparkPool") or notebook.properties.get("bigDataPool"))
    source = notebook_script(notebook, properties.get("parameters") or {})
    conf = dict(properties.get("conf") or {})
    exit_file = Path(tempfile.mkdtemp(prefix="lakebox-notebook-")) / "exit_value"
    name = _run_job(context, {"notebook.py": source.encode()}, "python notebook.py", pool, conf, exit_file)
    exit_value = exit_file.read_text() if exit_file.is_file() else None
    exit_file.unlink(missing_ok=True)
    exit_file.parent.rmdir()
    return {"jobName": name, "sparkPool": pool, "status": {"Output": {"result": {"exitValue": exit_value}}}}


def notebook_script(notebook: Artifact, parameters: dict[str, Any]) -> str:
    """The notebook's code cells as one script, with the parameters after the ``parameters`` cell."""
    cells = [cell for cell in notebook.properties.get("cells") or [] if cell.get("cell_type") == "code"]
    injected = "".join(f"{name} = {_literal(spec)!r}\n" for name, spec in parameters.items())
    parts, placed = [NOTEBOOK_PRELUDE], False
    for cell in cells:
        text = cell.get("source") or ""
        lines = "".join(text) if isinstance(text, list) else str(text)
        if lines.lstrip().startswith(("%%", "%")):
            raise ActivityFailure(f"notebook {notebook.name}: magic commands ({lines.split()[0]}) are not supported")
        parts.append(lines.rstrip("\n") + "\n")
        if "parameters" in ((cell.get("metadata") or {}).get("tags") or []):
            parts.append("# Injected parameters\n" + injected)
            placed = True
    if injected and not placed:
        parts.insert(1, "# Injected parameters\n" + injected)
    return "\n".join(parts)


def _literal(spec: Any) -> Any:
    """A notebook parameter's value in its type (``{"value": "5", "type": "int"}``)."""
    if not isinstance(spec, dict):
        return spec
    value, kind = spec.get("value"), str(spec.get("type", "string")).lower()
    if not isinstance(value, str) or kind == "string":
        return value
    if kind == "int":
        return int(value)
    if kind == "float":
        return float(value)
    if kind == "bool":
        return value.lower() == "true"
    return value


def _artifact(context: ActivityContext, kind: str, reference: dict[str, Any], noun: str) -> Artifact:
    name = str(reference.get("referenceName", ""))
    try:
        stored: Artifact = getattr(context.services.stores.pipelines, kind).get(name)
    except NotFoundError:
        raise ActivityFailure(f"{noun} {name!r} is not published in this workspace") from None
    return stored


def _pool(context: ActivityContext, reference: Any) -> str:
    name = str((reference or {}).get("referenceName", "")) if isinstance(reference, dict) else str(reference or "")
    if not name:
        raise ActivityFailure(f"{context.activity.get('type')} needs a Spark pool (targetBigDataPool or sparkPool)")
    try:
        return context.services.stores.spark_pools.get(name).name
    except NotFoundError:
        raise ActivityFailure(f"Spark pool {name!r} does not exist; create it with lakebox spark-pool create") from None


def _lake_file(context: ActivityContext, uri: str, field: str) -> Path:
    if not uri:
        raise ActivityFailure(f"SparkJob needs {field}: the PySpark script (abfss:// or azureml://datastores/ URI)")
    path = context.services.lake().resolve(uri).local_path
    if not path.is_file():
        raise ActivityFailure(f"{field} {uri} is not a file")
    return path


def _run_job(
    context: ActivityContext,
    files: dict[str, bytes],
    command: str,
    pool: str,
    conf: dict[str, Any],
    exit_file: Path | None = None,
) -> str:
    with tempfile.TemporaryDirectory() as folder:
        for name, content in files.items():
            (Path(folder) / name).write_bytes(content)
        code_id = code.store(context.services.layout.code_dir, code.pack(Path(folder)))
    variables = {SPARK_POOL_VARIABLE: pool, SPARK_CONF_VARIABLE: json.dumps({k: str(v) for k, v in conf.items()})}
    if exit_file is not None:
        variables[NOTEBOOK_EXIT_VARIABLE] = str(exit_file)
    spec = JobCreate(
        name=f"{re.sub(r'[^A-Za-z0-9_-]', '-', context.name[:40]).strip('-') or 'spark'}-{secrets.token_hex(4)}",
        command=command,
        code_id=code_id,
        environment_variables=variables,
        experiment_name=context.state.pipeline_name,
        display_name=f"{context.state.pipeline_name}/{context.name}",
        tags={"pipeline_run_id": context.state.run_id, "activity": context.name},
    )
    job = context.services.runner().submit(spec, context.services.principal)
    return wait_for_job(context, job.name).name
