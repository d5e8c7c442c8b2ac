"""API routes of calls (mounted under /api/v1/)."""
urlpatterns: list = []
