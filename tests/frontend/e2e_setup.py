"""Prepare the live server's database for browser tests: schema, organisation, catalog, people, seals, hours.

Run as `python -m tests.frontend.e2e_setup` with the live server's environment; prints a JSON summary.
"""
import datetime
import json
import os
import sys

import django


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.core.management import call_command

    devnull = open(os.devnull, "w")
    call_command("migrate", verbosity=0, interactive=False, stdout=devnull)
    # Pages name scripts and styles by their hashed names, as in production: the manifest must be there.
    call_command("collectstatic", verbosity=0, interactive=False, stdout=devnull)
    call_command("load_organisation", verbosity=0, stdout=devnull)
    call_command("load_catalog", verbosity=0, stdout=devnull)

    from accounts.models import User
    from stations.models import OpeningHours, StaffMembership, Unit

    station = Unit.objects.get(code="371702001")
    workstation = Unit.objects.get(code="371702000")
    # Open round the clock, so a slot is free whenever the suite runs.
    OpeningHours.objects.filter(unit=station).delete()
    for weekday in range(7):
        OpeningHours.objects.create(unit=station, weekday=weekday, opens=datetime.time(0, 0),
                                    closes=datetime.time(23, 59))

    def staff(username, unit, role, **rights):
        user, _ = User.objects.get_or_create(username=username, defaults={"role": role, "real_name": username})
        user.set_password("e2e-password-2026")
        user.save()
        StaffMembership.objects.get_or_create(user=user, unit=unit, defaults=rights)
        return user

    staff("e2e-agent", station, User.Role.AGENT, is_agent=True)
    reviewer = staff("e2e-reviewer", workstation, User.Role.REVIEWER, is_reviewer=True, is_seal_keeper=True,
                     is_head=True)
    User.objects.filter(username="e2e-admin").exists() or User.objects.create_user(
        username="e2e-admin", password="e2e-password-2026", role=User.Role.ADMINISTRATOR, real_name="管理员")
    reviewer.phone = "13700000009"
    reviewer.real_name = "县区审核员"
    reviewer.save()
    try:
        # The CA and the one seal the journey needs (the demo command would issue sixteen).
        from signing.services import ca_create, seal_issue, seal_keeper_grant

        ca_create()
        seal_keeper_grant(seal=seal_issue(unit=workstation), user=reviewer)
        sealing = True
    except Exception as exc:  # signing not ready: the journey test reports it
        print(f"signing setup failed: {exc}", file=sys.stderr)
        sealing = False
    # A resident of the station's township whom the agent calls back (the day's calls tests).
    callee, _ = User.objects.get_or_create(username="e2e-callee", defaults={
        "role": User.Role.RESIDENT, "real_name": "王小明", "phone": "13900000088",
        "home_county": station.county, "home_township": station.township})
    from bookings.models import ServiceItem

    item = ServiceItem.objects.get(code="C01-03")
    json.dump({"station": station.pk, "workstation": workstation.pk, "item": item.pk, "sealing": sealing,
               "callee": callee.pk}, sys.stdout)


if __name__ == "__main__":
    main()
