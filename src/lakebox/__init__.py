"""lakebox: the Azure Machine Learning + Synapse workflow as open software, on a laptop or a cluster."""

from importlib.metadata import version

from lakebox.client import LROPoller, MLClient
from lakebox.errors import (
    AuthenticationError,
    BadRequestError,
    ConflictError,
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
    "LROPoller",
    "LakeboxError",
    "MLClient",
    "NotFoundError",
    "PermissionDeniedError",
    "TooManyRequestsError",
    "UnavailableError",
    "ValidationError",
    "__version__",
]
