"""API routes of signing (mounted under /api/v1/)."""
urlpatterns: list = []
