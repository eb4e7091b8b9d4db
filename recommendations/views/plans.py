"""Pages for signed-in users. Each view: check permission, bind a form, call one service,
add a message, redirect."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_POST

from .. import figures, history, page_cache, permissions, queries, services
from ..choices import SignOff
from ..evidence import clean_file_name, evidence_hint
from ..forms import PlanFilterForm, ReviewForm, StatusUpdateForm
from ..models import Evidence, Owner, Plan, ReportingPeriod, StatusUpdate
from . import paging
from .lookups import recommendation_for

SUBMIT_REFUSED = "Only the lead who owns this recommendation may submit its update."
CONFLICT_MESSAGE = (
    "Someone else saved this update while you were editing it. Nothing of yours has been "
    "saved: compare their version with yours below, then save again."
)


def home(request: HttpRequest) -> HttpResponse:
    """Executives start on the dashboard, leads on their own work, everyone else on the list
    of plans."""
    if permissions.is_executive(request.user):
        return redirect("dashboard")
    return redirect("my_work" if permissions.is_lead(request.user) else "plan_list")


def plan_list(request: HttpRequest) -> HttpResponse:
    permissions.require(permissions.can_view_plans(request.user), permissions.NO_ROLE)
    number, per_page = paging.page_choice(request)

    def render_body() -> str:
        plans = permissions.visible_plans(request.user, figures.plans_in_title_order())
        page = figures.plan_page(number, per_page=per_page, plans=plans)
        context = {
            "plans": figures.plans_with_summary(list(page.object_list)),
            "pagination": paging.pagination(page, show_all=not per_page),
        }
        context |= page_cache.rights_context(request.user)
        return render_to_string("recommendations/_plan_list_body.html", context)

    return page_cache.page(
        request,
        "recommendations/plan_list.html",
        {},
        name="plan_list",
        token=page_cache.site_token(),
        vary=[number if per_page else paging.SHOW_ALL],
        render=render_body,
    )


# The latest moment the "as at" picker offers is now: filled in per request, never cached.
AS_AT_MAX = "<!--as-at-max-->"


def plan_table(request: HttpRequest, slug: str) -> HttpResponse:
    permissions.require(permissions.can_view_plans(request.user), permissions.NO_ROLE)
    # Only what the page around the body shows, and the plan's revision token: a cached body
    # needs nothing else, and a body rendered afresh loads the plan whole.
    plan = get_object_or_404(
        permissions.visible_plans(
            request.user,
            Plan.objects.select_related("revision").only(
                "pk", "slug", "title", "organisation_id", "revision__token"
            ),
        ),
        slug=slug,
    )
    form_fields = PlanFilterForm.base_fields
    # The filters as the page reads them: unknown parameters change nothing, so they are left
    # out of the cache key; the order is kept, as the download form repeats them in order.
    params = [
        (name, value)
        for name, values in request.GET.lists()
        if name in form_fields
        for value in values
    ]

    def render_body() -> str:
        whole = get_object_or_404(
            Plan.objects.select_related(
                "executive_lead", "operational_lead", "report", "organisation"
            ),
            pk=plan.pk,
        )
        form = PlanFilterForm(
            request.GET or None,
            owners=Owner.objects.filter(recommendations__plan=whole).distinct(),
        )
        table = queries.plan_table(whole, filters=form.filters() if request.GET else None)
        context = {
            "plan": table.plan,
            "table": table,
            "form": form,
            "path": request.path,
            "filter_params": params,
            "as_at_max": mark_safe(AS_AT_MAX),  # our own marker
            "progress": figures.statuses_by_period([whole.pk]).get(whole.pk, []),
        }
        context |= page_cache.rights_context(request.user, whole)
        return render_to_string("recommendations/_plan_table_body.html", context)

    return page_cache.page(
        request,
        "recommendations/plan_table.html",
        {"plan": plan},
        name="plan_table",
        token=page_cache.plan_token(plan),
        vary=[plan.pk, request.path, bool(request.GET), urlencode(params)],
        render=render_body,
        live={AS_AT_MAX: timezone.localtime().strftime("%Y-%m-%dT%H:%M")},
    )


def recommendation_detail(request: HttpRequest, slug: str, number: str) -> HttpResponse:
    permissions.require(permissions.can_view_plans(request.user), permissions.NO_ROLE)
    plan, recommendation = recommendation_for(request, slug, number)
    return _recommendation_page(request, plan, recommendation)


def _recommendation_page(
    request: HttpRequest,
    plan,
    recommendation,
    *,
    refused: ReviewForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The recommendation page. Each update awaiting sign-off gets a sign-off form if the
    user may sign it off; `refused` is one that came back with errors, shown in its place."""
    updates = {update.period_id: update for update in recommendation.updates.all()}
    prefetch_related_objects(
        list(updates.values()),
        Prefetch("evidence", queryset=Evidence.objects.select_related("uploaded_by")),
    )
    can_sign_off = permissions.can_sign_off(request.user, plan)

    def review_form(update: StatusUpdate | None) -> ReviewForm | None:
        if not (can_sign_off and update and update.sign_off == SignOff.SUBMITTED):
            return None
        if refused is not None and refused.period_id == update.period_id:
            return refused
        return ReviewForm(period_id=update.period_id)

    row = queries.recommendation_row(recommendation)
    can_edit = permissions.can_edit_update(request.user, recommendation)
    # Per period: its update, the sign-off form for it, the status it stands at (its own,
    # else its actions', as in the plan table) and whether it asks something of this viewer.
    periods = []
    for period, standing in zip(plan.periods.order_by("position", "id"), row.statuses, strict=True):
        update = updates.get(period.pk)
        review = review_form(update)
        to_do = review is not None or (
            can_edit and update is not None and update.sign_off in (SignOff.DRAFT, SignOff.RETURNED)
        )
        periods.append((period, update, review, standing, to_do))
    # The latest period first, open; the earlier ones newest first, folded unless they ask
    # something of the viewer. The history opens when one of its pages is asked for.
    current, earlier = (periods[-1], periods[-2::-1]) if periods else (None, [])
    changes = history.paginate(
        history.recommendation_history(recommendation), request.GET.get("page")
    )
    return render(
        request,
        "recommendations/recommendation_detail.html",
        {
            "plan": plan,
            "recommendation": recommendation,
            "row": row,
            "current": current,
            "earlier": earlier,
            "changes": changes,
            "history_open": "page" in request.GET,
            "due_date_changes": recommendation.due_date_changes.select_related("changed_by"),
            "evidence_hint": evidence_hint(),
            "can_edit": can_edit,
            "can_manage": permissions.can_manage(request.user, plan),
            "refused": refused,
        },
        status=status,
    )


def saved_message(update: StatusUpdate, period: ReportingPeriod) -> str:
    """What saving did, in the words of the button that did it."""
    if update.sign_off == SignOff.SUBMITTED:
        return f"Update for {period.label} saved and submitted for sign-off."
    if update.sign_off == SignOff.RETURNED:
        return (
            f"Update for {period.label} saved. It is still returned for changes: submit it when "
            "it answers the comment."
        )
    if update.has_approved_version:
        return (
            f"Draft of the update for {period.label} saved. The approved version stays in force "
            "(on the public page, in the returns and in every figure) until you submit this "
            "draft and it is approved."
        )
    return f"Update for {period.label} saved as a draft."


@require_http_methods(["GET", "POST"])
def update_edit(request: HttpRequest, slug: str, number: str, period_id: int) -> HttpResponse:
    plan, recommendation = recommendation_for(request, slug, number, edit=True)
    period = get_object_or_404(ReportingPeriod, pk=period_id, plan=plan)
    update = StatusUpdate.objects.filter(recommendation=recommendation, period=period).first()
    initial = {"version": update.version if update else 0}
    if update:
        initial |= {
            "status": update.status,
            "text": update.text,
            "no_evidence_reason": update.no_evidence_reason,
        }
    evidence = list(update.evidence.select_related("uploaded_by")) if update else []
    form = StatusUpdateForm(
        request.POST or None, request.FILES or None, initial=initial, evidence_count=len(evidence)
    )
    conflict = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data.get("evidence_file")
        try:
            saved = services.record_update(
                recommendation=recommendation,
                period=period,
                status=data["status"],
                text=data["text"],
                no_evidence_reason=data["no_evidence_reason"],
                author=request.user,
                expected_version=data["version"],
                submit="submit" in request.POST,
                new_evidence=[(upload, data["evidence_description"])] if upload else [],
            )
        except services.ConflictError as error:
            # Keep the editor's words, show the other version beside them, and let the next
            # save go through now that they have seen it.
            conflict = error.current
            data = request.POST.copy()
            data["version"] = conflict.version if conflict else 0
            form = StatusUpdateForm(
                data, evidence_count=conflict.evidence.count() if conflict else 0
            )
            form.is_valid()
            form.add_error(None, CONFLICT_MESSAGE)
        except ValidationError as error:
            # The service's own check (someone removed evidence meanwhile, or a file it refused).
            form.add_error(None if hasattr(error, "error_dict") else "evidence_file", error)
        else:
            messages.success(request, saved_message(saved, period))
            if upload:
                messages.success(request, f"{clean_file_name(upload.name)} attached.")
            return redirect(recommendation)
    if form.errors and request.FILES.get("evidence_file") and "evidence_file" not in form.errors:
        # Browsers do not keep a chosen file when the form comes back; say so beside the field.
        form.add_error("evidence_file", "Nothing was attached: choose the file again.")
    return render(
        request,
        "recommendations/update_form.html",
        {
            "plan": plan,
            "recommendation": recommendation,
            "period": period,
            "update": update,
            "evidence": evidence,
            "form": form,
            "conflict": conflict,
        },
        status=409 if conflict else (400 if form.errors else 200),
    )


@require_POST
def update_sign_off(request: HttpRequest, slug: str, number: str, period_id: int) -> HttpResponse:
    action = request.POST.get("action")
    refusal = SUBMIT_REFUSED if action == "submit" else permissions.SIGN_OFF_ONLY
    plan, recommendation = recommendation_for(request, slug, number, refusal=refusal)
    update = get_object_or_404(StatusUpdate, recommendation=recommendation, period_id=period_id)
    if action == "submit":
        permissions.require(permissions.can_edit_update(request.user, recommendation), refusal)
        try:
            services.change_sign_off(update=update, to=SignOff.SUBMITTED, by=request.user)
        except services.WorkflowError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request, f"Update for {update.period.label}: {SignOff.SUBMITTED.label.lower()}."
            )
        return redirect(recommendation)
    if action not in ("approve", "return"):
        raise Http404("Unknown sign-off action.")
    permissions.require(permissions.can_sign_off(request.user, plan), permissions.SIGN_OFF_ONLY)
    target = SignOff.APPROVED if action == "approve" else SignOff.RETURNED
    form = ReviewForm(request.POST, period_id=update.period_id, returning=action == "return")
    if form.is_valid():
        try:
            services.change_sign_off(
                update=update, to=target, by=request.user, comment=form.cleaned_data["comment"]
            )
        except services.WorkflowError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, f"Update for {update.period.label}: {SignOff(target).label.lower()}."
            )
            return redirect(recommendation)
    # Nothing moves: the decision comes back beside the comment, with what stopped it.
    return _recommendation_page(request, plan, recommendation, refused=form, status=400)
