"""Job and deployment environments: specs from conda files or requirements, built with uv, cached by hash."""
