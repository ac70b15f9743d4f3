"""The case engine for labour-dispute mediation."""
