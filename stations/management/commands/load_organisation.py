"""Load the bureau's organisation (divisions, units, default hours, public holidays). Safe to run again."""
import csv

from django.core.management.base import BaseCommand

from stations import services


class Command(BaseCommand):
    help = "Load the city centre, departments, 11 county workstations, 227 township stations and holidays."

    def handle(self, *args, **options):
        with open(services.DATA_DIR / "heze-township-divisions.csv", encoding="utf-8") as handle:
            townships = {row["code"]: (row["name"], row["county_code"]) for row in csv.DictReader(handle)}
        report = services.organisation_load(data=services.read_json(services.DATA_DIR / "organisation.json"),
                                            township_names=townships)
        holidays = services.holidays_load(holidays=services.read_json(services.DATA_DIR / "holidays.json")["holidays"])
        self.stdout.write(f"organisation: {report}; holidays: {holidays}")
