"""Admin pages: places (being built)."""
