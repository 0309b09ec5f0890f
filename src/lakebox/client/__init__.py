"""The SDK: ``MLClient`` and its operation groups over the REST API."""

from lakebox.client.ml_client import MLClient
from lakebox.client.poller import LROPoller

__all__ = ["LROPoller", "MLClient"]
