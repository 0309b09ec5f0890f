"""The Synapse/ADF pipeline engine: artifacts, expressions, activities and durable runs."""
