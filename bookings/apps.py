from django.apps import AppConfig


class BookingsConfig(AppConfig):
    name = "bookings"
    verbose_name = "预约 Bookings"

    def ready(self):
        from django.db import transaction
        from django.db.models.signals import post_delete, post_save

        from bookings.models import ServiceItem, SlotSeat
        from bookings.selectors import seats_changed, slot_basis_invalidate
        from stations.models import Closure, OpeningHours, Unit

        # Slot search caches hours, closures and item lengths; any change invalidates them.
        for model in (Unit, OpeningHours, Closure, ServiceItem):
            post_save.connect(slot_basis_invalidate, sender=model, dispatch_uid=f"slot-basis-{model.__name__}-save")
            post_delete.connect(slot_basis_invalidate, sender=model,
                                dispatch_uid=f"slot-basis-{model.__name__}-delete")

        def on_seat_change(sender, instance, **kwargs):
            # Now, so no reader keeps the old answer, and after the commit, so an answer computed
            # from the not-yet-committed state in between is dropped too.
            seats_changed(instance.unit_id)
            transaction.on_commit(lambda: seats_changed(instance.unit_id))

        post_save.connect(on_seat_change, sender=SlotSeat, weak=False, dispatch_uid="seats-changed-save")
        post_delete.connect(on_seat_change, sender=SlotSeat, weak=False, dispatch_uid="seats-changed-delete")
