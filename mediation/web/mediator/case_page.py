"""Mediator pages: case_page (being built)."""
