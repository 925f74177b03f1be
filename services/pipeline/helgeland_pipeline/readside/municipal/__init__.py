"""Each municipality's own doctors: recruited, employed now, moved on or left."""
