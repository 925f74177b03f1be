"""The hospital's read model: rounds, candidates with their stage, and each one's timeline."""
