"""Mediator pages: dashboard (being built)."""
