"""Reads of cases: who may see what, the reviewer's queue, routing inputs, materials and the statistics.

One module per sub-domain; the public names are gathered here, so `reviews.selectors.<name>` is the API.
"""
from reviews.selectors.access import (
    CASE_DETAIL_RELATED,
    case_get_for_user,
    case_list_for_user,
    case_resident_name,
    case_row_for_user,
    case_visible_q,
    in_live_call_together,
    is_agent_of,
    is_reviewer_of,
    material_readable_by_case_reviewer,
)
from reviews.selectors.deadlines import bureau_tz, closed_days, deadline_for, working_days_between
from reviews.selectors.detail import case_detail, case_detail_for_user
from reviews.selectors.letters import (
    CaseFile,
    case_letter_ofd_file,
    case_letter_pdf,
    case_seal_signature,
    case_sealed_decision,
    case_ses_file,
)
from reviews.selectors.materials import (
    case_materials,
    case_missing_mandatory,
    case_missing_requested,
    material_to_attach,
)
from reviews.selectors.queue import case_sla_state, review_queue, sla_state_expression
from reviews.selectors.routing_inputs import (
    CaseToRoute,
    case_to_route,
    escalation_request_for,
    routing_request_for,
    units_with_seal,
)
from reviews.selectors.stats import STAT_GROUPS, Percentile, case_statistics
from reviews.selectors.submission import CaseToSubmit, case_to_submit

__all__ = [
    "CASE_DETAIL_RELATED",
    "CaseFile",
    "CaseToRoute",
    "CaseToSubmit",
    "Percentile",
    "STAT_GROUPS",
    "bureau_tz",
    "case_detail",
    "case_detail_for_user",
    "case_get_for_user",
    "case_letter_ofd_file",
    "case_letter_pdf",
    "case_list_for_user",
    "case_materials",
    "case_missing_mandatory",
    "case_missing_requested",
    "case_resident_name",
    "case_row_for_user",
    "case_seal_signature",
    "case_sealed_decision",
    "case_ses_file",
    "case_sla_state",
    "case_statistics",
    "case_to_route",
    "case_to_submit",
    "case_visible_q",
    "closed_days",
    "deadline_for",
    "escalation_request_for",
    "in_live_call_together",
    "is_agent_of",
    "is_reviewer_of",
    "material_to_attach",
    "material_readable_by_case_reviewer",
    "review_queue",
    "routing_request_for",
    "sla_state_expression",
    "units_with_seal",
    "working_days_between",
]
