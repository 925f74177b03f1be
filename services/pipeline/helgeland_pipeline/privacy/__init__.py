"""Privacy as the health sector holds it: the access log (Normen) and the person's export."""
