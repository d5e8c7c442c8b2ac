from django.apps import AppConfig


class BookingsConfig(AppConfig):
    name = "bookings"
    verbose_name = "预约 Bookings"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from bookings.models import ServiceItem
        from bookings.selectors import slot_basis_invalidate
        from stations.models import Closure, OpeningHours, Unit

        # Slot search caches hours, closures and item lengths; any change invalidates them.
        for model in (Unit, OpeningHours, Closure, ServiceItem):
            post_save.connect(slot_basis_invalidate, sender=model, dispatch_uid=f"slot-basis-{model.__name__}-save")
            post_delete.connect(slot_basis_invalidate, sender=model,
                                dispatch_uid=f"slot-basis-{model.__name__}-delete")
