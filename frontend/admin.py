"""Admin for frontend."""
