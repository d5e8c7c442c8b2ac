"""Input and output shapes of the organisation directory."""
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from core.serializers import QueryIn
from stations.models import Division, Unit


class UnitQueryIn(QueryIn):
    kind = serializers.ChoiceField(choices=Unit.Kind.choices, required=False,
                                   error_messages={"invalid_choice": gettext_lazy("未知的机构类型：{input}")})
    county = serializers.CharField(required=False, max_length=12, help_text="county division code, e.g. 371702")
    near = serializers.CharField(required=False, max_length=60, help_text="lat,lng: nearest first")

    def validate_near(self, raw: str) -> tuple[float, float]:
        try:
            lat_text, lng_text = raw.split(",")
            lat, lng = float(lat_text), float(lng_text)
        except ValueError:
            raise serializers.ValidationError(_("near 参数格式应为 纬度,经度，例如 35.23,115.47。")) from None
        if not (-90 <= lat <= 90 and -180 <= lng <= 180):
            raise serializers.ValidationError(_("经纬度超出范围。"))
        return lat, lng


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
