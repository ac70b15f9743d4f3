"""Mediator pages: case_list (being built)."""
