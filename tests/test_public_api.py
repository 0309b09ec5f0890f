"""The public names seed code imports stay where they are."""

from __future__ import annotations

import subprocess
import sys

import lakebox
import lakebox.identity


def test_top_level_names_are_pinned() -> None:
    assert sorted(lakebox.__all__) == [
        "AuthenticationError",
        "BadRequestError",
        "ConflictError",
        "Input",
        "JobFailedError",
        "LROPoller",
        "LakeboxError",
        "MLClient",
        "NotFoundError",
        "Output",
        "PermissionDeniedError",
        "TooManyRequestsError",
        "UnavailableError",
        "ValidationError",
        "__version__",
        "command",
    ]


def test_identity_module_matches_azure_identity_names() -> None:
    for name in ("DefaultAzureCredential", "ManagedIdentityCredential", "EnvironmentCredential", "AccessToken"):
        assert hasattr(lakebox.identity, name)


def test_error_classes_share_one_root_and_round_trip() -> None:
    from lakebox.errors import ERROR_CLASSES, error_from_response

    for code, cls in ERROR_CLASSES.items():
        assert issubclass(cls, lakebox.LakeboxError)
        rebuilt = error_from_response(cls.status_code, cls("boom", details={"k": 1}).to_dict())
        assert (type(rebuilt), rebuilt.message, rebuilt.details, rebuilt.code) == (cls, "boom", {"k": 1}, code)
    assert type(error_from_response(404, "<html>not json</html>")) is lakebox.NotFoundError
    assert type(error_from_response(418, None)) is lakebox.BadRequestError


def test_the_client_and_the_cli_start_without_loading_mlflow_or_the_data_libraries() -> None:
    """Only the server, jobs and workers need MLflow (1 s to import) and SQLAlchemy; pandas, pyarrow and
    DuckDB (0.4 s) wait for a call that moves data. ``lakebox --help`` takes about 0.5 s."""
    heavy = ("mlflow", "sklearn", "pandas", "pyarrow", "duckdb", "sqlalchemy")
    check = (
        "import sys, lakebox, lakebox.cli.main, lakebox.workspace; "
        "from lakebox import MLClient; "
        f"print(sorted(m for m in {heavy!r} if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"
