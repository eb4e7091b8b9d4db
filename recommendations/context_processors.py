"""Values every template may use."""

from django.conf import settings
from django.http import HttpRequest

from . import permissions


def site(request: HttpRequest) -> dict:
    user = request.user
    return {
        "force_name": settings.FORCE_NAME,
        "user_is_executive": permissions.is_executive(user),
        "user_is_lead": permissions.is_lead(user),
        "user_is_administrator": permissions.is_administrator(user),
        "user_sees_national": permissions.can_view_national(user),
    }
