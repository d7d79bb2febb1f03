"""Synthetic data generators per spec (registered in :data:`kikan_std.testing.generate.GENERATORS`)."""
