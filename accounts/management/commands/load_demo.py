"""Create demo residents, agents and reviewers and print their logins. Safe to run again."""
from django.core.management.base import BaseCommand

from accounts.demo import demo_data_create, demo_walkthrough
from core.env import env


class Command(BaseCommand):
    help = "Create demo accounts (embedded profile) and print how to log in as each."

    def add_arguments(self, parser):
        parser.add_argument("--walkthrough", metavar="BASE_URL",
                            help="only print the demo journey for the site at BASE_URL (make run does, last)")

    def handle(self, *args, **options):
        password = env.str("DEMO_PASSWORD", default="demo-2026")
        if options["walkthrough"]:
            self.stdout.write(demo_walkthrough(base_url=options["walkthrough"].rstrip("/"), password=password))
            return
        logins = demo_data_create(password=password)
        self.stdout.write(f"Demo accounts (staff password: {password}; residents log in with phone + code "
                          "printed on the console):")
        for login, role, where in logins:
            self.stdout.write(f"  {login:<22} {role:<26} {where}")
