"""Read models: projections of the event log, and the runner that keeps them up to date."""
