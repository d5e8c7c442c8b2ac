"""Thin page views: they check who may see a page and render its template; the scripts talk to the API."""
from django.contrib.auth import logout
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_POST

from bookings import selectors as booking_selectors
from core.errors import NotFound
from frontend import access
from frontend.page_data import booking_start
from frontend.strings import js_strings
from stations import selectors as station_selectors
from stations.models import Division


def _page(request, template: str, **context):
    context.setdefault("js_strings", js_strings())
    return render(request, f"frontend/{template}", context)


def _safe_next(request, default: str) -> str:
    target = request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
        return target
    return default


def _counties():
    return station_selectors.division_list(level=Division.Level.COUNTY)


@ensure_csrf_cookie
def home(request):
    return _page(request, "home.html", categories=booking_selectors.category_list())


@ensure_csrf_cookie
def login_page(request):
    if request.user.is_authenticated and "next" not in request.GET:
        return redirect(access.home_for(request.user))
    return _page(request, "login.html", next_url=_safe_next(request, ""))


@require_POST
def logout_page(request):
    logout(request)
    return redirect("/")


@ensure_csrf_cookie
def item_page(request, pk: int):
    item = get_object_or_404(booking_selectors.item_active_list(), pk=pk)
    return _page(request, "item.html", item=item, requirements=item.requirements.all())


@ensure_csrf_cookie
@access.resident_only
def book_page(request, item_id: int):
    item = get_object_or_404(booking_selectors.item_active_list(), pk=item_id)
    return _page(request, "book.html", item=item, counties=_counties(), start=booking_start(user=request.user))


@ensure_csrf_cookie
@access.resident_only
def my_bookings(request):
    return _page(request, "my_bookings.html")


@ensure_csrf_cookie
@access.resident_only
def booking_page(request, pk: int):
    return _page(request, "booking.html", booking_id=pk)


@ensure_csrf_cookie
@access.resident_only
def reschedule_page(request, pk: int):
    """The booking flow's time step for an existing booking (same station, same item)."""
    try:
        booking = booking_selectors.booking_get_for_user(user=request.user, booking_id=pk)
    except NotFound:
        raise Http404 from None
    return _page(request, "book.html", item=booking.item, counties=[], reschedule=booking)


@ensure_csrf_cookie
@access.resident_only
def profile_page(request):
    return _page(request, "profile.html", counties=_counties(), next_url=_safe_next(request, "/me/bookings/"))


@ensure_csrf_cookie
@access.signed_in
def call_check(request, call_id):
    return _page(request, "call_check.html", call_id=call_id)


@ensure_csrf_cookie
@access.signed_in
def call_page(request, call_id):
    back = "/me/bookings/" if request.user.is_resident else access.home_for(request.user)
    return _page(request, "call.html", call_id=call_id, back_url=back)


@access.signed_in
def call_link(request, call_id):
    """Residents go through the device check first; staff straight into the room."""
    return redirect(f"/call/{call_id}/check/" if request.user.is_resident else f"/call/{call_id}/")


def _calls_today_context() -> dict:
    """The day's calls section: the server's today (the API counts days in its time zone, not the browser's)."""
    return {"today": timezone.localdate()}


@ensure_csrf_cookie
@access.agent_only
def console(request):
    units = [m.unit for m in station_selectors.memberships_of(user=request.user, agent=True)]
    return _page(request, "console.html", units=units, **_calls_today_context())


@ensure_csrf_cookie
@access.reviewer_only
def desk(request):
    memberships = list(station_selectors.memberships_of(user=request.user, reviewer=True))
    return _page(request, "desk.html", memberships=memberships,
                 seal_keeper=any(m.is_seal_keeper for m in memberships), **_calls_today_context())


@ensure_csrf_cookie
@access.administrator_only
def stats(request):
    return _page(request, "stats.html")
