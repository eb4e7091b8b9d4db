"""The executive dashboard: where each plan stands, and what changed lately."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .. import dashboard as selectors
from .. import permissions


def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    permissions.require(
        permissions.can_view_dashboard(user),
        "The dashboard is for executives and administrators.",
    )
    return render(request, "recommendations/dashboard.html", {"dashboard": selectors.dashboard()})
