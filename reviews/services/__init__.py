"""Writes to cases: open, submit, route, claim, release, decide, warn and escalate. One transaction each.

One module per sub-domain; the public names are gathered here, so `reviews.services.<name>` is the API.
"""
from reviews.services.actions import (
    case_claim_for_user,
    case_consent_grant_for_user,
    case_decide_for_user,
    case_decision_confirmation_for_user,
    case_form_update_for_user,
    case_material_attach_for_user,
    case_open_for_user,
    case_release_for_user,
    case_submit_for_user,
)
from reviews.services.assignment import case_route
from reviews.services.common import REASON_TEXT, Decision
from reviews.services.deadlines import ROUTING_GRACE_SECONDS, case_escalate, case_sla_warn, sla_sweep
from reviews.services.desk import case_claim, case_decide, case_decision_confirmation, case_release
from reviews.services.forms import case_form_clean
from reviews.services.opening import case_consent_grant, case_create, case_form_update, case_material_attach, case_open
from reviews.services.submission import case_submit

__all__ = [
    "Decision",
    "REASON_TEXT",
    "ROUTING_GRACE_SECONDS",
    "case_claim",
    "case_claim_for_user",
    "case_consent_grant",
    "case_consent_grant_for_user",
    "case_create",
    "case_decide",
    "case_decide_for_user",
    "case_decision_confirmation",
    "case_decision_confirmation_for_user",
    "case_escalate",
    "case_form_clean",
    "case_form_update",
    "case_form_update_for_user",
    "case_material_attach",
    "case_material_attach_for_user",
    "case_open",
    "case_open_for_user",
    "case_release",
    "case_release_for_user",
    "case_route",
    "case_sla_warn",
    "case_submit",
    "case_submit_for_user",
    "sla_sweep",
]
