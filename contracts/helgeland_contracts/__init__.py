"""Helgelandslegen's public contracts: API payloads and event schemas, versioned."""
