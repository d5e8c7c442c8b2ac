"""A case as its detail shows it, read whole by the selector so the serializer only shapes it: the related rows,
the timeline, the item's checklist, the materials and what is missing, and the call to join."""
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from bookings.models import MaterialRequirement
from calls.models import Call
from core.errors import NotFound
from reviews.models import Case, CaseEvent
from reviews.selectors.access import CASE_DETAIL_RELATED, _only_row, case_visible_q
from reviews.selectors.materials import case_materials, case_missing_mandatory


def _with_detail(cases: QuerySet[Case]) -> QuerySet[Case]:
    """The row with its related rows and the booking's call, the timeline (`detail_events`) and the item's
    checklist (`item.detail_checklist`). No LIMIT: see access._only_row."""
    return (cases.select_related(*CASE_DETAIL_RELATED, "booking__call")
            .prefetch_related(
                Prefetch("events", queryset=CaseEvent.objects.select_related("actor", "unit").order_by("at", "pk"),
                         to_attr="detail_events"),
                Prefetch("item__requirements", queryset=MaterialRequirement.objects.order_by("sort", "pk"),
                         to_attr="detail_checklist"))
            .order_by())


def _case_call(case: Case) -> Call | None:
    """The call to join: the booking's (read with the case), or else the latest call linked to the case."""
    call = getattr(case.booking, "call", None) if case.booking_id else None
    return call or Call.objects.filter(case_id=case.pk).order_by("-created_at").first()


def _with_materials_and_call(case: Case) -> Case:
    """The booking's and the attached materials (`detail_materials`), and the mandatory ones none answers
    (`detail_missing`), over the checklist read with the case; the call to join (`detail_call`)."""
    case.detail_call = _case_call(case)
    case.detail_materials = case_materials(case=case)
    case.detail_missing = case_missing_mandatory(case=case, materials=case.detail_materials,
                                                 requirements=case.item.detail_checklist)
    return case


def case_detail_for_user(*, user, case_id: int) -> Case:
    """The case as its detail shows it, if `user` may see it; NotFound otherwise."""
    case = _only_row(_with_detail(Case.objects.filter(pk=case_id)
                                  .filter(pk__in=Case.objects.filter(case_visible_q(user)).values("pk"))))
    if case is None:
        raise NotFound(_("找不到该案件。"))
    return _with_materials_and_call(case)


def case_detail(*, case_id: int) -> Case:
    """The case as its detail shows it; only after the caller has checked access (a service that just acted)."""
    case = _only_row(_with_detail(Case.objects.filter(pk=case_id)))
    if case is None:
        raise Case.DoesNotExist(f"case {case_id}")
    return _with_materials_and_call(case)
