"""API routes of reviews (mounted under /api/v1/)."""
urlpatterns: list = []
