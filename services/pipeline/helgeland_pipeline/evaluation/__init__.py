"""NSDM's evaluation: funnel, retention (survival analysis) and yearly cycles, as of any date."""
