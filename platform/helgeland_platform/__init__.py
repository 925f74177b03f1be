"""Infrastructure both services share: engines, the UTC column type, worker leadership, logs."""
