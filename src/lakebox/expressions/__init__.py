"""The ADF/Synapse expression language and its functions, shared by pipelines and triggers."""
