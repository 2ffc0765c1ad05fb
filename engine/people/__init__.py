"""A tenant administrator's user work and project membership."""
