"""The HTTP API: thin adapters between HTTP and the application or read models."""
