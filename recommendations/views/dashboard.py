"""The executive dashboard: where each plan stands, and what changed lately."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .. import dashboard as selectors
from .. import permissions
from . import paging


def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    permissions.require(
        permissions.can_view_dashboard(user),
        "The dashboard is for executives and administrators.",
    )
    number, per_page = paging.page_choice(request)
    dashboard = selectors.dashboard(page=number, per_page=per_page)
    return render(
        request,
        "recommendations/dashboard.html",
        {
            "dashboard": dashboard,
            "pagination": paging.pagination(dashboard.page, show_all=not per_page),
        },
    )
