"""Sweep jobs: trials sampled from a search space, run as command jobs, stopped early by a policy."""
