"""The day's work: a lead's "My work" and an executive's sign-off queue."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from .. import permissions, services, work
from ..choices import SignOff
from ..forms import ReviewForm
from ..models import StatusUpdate
from ..queries import today


def my_work(request: HttpRequest) -> HttpResponse:
    permissions.require(permissions.can_view_plans(request.user), permissions.NO_ROLE)
    return render(
        request,
        "recommendations/my_work.html",
        {"work": work.my_work(request.user, on=today())},
    )


def _queue_page(request: HttpRequest, refused: ReviewForm | None = None, status: int = 200):
    items = work.sign_off_queue(request.user)
    for item in items:
        given = refused is not None and refused.update_id == item.update.pk
        item.form = refused if given else ReviewForm(period_id=item.update.pk)
    return render(
        request,
        "recommendations/sign_off_queue.html",
        {"items": items, "refused": refused},
        status=status,
    )


def sign_off_queue(request: HttpRequest) -> HttpResponse:
    permissions.require(permissions.can_sign_off(request.user), permissions.SIGN_OFF_ONLY)
    return _queue_page(request)


@require_POST
def queue_decide(request: HttpRequest, update_id: int) -> HttpResponse:
    """Approve, or return with a comment, from the queue; back to the queue either way."""
    permissions.require(permissions.can_sign_off(request.user), permissions.SIGN_OFF_ONLY)
    update = get_object_or_404(
        StatusUpdate.objects.select_related("period"),
        pk=update_id,
        recommendation__plan__in=permissions.own_plans(request.user),
    )
    action = request.POST.get("action")
    if action not in ("approve", "return"):
        raise Http404("Unknown sign-off action.")
    # The queue's forms are told apart by the update, not the period (ids name it).
    form = ReviewForm(request.POST, period_id=update.pk, returning=action == "return")
    form.update_id = update.pk
    if form.is_valid():
        target = SignOff.APPROVED if action == "approve" else SignOff.RETURNED
        try:
            services.change_sign_off(
                update=update, to=target, by=request.user, comment=form.cleaned_data["comment"]
            )
        except services.WorkflowError as error:
            form.add_error(None, str(error))
        else:
            rec = update.recommendation
            messages.success(
                request,
                f"{rec}, {update.period.label}: {SignOff(target).label.lower()}.",
            )
            return redirect("sign_off_queue")
    return _queue_page(request, refused=form, status=400)
