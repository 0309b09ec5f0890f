"""Compute targets: the size table, and (from the jobs issue on) the backends that run jobs on them."""
