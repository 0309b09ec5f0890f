"""The ``lakebox`` command line: one module per resource group, every call through the SDK."""
