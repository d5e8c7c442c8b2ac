"""Output shapes of the organisation directory."""
from rest_framework import serializers

from stations.models import Division, Unit


class UnitOut(serializers.ModelSerializer):
    county = serializers.SlugRelatedField(slug_field="code", read_only=True)
    county_name = serializers.CharField(source="county.name", default=None)
    township = serializers.SlugRelatedField(slug_field="code", read_only=True)
    township_name = serializers.CharField(source="township.name", default=None)
    parent_id = serializers.IntegerField(allow_null=True)
    distance_km = serializers.FloatField(required=False, read_only=True)

    class Meta:
        model = Unit
        fields = ["id", "code", "kind", "name", "name_en", "parent_id", "county", "county_name", "township",
                  "township_name", "address", "latitude", "longitude", "phone", "video_lines", "is_demo",
                  "location_approximate", "distance_km"]


class DivisionOut(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Division
        fields = ["code", "name", "level", "parent"]
