"""Secrets: encryption at rest, the master key, and redaction of secret values from logs."""
