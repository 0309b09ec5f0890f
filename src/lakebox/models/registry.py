"""The workspace's model registry: Azure ML's model operations over MLflow's registry store.

Versions, descriptions, tags and aliases are MLflow's own, so ``mlflow.MlflowClient`` sees the
same registry. What Azure ML adds is kept as ``lakebox.*`` version tags: the model type, the
properties, the job that produced it and whether it is archived. A version's files are copied
into the workspace's artifact store at registration, under ``models/<name>/<unique>/<folder>``
(the folder or file keeps its original name, as under ``AZUREML_MODEL_DIR``), so the version stays valid
when its source is deleted.
"""

from __future__ import annotations

import re
import shutil
import threading
import uuid
from pathlib import Path

from mlflow.entities.model_registry import ModelVersion, ModelVersionTag
from mlflow.exceptions import MlflowException
from mlflow.store.model_registry.sqlalchemy_store import SqlAlchemyStore as RegistryStore

from lakebox.entities.model import Model, ModelCreate
from lakebox.entities.reference import parse_reference
from lakebox.errors import BadRequestError, NotFoundError, ValidationError
from lakebox.jobs.tracking import JobTracking
from lakebox.lake.datastores import lake_resolver
from lakebox.lake.uris import is_lake_uri
from lakebox.store.stores import Stores
from lakebox.store.types import from_epoch_ms
from lakebox.workspace.layout import WorkspaceLayout
from lakebox.workspace.mlflow_store import ARTIFACT_ROOT

_TAG = "lakebox."
_TYPE, _JOB, _ARCHIVED, _PROPERTY = "lakebox.type", "lakebox.job", "lakebox.archived", "lakebox.property."
_JOB_OUTPUT = re.compile(r"^azureml://jobs/(?P<job>[^/]+)/outputs/(?P<output>[^/]+)/?$")
_RUN_ARTIFACT = re.compile(r"^runs:/(?P<run>[0-9a-f]+)/(?P<path>.+)$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,254}$")


class ModelRegistry:
    def __init__(self, layout: WorkspaceLayout, stores: Stores) -> None:
        self._layout, self._stores = layout, stores
        self._store = RegistryStore(layout.mlflow_backend_uri())
        self._tracking = JobTracking(layout)
        self._lock = threading.Lock()

    def register(self, model: ModelCreate, upload: Path | None, *, folder_name: str | None = None) -> Model:
        """Copy the model's files into the registry and record them as the next version of its name; they keep
        their folder's name unless ``folder_name`` gives another (a candidate laid out as the version it replaces)."""
        if not model.name or not _NAME.match(model.name):
            raise ValidationError(f"a model needs a name of letters, digits, '-', '_' and '.'; got {model.name!r}")
        source, job, run_id = self._source(model, upload)
        if model.type == "mlflow_model" and not (source / "MLmodel").is_file():
            raise ValidationError(f"an mlflow_model needs an MLmodel file; {model.path} has none")
        if model.version is not None and model.version != (following := self._next_version(model.name)):
            raise ValidationError(
                f"model versions are numbered in order by the MLflow registry: the next version of {model.name} "
                f"is {following}, not {model.version} (leave version unset)"
            )
        name = folder_name or (Path(model.path or source.name).name if upload is not None else source.name)
        folder = self._layout.mlflow_artifacts_dir / "models" / model.name / uuid.uuid4().hex / name
        folder.parent.mkdir(parents=True)
        if source.is_dir():
            shutil.copytree(source, folder)
        else:
            shutil.copy2(source, folder)
        tags = [ModelVersionTag(k, v) for k, v in model.tags.items()]
        tags += [ModelVersionTag(_TYPE, model.type)] + [ModelVersionTag(_JOB, job)] * (job is not None)
        tags += [ModelVersionTag(_PROPERTY + k, v) for k, v in model.properties.items()]
        uri = ARTIFACT_ROOT + folder.relative_to(self._layout.mlflow_artifacts_dir).as_posix()
        with self._lock:
            self._ensure_registered(model.name)
            version = self._store.create_model_version(
                model.name, uri, run_id=run_id, tags=tags, description=model.description
            )
        return _to_model(version)

    def get(self, name: str, version: str | None = None, label: str | None = None) -> Model:
        """A version; the newest unarchived one when neither ``version`` nor a label is given."""
        if version is not None:
            return _to_model(self._version(name, version))
        if label not in (None, "latest"):
            try:
                return _to_model(self._store.get_model_version_by_alias(name, label))
            except MlflowException as exc:
                raise NotFoundError(f"model {name} has no version with alias {label!r}") from exc
        live = [m for m in self.list(name) if not m.archived]
        if not live:
            raise NotFoundError(f"model {name!r} has no versions (or all are archived)")
        return live[0]

    def list(self, name: str | None = None, *, include_archived: bool = True) -> list[Model]:
        """Every version of ``name``, newest first; without a name, the newest version of each model."""
        if name is None:
            names = [m.name for m in self._store.search_registered_models(max_results=1000)]
            newest = [self.list(n, include_archived=include_archived)[:1] for n in names]
            return [versions[0] for versions in newest if versions]
        found = self._store.search_model_versions(f"name = '{_quote(name)}'")
        models = sorted((_to_model(v) for v in found), key=lambda m: int(m.version or 0), reverse=True)
        return [m for m in models if include_archived or not m.archived]

    def set_archived(self, name: str, version: str | None, archived: bool) -> Model:
        """Archive a version (or every version); an archived version is hidden from ``latest``."""
        versions = [self._version(name, version)] if version else self._store.search_model_versions(
            f"name = '{_quote(name)}'"
        )  # fmt: skip
        if not versions:
            raise NotFoundError(f"model {name!r} not found")
        for found in versions:
            self._store.set_model_version_tag(name, found.version, ModelVersionTag(_ARCHIVED, str(archived).lower()))
        return _to_model(self._version(name, versions[0].version))

    def local_path(self, model: Model) -> Path:
        """The folder the registry keeps the version's files in."""
        assert model.path is not None
        return self._layout.mlflow_artifacts_dir / model.path.removeprefix(ARTIFACT_ROOT)

    def resolve(self, reference: str) -> Model:
        """``azureml:name:version``, ``name:version``, ``azureml:name@latest`` or ``name`` to its version."""
        return self.get(*parse_reference(reference))

    def deployed(self, model: str | Model | None) -> Model:
        """The registered version a deployment names (a reference, or a registered ``Model``)."""
        if model is None:
            raise BadRequestError("a deployment needs a model (a registered model, azureml:<name>:<version>)")
        if isinstance(model, Model):
            if model.name is None:
                raise BadRequestError("register the model first (ml_client.models.create_or_update)")
            return self.get(model.name, model.version)
        return self.resolve(model)

    def source_files(self, path: str) -> Path:
        """The files a model path names (a job's output, a run's artifact or a datastore URI), unregistered."""
        return self._source(ModelCreate(path=path), None)[0]

    def _source(self, model: ModelCreate, upload: Path | None) -> tuple[Path, str | None, str | None]:
        """The files to register, and the job and run that produced them when known."""
        path = model.path or ""
        if upload is not None:  # a folder's contents, or one file
            entries = list(upload.iterdir())
            return (entries[0] if len(entries) == 1 and entries[0].is_file() else upload), None, None
        if match := _JOB_OUTPUT.match(path):
            job = self._stores.jobs.get(match["job"])
            if match["output"] not in job.outputs:
                raise NotFoundError(f"job {job.name} has no output {match['output']!r}")
            return _existing(Path(job.outputs[match["output"]].local_path), path), job.name, job.mlflow_run_id
        if match := _RUN_ARTIFACT.match(path):
            try:
                found = self._tracking.run_artifact(match["run"], match["path"])
            except MlflowException as exc:
                raise NotFoundError(f"run {match['run']} not found") from exc
            if found is None:
                raise NotFoundError(f"run {match['run']} has no artifact or logged model {match['path']!r}")
            return found, self._tracking.job_of(match["run"]), match["run"]
        if is_lake_uri(path):
            return _existing(lake_resolver(self._stores, self._layout).resolve(path).local_path, path), None, None
        raise ValidationError(
            f"model path {path!r}: give a local folder or file, azureml://jobs/<job>/outputs/<name>, "
            "runs:/<run_id>/<path> or azureml://datastores/<store>/paths/<path>"
        )

    def _ensure_registered(self, name: str) -> None:
        try:
            self._store.get_registered_model(name)
        except MlflowException:
            self._store.create_registered_model(name)

    def _next_version(self, name: str) -> str:
        versions = self._store.search_model_versions(f"name = '{_quote(name)}'")
        return str(max((int(v.version) for v in versions), default=0) + 1)

    def _version(self, name: str, version: str) -> ModelVersion:
        try:
            found: ModelVersion = self._store.get_model_version(name, version)
        except MlflowException as exc:
            raise NotFoundError(f"model {name} version {version} not found") from exc
        return found


def _to_model(version: ModelVersion) -> Model:
    tags = dict(version.tags)
    return Model(
        name=version.name,
        version=str(version.version),
        path=version.source,
        type=tags.get(_TYPE, "custom_model"),  # type: ignore[arg-type]
        description=version.description or None,
        tags={k: v for k, v in tags.items() if not k.startswith(_TAG)},
        properties={k.removeprefix(_PROPERTY): v for k, v in tags.items() if k.startswith(_PROPERTY)},
        job_name=tags.get(_JOB),
        run_id=version.run_id or None,
        archived=tags.get(_ARCHIVED) == "true",
        aliases=list(version.aliases or []),
        created_at=from_epoch_ms(version.creation_timestamp),
    )


def _existing(path: Path, described: str) -> Path:
    if not path.exists():
        raise NotFoundError(f"model path {described} does not exist")
    return path


def _quote(value: str) -> str:
    return value.replace("'", "\\'")
