from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "审核 Reviews"

    def ready(self):
        # Reviewers of a case may read its materials: register the rule with bookings' access check.
        from bookings import selectors as booking_selectors

        register = getattr(booking_selectors, "register_material_read_hook", None)
        if register is not None:
            from reviews.selectors import material_readable_by_case_reviewer

            register(material_readable_by_case_reviewer)
