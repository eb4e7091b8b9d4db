"""Moving a recommendation's due date: administrators only, and always with a reason."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from .. import permissions, services
from ..forms import DueDateForm
from .lookups import recommendation_for

CONFLICT_MESSAGE = (
    "Someone else changed this recommendation while you were editing it. Nothing of yours has "
    "been saved: check the current due date above, then save again."
)


@require_http_methods(["GET", "POST"])
def due_date_edit(request: HttpRequest, slug: str, number: str) -> HttpResponse:
    permissions.require(
        permissions.can_manage(request.user), "Only administrators may move a due date."
    )
    plan, recommendation = recommendation_for(request, slug, number)
    permissions.require(permissions.can_manage(request.user, plan), permissions.READ_ONLY)
    form = DueDateForm(
        request.POST or None,
        initial={"version": recommendation.version, "new_date": recommendation.due_date},
        current_date=recommendation.due_date,
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            moved = services.change_due_date(
                recommendation=recommendation,
                new_date=data["new_date"],
                reason=data["reason"],
                by=request.user,
                expected_version=data["version"],
            )
        except services.ConflictError as error:
            # Show the date as it now stands and let the next save go through.
            recommendation = error.current
            data = request.POST.copy()
            data["version"] = recommendation.version
            form = DueDateForm(data, current_date=recommendation.due_date)
            form.is_valid()
            form.add_error(None, CONFLICT_MESSAGE)
            status = 409
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                f"Due date of recommendation {moved.number} changed to "
                f"{moved.due_date.day} {moved.due_date:%B %Y}. The reason is kept in its history.",
            )
            return redirect(moved)
    return render(
        request,
        "recommendations/due_date_form.html",
        {"plan": plan, "recommendation": recommendation, "form": form},
        status=status if status != 200 else (400 if form.errors else 200),
    )
