"""A case's materials: the booking's and the attached ones, what is missing, what was asked for."""
import datetime

from django.db.models import Q
from django.utils.translation import gettext as _

from bookings import selectors as booking_selectors
from bookings.models import Material, MaterialRequirement
from core.errors import NotFound
from reviews.models import Case


def _case_materials_q(case: Case) -> Q:
    where = Q(case_links__case=case)
    if case.booking_id:
        where |= Q(booking_id=case.booking_id)
    return where


def material_to_attach(*, material_id: int) -> Material:
    """A material a case may be given, with its booking and requirement (case_material_attach checks whose)."""
    material = Material.objects.select_related("booking", "requirement").filter(pk=material_id).first()
    if material is None:
        raise NotFound(_("找不到该材料。"))
    return material


def case_materials(*, case: Case) -> list[Material]:
    """The booking's materials plus those attached to the case, oldest first."""
    return list(Material.objects.filter(_case_materials_q(case)).distinct().select_related("requirement")
                .order_by("uploaded_at", "pk"))


def case_missing_mandatory(*, case: Case, materials: list[Material] | None = None,
                           requirements: list[MaterialRequirement] | None = None) -> list[MaterialRequirement]:
    """The item's mandatory materials that none of the case's materials answers: bookings' rule
    (missing_mandatory), over what the caller has read already or reads here."""
    materials = case_materials(case=case) if materials is None else materials
    requirements = case.item.requirements.all() if requirements is None else requirements
    return booking_selectors.missing_mandatory(requirements=requirements, materials=materials)


def case_missing_requested(*, case: Case, since: datetime.datetime) -> list[MaterialRequirement]:
    """Materials the reviewer asked for that have not arrived since they were asked for."""
    codes = list(case.requested_materials or [])
    if not codes:
        return []
    where = Q(case_links__case=case, case_links__added_at__gte=since)
    if case.booking_id:
        where |= Q(booking_id=case.booking_id, uploaded_at__gte=since)
    arrived = set(Material.objects.filter(where, requirement__code__in=codes)
                  .values_list("requirement__code", flat=True))
    return list(case.item.requirements.filter(code__in=[c for c in codes if c not in arrived]).order_by("sort"))
