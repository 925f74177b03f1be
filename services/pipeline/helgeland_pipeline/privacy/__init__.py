"""Personal data by design: fields sealed per person (crypto-shredding), erasure, retention."""
