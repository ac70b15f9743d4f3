"""The web interface, one blueprint package per area."""
