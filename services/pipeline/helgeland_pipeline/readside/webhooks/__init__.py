"""Webhook subscriptions as their owners list them."""
