"""The case endpoints' one call each: find the case the person may see (NotFound otherwise, so others' cases do not
exist for them), act through the service that holds the rule, and return the case as its detail shows it."""
from accounts.models import User
from reviews import selectors
from reviews.models import Case
from reviews.services.desk import case_claim, case_decide, case_decision_confirmation, case_release
from reviews.services.opening import case_consent_grant, case_form_update, case_material_attach, case_open
from reviews.services.submission import case_submit


def case_open_for_user(*, user: User, **fields) -> Case:
    """Open a case (case_open's rules and fields) and return its detail."""
    return selectors.case_detail(case_id=case_open(actor=user, **fields).pk)


def case_form_update_for_user(*, user: User, case_id: int, form_data: dict) -> Case:
    case = selectors.case_get_for_user(user=user, case_id=case_id)
    case_form_update(case=case, actor=user, form_data=form_data)
    return selectors.case_detail(case_id=case.pk)


def case_submit_for_user(*, user: User, case_id: int) -> Case:
    case = selectors.case_row_for_user(user=user, case_id=case_id)  # the service reads what it needs itself
    case_submit(case=case, actor=user)
    return selectors.case_detail(case_id=case.pk)


def case_material_attach_for_user(*, user: User, case_id: int, material_id: int) -> Case:
    case = selectors.case_get_for_user(user=user, case_id=case_id)
    case_material_attach(case=case, actor=user, material=selectors.material_to_attach(material_id=material_id))
    return selectors.case_detail(case_id=case.pk)


def case_consent_grant_for_user(*, user: User, case_id: int) -> Case:
    case = selectors.case_get_for_user(user=user, case_id=case_id)
    case_consent_grant(case=case, actor=user)
    return selectors.case_detail(case_id=case.pk)


def case_claim_for_user(*, user: User, case_id: int) -> Case:
    case = selectors.case_get_for_user(user=user, case_id=case_id)
    case_claim(case=case, reviewer=user)
    return selectors.case_detail(case_id=case.pk)


def case_release_for_user(*, user: User, case_id: int) -> Case:
    case = selectors.case_get_for_user(user=user, case_id=case_id)
    case_release(case=case, reviewer=user)
    return selectors.case_detail(case_id=case.pk)


def case_decide_for_user(*, user: User, case_id: int, decision: str, reason: str = "",
                         materials: list[str] | None = None, confirmation_code: str = "") -> Case:
    case = selectors.case_get_for_user(user=user, case_id=case_id)
    case_decide(case=case, reviewer=user, decision=decision, reason=reason, materials=materials,
                confirmation_code=confirmation_code)
    return selectors.case_detail(case_id=case.pk)


def case_decision_confirmation_for_user(*, user: User, case_id: int, decision: str, reason: str = "") -> dict:
    """Step one of a sealed decision on a case the reviewer may see: what will be sealed, and where the code went."""
    case = selectors.case_get_for_user(user=user, case_id=case_id)
    return case_decision_confirmation(case=case, reviewer=user, decision=decision, reason=reason)
