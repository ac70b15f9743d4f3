"""Admin pages: users (being built)."""
