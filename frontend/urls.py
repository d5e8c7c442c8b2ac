"""Page routes."""
from django.urls import path

from frontend import service_worker, views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_page, name="login"),
    path("logout/", views.logout_page, name="logout"),
    path("items/<int:pk>/", views.item_page, name="item"),
    path("book/<int:item_id>/", views.book_page, name="book"),
    path("me/bookings/", views.my_bookings, name="my-bookings"),
    path("me/bookings/<int:pk>/", views.booking_page, name="booking"),
    path("me/bookings/<int:pk>/reschedule/", views.reschedule_page, name="reschedule"),
    path("me/profile/", views.profile_page, name="profile"),
    path("call/<uuid:call_id>/check/", views.call_check, name="call-check"),
    path("call/<uuid:call_id>/", views.call_page, name="call"),
    # The link in SMS and in-app notices of a ringing call.
    path("calls/<uuid:call_id>/", views.call_link, name="call-link"),
    path("console/", views.console, name="console"),
    path("desk/", views.desk, name="desk"),
    path("stats/", views.stats, name="stats"),
    # At the root: a service worker controls only the pages under its own address.
    path("sw.js", service_worker.worker, name="service-worker"),
    path("offline/", service_worker.offline, name="offline"),
]
