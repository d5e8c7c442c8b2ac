"""The public verification page, mounted at /verify/."""
from django.urls import path

from signing import views

urlpatterns = [path("", views.verify_page, name="verify")]
