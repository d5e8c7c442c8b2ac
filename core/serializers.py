"""What the apps' query-parameter serializers share."""
from rest_framework import serializers


class QueryIn(serializers.Serializer):
    """Query parameters: a blank one (`?date=`, as a GET form sends an empty field) counts as not given."""

    def to_internal_value(self, data):
        return super().to_internal_value({name: value for name, value in data.items() if value != ""})
