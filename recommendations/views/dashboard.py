"""The executive dashboard: where each plan stands, and what changed lately."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

from .. import dashboard as selectors
from .. import page_cache, permissions
from . import paging


def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    permissions.require(
        permissions.can_view_dashboard(user),
        "The dashboard is for executives and administrators.",
    )
    number, per_page = paging.page_choice(request)

    def render_body() -> str:
        dashboard = selectors.dashboard(
            page=number, per_page=per_page, organisation_id=permissions.scope(user)
        )
        context = {
            "dashboard": dashboard,
            "pagination": paging.pagination(dashboard.page, show_all=not per_page),
        }
        context |= page_cache.rights_context(user)
        return render_to_string("recommendations/_dashboard_body.html", context)

    return page_cache.page(
        request,
        "recommendations/dashboard.html",
        {},
        name="dashboard",
        token=page_cache.site_token(),
        vary=[number if per_page else paging.SHOW_ALL],
        render=render_body,
    )
