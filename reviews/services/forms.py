"""The case form: answers checked against the service item's form fields."""
import datetime

from django.utils.translation import gettext as _

from core.errors import ServiceError


def case_form_clean(*, form_fields: list | None, form_data: dict | None, require_all: bool) -> dict:
    """Check the answers against the item's form fields (ServiceItem.form_fields); returns the cleaned answers.

    Unknown fields, a choice outside the list, a malformed date or number are refused at once;
    missing required fields only when `require_all` (a draft may be incomplete, a submission not).
    """
    form_data = form_data or {}
    if not isinstance(form_data, dict):
        raise ServiceError(_("表单数据格式不正确。"), code="invalid_form")
    fields = {f["name"]: f for f in form_fields or []}
    unknown = sorted(set(form_data) - set(fields))
    if unknown:
        raise ServiceError(_("表单中有未知字段：%(names)s") % {"names": "、".join(unknown)}, code="invalid_form",
                           extra={"fields": unknown})
    cleaned = {}
    for name, spec in fields.items():
        value = form_data.get(name)
        label = spec.get("label", name)
        if value in (None, ""):
            if spec.get("required") and require_all:
                raise ServiceError(_("请填写“%(label)s”。") % {"label": label}, code="invalid_form",
                                   extra={"field": name})
            continue
        kind = spec.get("type", "text")
        if kind == "choice":
            if value not in spec.get("choices", []):
                raise ServiceError(_("“%(label)s”的取值不在可选范围内。") % {"label": label}, code="invalid_form",
                                   extra={"field": name})
        elif kind == "date":
            try:
                value = datetime.date.fromisoformat(str(value)).isoformat()
            except ValueError:
                raise ServiceError(_("“%(label)s”应为日期（年-月-日）。") % {"label": label}, code="invalid_form",
                                   extra={"field": name})
        elif kind == "number":
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise ServiceError(_("“%(label)s”应为数字。") % {"label": label}, code="invalid_form",
                                   extra={"field": name})
            if number != number or number in (float("inf"), float("-inf")):
                raise ServiceError(_("“%(label)s”应为数字。") % {"label": label}, code="invalid_form",
                                   extra={"field": name})
            value = int(number) if number.is_integer() else number
        else:
            value = str(value).strip()[:500]
        cleaned[name] = value
    return cleaned
