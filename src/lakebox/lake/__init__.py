"""The lake: datastores and the URIs that name places in them, Delta tables, and the SQL warehouse."""
