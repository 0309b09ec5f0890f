"""Batch endpoints and the mini-batch scoring driver their jobs run."""
