"""The public plan page: the approved plan as the force publishes it, with no sign-in."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from .. import queries
from ..models import Plan


@login_not_required
@require_GET
def public_plan(request: HttpRequest, slug: str) -> HttpResponse:
    """Approved content only; an unpublished or unknown plan is a 404, never a sign-in page."""
    plan = get_object_or_404(
        Plan.objects.select_related("executive_lead", "operational_lead", "report", "organisation"),
        slug=slug,
        is_published=True,
    )
    table = queries.plan_table(plan, approved_only=True)
    updated = [row.last_updated for row in table.rows if row.last_updated is not None]
    return render(
        request,
        "public/plan.html",
        {
            "plan": table.plan,
            "table": table,
            # The page shows the plan as it stands today, last changed by its newest update.
            "as_at": queries.today(),
            "last_updated": max(updated) if updated else None,
        },
    )
