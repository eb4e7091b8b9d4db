"""The public plan page: the approved plan as the force publishes it, with no sign-in; and its
latest return in the open return format, for whoever collates forces' returns."""

from __future__ import annotations

import hashlib

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import content_disposition_header, http_date, quote_etag
from django.views.decorators.http import require_GET, require_safe

from .. import queries
from ..exports import common, open_return
from ..models import Plan

# Collectors may poll: a short while in any cache, then asked again with If-None-Match or
# If-Modified-Since, answered 304 while nothing it holds has changed.
PUBLIC_RETURN_MAX_AGE = 300


def _published(slug: str) -> Plan:
    """The published plan, or a 404 (also for an unpublished one), never a sign-in page."""
    return get_object_or_404(
        Plan.objects.select_related("executive_lead", "operational_lead", "report", "organisation"),
        slug=slug,
        is_published=True,
    )


@login_not_required
@require_GET
def public_plan(request: HttpRequest, slug: str) -> HttpResponse:
    """Approved content only; an unpublished or unknown plan is a 404, never a sign-in page."""
    plan = _published(slug)
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


def public_url(request: HttpRequest, plan: Plan) -> str:
    """The plan's public page, as the open format names it (empty when it is not published)."""
    if not plan.is_published:
        return ""
    return request.build_absolute_uri(reverse("public_plan", args=[plan.slug]))


def _public_return(request: HttpRequest, slug: str, extension: str) -> HttpResponse:
    """The published plan's return for its latest period, approved content only.

    The document is as at the latest change to anything it holds (open_return.last_changed),
    which is also its Last-Modified: the same content gives the same bytes on every server,
    so its digest is a strong ETag. That moment is read before the content, so a change
    committing meanwhile leaves the body newer than its Last-Modified, never older.
    """
    plan = _published(slug)
    changed = open_return.last_changed(plan)
    try:
        ret = common.build_return(plan, now=changed)
        document = open_return.document_for(ret, public_url=public_url(request, plan), public=True)
        body = open_return.WRITERS[extension](document)
    except common.ExportError as error:
        raise Http404(str(error)) from None
    response = HttpResponse(body, content_type=open_return.CONTENT_TYPES[extension])
    etag = quote_etag(hashlib.sha256(body).hexdigest())
    response["ETag"] = etag
    response["Last-Modified"] = http_date(changed.timestamp())
    if extension == "csv":
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=ret.filename(extension)
        )
    patch_cache_control(response, public=True, max_age=PUBLIC_RETURN_MAX_AGE)
    return get_conditional_response(
        request, etag=etag, last_modified=int(changed.timestamp()), response=response
    )


@login_not_required
@require_safe
def public_return_json(request: HttpRequest, slug: str) -> HttpResponse:
    return _public_return(request, slug, "json")


@login_not_required
@require_safe
def public_return_csv(request: HttpRequest, slug: str) -> HttpResponse:
    return _public_return(request, slug, "csv")
