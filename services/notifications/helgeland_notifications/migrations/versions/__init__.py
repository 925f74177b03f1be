"""Revisions, applied in order by `migrate`."""
