"""Mediator pages: intake (being built)."""
