"""Cases for the accessibility scan on the live site: a decided, sealed case with its letter and one waiting on the
reviewer's desk, both for a signed-in resident's finished bookings, made with the services the API calls.

Run as `python -m tests.frontend.a11y_setup PHONE` with the live server's environment (after e2e_setup and after
the resident with that phone has signed in); prints a JSON summary."""
import datetime
import hashlib
import io
import json
import os
import re
import sys

import django


def _scan_png() -> bytes:
    from PIL import Image, ImageDraw

    picture = Image.new("RGB", (480, 300), "white")
    ImageDraw.Draw(picture).rectangle((20, 20, 460, 280), outline="black", width=4)
    buffer = io.BytesIO()
    picture.save(buffer, "PNG")
    return buffer.getvalue()


def _finished_booking(resident, station, item, hours_ago: int):
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from bookings.models import Booking, Material

    start = timezone.now() - datetime.timedelta(hours=hours_ago)
    booking = Booking.objects.create(unit=station, item=item, resident=resident, booked_by=resident, starts_at=start,
                                     ends_at=start + datetime.timedelta(minutes=item.session_minutes),
                                     status="completed")
    content = _scan_png()
    for requirement in item.requirements.filter(mandatory=True):
        Material.objects.create(booking=booking, requirement=requirement, file=ContentFile(content, name="scan.png"),
                                file_type="png", original_name="scan.png", size=len(content),
                                sha256=hashlib.sha256(content).hexdigest(), uploaded_by=resident)
    return booking


def _submitted_case(booking, agent):
    from reviews.models import Case
    from reviews.services import case_create, case_submit

    case = case_create(actor=agent, booking=booking,
                       form_data={"employment_type": "个体工商户", "start_month": "2026-12-01"})
    case_submit(case=case, actor=agent)
    return Case.objects.get(pk=case.pk)  # routed (Celery runs eagerly here)


def _last_code(phone: str) -> str:
    with open(os.environ["FRONTEND_SMS_FILE"], encoding="utf-8") as sms:
        messages = [json.loads(line) for line in sms if line.strip()]
    return next(re.search(r"确认码(\d{6})", m["message"]).group(1) for m in reversed(messages)
                if m["phone"] == phone and "确认码" in m["message"])


def main(phone: str):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from accounts.models import User
    from bookings.models import ServiceItem
    from reviews.services import case_claim, case_decide, case_decision_confirmation
    from stations.models import Unit

    resident = User.objects.get(phone=phone, role=User.Role.RESIDENT)
    station = Unit.objects.get(code="371702001")
    item = ServiceItem.objects.get(code="C01-03")
    agent = User.objects.get(username="e2e-agent")
    reviewer = User.objects.get(username="e2e-reviewer")

    decided = _submitted_case(_finished_booking(resident, station, item, hours_ago=30), agent)
    decided = case_claim(case=decided, reviewer=reviewer)
    case_decision_confirmation(case=decided, reviewer=reviewer, decision="approve")
    decided = case_decide(case=decided, reviewer=reviewer, decision="approve",
                          confirmation_code=_last_code(reviewer.phone))
    waiting = _submitted_case(_finished_booking(resident, station, item, hours_ago=6), agent)
    json.dump({"decided_case": decided.pk, "decided_booking": decided.booking_id, "waiting_case": waiting.pk,
               "waiting_booking": waiting.booking_id, "letter_code": decided.seal_reference}, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
