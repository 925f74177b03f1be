"""Helgelandslegen notifications: follows the pipeline's log, sends e-mail and signed webhooks."""
