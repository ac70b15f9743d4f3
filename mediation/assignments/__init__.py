"""Volunteer lawyers by zone: law firms, lawyer profiles, legal-help assignments, the pool."""
