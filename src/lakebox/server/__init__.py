"""The workspace's control-plane server: REST API, auth, audit, and MLflow tracking behind one port."""
