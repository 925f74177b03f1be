"""Helgelandslegen recruitment pipeline: event-sourced LIS1 → LIS3 journey."""
