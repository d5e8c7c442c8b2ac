"""Statistics of cases: processing time against the promised limit, SLA compliance, escalations."""
import datetime
import statistics

from django.db import connections
from django.db.models import Aggregate, Avg, Count, FloatField, Q, QuerySet

from core.db import replica
from reviews.models import Case, CaseStatus


class Percentile(Aggregate):
    """PostgreSQL's percentile_cont(p) WITHIN GROUP (ORDER BY expr)."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


STAT_GROUPS = {
    "item": ("item_id", "item__code", "item__name"),
    "unit": ("unit_id", "unit__code", "unit__name"),
    "county": ("county_id", "county__code", "county__name"),
}


def _percentiles_python(cases: QuerySet[Case], key: str) -> dict:
    values: dict = {}
    for group, days in cases.filter(processing_days__isnull=False).values_list(key, "processing_days"):
        values.setdefault(group, []).append(days)
    result = {}
    for group, days in values.items():
        days.sort()
        if len(days) == 1:
            result[group] = (days[0], days[0])
            continue
        cuts = statistics.quantiles(days, n=100, method="inclusive")
        result[group] = (statistics.median(days), cuts[89])
    return result


def case_statistics(*, date_from: datetime.date | None = None, date_to: datetime.date | None = None) -> dict:
    """Per service item, reviewing unit and county: cases, median / p90 processing time (working days) against
    the promised limit, SLA compliance, escalations, materials per case."""
    cases = Case.objects.using(replica()).exclude(status=CaseStatus.DRAFT)
    if date_from:
        cases = cases.filter(submitted_at__date__gte=date_from)
    if date_to:
        cases = cases.filter(submitted_at__date__lte=date_to)
    postgres = connections[replica()].vendor == "postgresql"
    result = {}
    for name, (key, code, label) in STAT_GROUPS.items():
        aggregates = {
            "cases": Count("pk", distinct=True),
            "decided": Count("pk", filter=Q(decided_at__isnull=False), distinct=True),
            "on_time": Count("pk", filter=Q(met_deadline=True), distinct=True),
            "limit_days": Avg("item__time_limit_days"),
            "materials_per_case": Avg("materials_count"),
        }
        if postgres:
            aggregates["median_days"] = Percentile("processing_days", 0.5)
            aggregates["p90_days"] = Percentile("processing_days", 0.9)
        rows = list(cases.exclude(**{f"{key}__isnull": True}).values(key, code, label).annotate(**aggregates)
                    .order_by(code))
        escalations = dict(cases.exclude(**{f"{key}__isnull": True}).values(key)
                           .annotate(n=Count("escalations")).values_list(key, "n"))
        fallback = {} if postgres else _percentiles_python(cases, key)
        out = []
        for row in rows:
            median, p90 = ((row["median_days"], row["p90_days"]) if postgres
                           else fallback.get(row[key], (None, None)))
            limit = row["limit_days"]
            out.append({
                "id": row[key], "code": row[code], "name": row[label],
                "cases": row["cases"], "decided": row["decided"],
                "median_days": _round(median), "p90_days": _round(p90),
                "limit_days": _round(limit),
                "median_vs_limit": _round(median / limit) if median is not None and limit else None,
                "sla_compliance_pct": _round(100.0 * row["on_time"] / row["decided"]) if row["decided"] else None,
                "escalations": escalations.get(row[key], 0),
                "materials_per_case": _round(row["materials_per_case"]),
            })
        result[f"by_{name}"] = out
    return result


def _round(value, digits: int = 2):
    return None if value is None else round(float(value), digits)
