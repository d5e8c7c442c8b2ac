"""Load the 17 categories and 37 service items with their materials checklists. Safe to run again."""
from pathlib import Path

from django.apps import apps
from django.core.management.base import BaseCommand

from bookings import services
from stations.services import DATA_DIR as ORG_DIR
from stations.services import read_json


class Command(BaseCommand):
    help = "Load the service catalog from bookings/data/catalog.json."

    def handle(self, *args, **options):
        catalog = read_json(Path(apps.get_app_config("bookings").path) / "data" / "catalog.json")
        departments = read_json(ORG_DIR / "organisation.json")["departments"]
        owner = {code: dept["code"] for dept in departments for code in dept["categories"]}
        report = services.catalog_load(data=catalog, department_of_category=owner)
        self.stdout.write(f"catalog: {report}")
