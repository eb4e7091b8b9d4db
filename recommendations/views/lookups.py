"""Finding what a URL names, and checking who may act on it, for every view alike."""

from __future__ import annotations

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from .. import permissions, queries
from ..models import Plan, Recommendation

EDIT_REFUSED = (
    "Only the lead who owns this recommendation, or an administrator, may record its progress."
)


def plan_for(request: HttpRequest, slug: str, *, refusal: str = permissions.NO_ROLE) -> Plan:
    """The plan with its leads, or 404: also when it is another organisation's plan, which the
    user may not see (permissions.visible_plans). 403 saying `refusal` for an account with no
    role."""
    permissions.require(permissions.can_view_plans(request.user), refusal)
    plans = Plan.objects.select_related(
        "executive_lead", "operational_lead", "report", "organisation"
    )
    return get_object_or_404(permissions.visible_plans(request.user, plans), slug=slug)


def recommendation_for(
    request: HttpRequest, slug: str, number: str, *, edit: bool = False, refusal: str = ""
) -> tuple[Plan, Recommendation]:
    """The plan and the recommendation (or action) the URL names, with what its page shows;
    404 if there is none or the user may not see its plan. With `edit`, the user must be
    allowed to record its progress (403 saying `refusal` otherwise); each view checks its own
    rights before it calls this."""
    plan = plan_for(
        request, slug, refusal=refusal or (EDIT_REFUSED if edit else permissions.NO_ROLE)
    )
    try:
        recommendation = queries.recommendation_detail(plan, number)
    except Recommendation.DoesNotExist:
        raise Http404(f"Plan {plan.slug} has no recommendation {number}.") from None
    if edit:
        permissions.require(
            permissions.can_edit_update(request.user, recommendation), refusal or EDIT_REFUSED
        )
    return plan, recommendation
