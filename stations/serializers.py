"""Output shapes of the organisation directory."""
from rest_framework import serializers

from stations.models import Division, Unit


class UnitOut(serializers.ModelSerializer):
    county = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    county_name = serializers.CharField(source="county.name", default=None, allow_null=True)
    township = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    township_name = serializers.CharField(source="township.name", default=None, allow_null=True)
    parent_id = serializers.IntegerField(allow_null=True)
    # Null unless the list was asked ?near=: always present, so the schema can call it required.
    distance_km = serializers.FloatField(read_only=True, allow_null=True, default=None)

    class Meta:
        model = Unit
        fields = ["id", "code", "kind", "name", "name_en", "parent_id", "county", "county_name", "township",
                  "township_name", "address", "latitude", "longitude", "phone", "video_lines", "is_demo",
                  "location_approximate", "distance_km"]


class DivisionOut(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Division
        fields = ["code", "name", "level", "parent"]
