"""The evaluators' read model: one row per fact that counts, with both of its times."""
