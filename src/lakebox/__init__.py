"""lakebox: the Azure Machine Learning + Synapse workflow as open software, on a laptop or a cluster."""

from importlib.metadata import version

from lakebox.client import LROPoller, MLClient
from lakebox.entities import Input, Output, command
from lakebox.errors import (
    AuthenticationError,
    BadRequestError,
    ConflictError,
    JobFailedError,
    LakeboxError,
    NotFoundError,
    PermissionDeniedError,
    TooManyRequestsError,
    UnavailableError,
    ValidationError,
)

__version__ = version("lakebox")

__all__ = [
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
