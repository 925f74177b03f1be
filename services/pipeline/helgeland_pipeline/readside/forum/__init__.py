"""The municipal side's read model: shared candidates, invitations and LIS3 offers."""
