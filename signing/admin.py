"""Admin for signing."""
