from django.apps import AppConfig


class StationsConfig(AppConfig):
    name = "stations"
    verbose_name = "机构 Organisation"
