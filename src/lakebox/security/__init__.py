"""Identities, tokens, roles and scopes."""
