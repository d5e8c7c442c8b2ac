"""Page routes."""
urlpatterns: list = []
