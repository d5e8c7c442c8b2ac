"""Create demo residents, agents and reviewers and print their logins. Safe to run again."""
from django.core.management.base import BaseCommand

from accounts.demo import demo_data_create
from config.env import env


class Command(BaseCommand):
    help = "Create demo accounts (embedded profile) and print how to log in as each."

    def handle(self, *args, **options):
        password = env.str("DEMO_PASSWORD", default="demo-2026")
        logins = demo_data_create(password=password)
        self.stdout.write(f"Demo accounts (staff password: {password}; residents log in with phone + code "
                          "printed on the console):")
        for login, role, where in logins:
            self.stdout.write(f"  {login:<22} {role:<26} {where}")
