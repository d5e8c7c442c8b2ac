"""Who sees which case, and the case reads behind every case endpoint."""
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.validators import mask_name
from bookings.models import Material
from calls.models import Call, Participant
from core.errors import NotFound
from reviews.models import Case, CaseStatus
from stations.models import StaffMembership
from stations.selectors import user_unit_ids


def _is_admin(user) -> bool:
    return user.role == User.Role.ADMINISTRATOR or user.is_superuser


def case_visible_q(user) -> Q:
    """Cases a user may see: residents their own; staff the cases routed to (or opened at) their units."""
    if not user.is_authenticated:
        return Q(pk__in=[])
    if user.role == User.Role.RESIDENT:
        # Their own cases, and those of a booking they made for a family member.
        return Q(resident=user) | Q(booking__booked_by=user)
    if _is_admin(user):
        return Q()
    reviewer_units = user_unit_ids(user=user, reviewer=True)
    agent_units = user_unit_ids(user=user, agent=True)
    return (Q(unit_id__in=reviewer_units) | Q(routings__unit_id__in=reviewer_units)
            | Q(escalations__from_unit_id__in=reviewer_units) | Q(opened_unit_id__in=agent_units)
            | Q(assignee=user))


def case_list_for_user(*, user, status: str | None = None, resident_id: int | None = None,
                       undecided: bool = False) -> QuerySet[Case]:
    ids = Case.objects.filter(case_visible_q(user)).values("pk")
    cases = Case.objects.filter(pk__in=ids).select_related("item", "unit", "opened_unit", "assignee", "resident")
    if status:
        cases = cases.filter(status=status)
    if resident_id is not None:
        cases = cases.filter(resident_id=resident_id)
    if undecided:
        cases = cases.exclude(status__in=(CaseStatus.APPROVED, CaseStatus.REJECTED))
    return cases.order_by("-created_at", "-pk")


# What a case's detail shows with it.
CASE_DETAIL_RELATED = ("item__category", "unit", "opened_unit", "assignee", "resident", "booking", "county", "township")


def _only_row(queryset: QuerySet):
    """The one row of a primary-key read, or None. Not .get() or .first(): their LIMIT has PostgreSQL plan the
    ten joins of the detail's select_related for a fraction of the rows as well, several times the planning of the
    plain read (every case API call reads the case so)."""
    rows = list(queryset)
    return rows[0] if rows else None


def case_get_for_user(*, user, case_id: int) -> Case:
    """The case if `user` may see it; NotFound otherwise (others' cases do not exist for them)."""
    case = _only_row(Case.objects.filter(pk=case_id).filter(pk__in=Case.objects.filter(case_visible_q(user))
                                                            .values("pk"))
                     .select_related(*CASE_DETAIL_RELATED).order_by())
    if case is None:
        raise NotFound(_("找不到该案件。"))
    return case


def case_row_for_user(*, user, case_id: int) -> Case:
    """The case's own row (no related rows) if `user` may see it, NotFound otherwise: for an action whose
    service reads what it needs itself (submission)."""
    case = _only_row(Case.objects.filter(pk=case_id)
                     .filter(pk__in=Case.objects.filter(case_visible_q(user)).values("pk")).order_by())
    if case is None:
        raise NotFound(_("找不到该案件。"))
    return case


def is_reviewer_of(*, user, unit_id: int | None) -> bool:
    if unit_id is None:
        return False
    return StaffMembership.objects.filter(user=user, unit_id=unit_id, is_reviewer=True).exists()


def is_agent_of(*, user, unit_id: int) -> bool:
    return StaffMembership.objects.filter(user=user, unit_id=unit_id, is_agent=True).exists()


def case_resident_name(case: Case) -> str:
    """Her name as the case shows it: masked on a walk-in case until she consents."""
    return case.resident.real_name if case.resident_data_open else mask_name(case.resident.real_name)


def in_live_call_together(*, resident_id: int, staff_id: int, unit_id: int) -> bool:
    """Whether the resident and the staff member are both admitted, right now, to a live call of `unit_id`."""
    admitted = Participant.State.ADMITTED
    return (Call.objects.filter(status=Call.Status.ACTIVE, host_unit_id=unit_id)
            .filter(participants__user_id=resident_id, participants__state=admitted)
            .filter(participants__user_id=staff_id, participants__state=admitted).exists())


def material_readable_by_case_reviewer(user, material: Material) -> bool:
    """Hook for bookings: a material is readable by the reviewers (and agents) of a case that holds it."""
    if not user.is_authenticated or user.role == User.Role.RESIDENT:
        return False
    cases = Case.objects.filter(Q(booking_id=material.booking_id) | Q(attached_materials__material=material))
    return cases.filter(case_visible_q(user)).exists()
