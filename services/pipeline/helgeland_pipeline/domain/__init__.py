"""The domain: plain Python aggregates and their events. No framework imports here."""
