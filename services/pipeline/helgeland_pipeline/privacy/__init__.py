"""Personal data by design: fields sealed per person (crypto-shredding), erasure, retention of
unhired candidates, the access log (Normen) and the person's export."""
