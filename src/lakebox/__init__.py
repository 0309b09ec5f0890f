"""lakebox."""
