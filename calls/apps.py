from django.apps import AppConfig


class CallsConfig(AppConfig):
    name = "calls"
    verbose_name = "视频 Calls"

    def ready(self):
        from django.db.models.signals import post_save

        from bookings.models import Booking
        from calls.receivers import booking_saved

        # A booking's call is made by calls when the booking is inserted (bookings never imports calls).
        post_save.connect(booking_saved, sender=Booking, dispatch_uid="calls-booking-call")
