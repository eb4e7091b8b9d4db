"""Rendered page bodies kept in Django's cache: the plan table, the plan list, the dashboard.

Only the body of a page is cached, never the whole response: the header with the signed-in
user's name and the sign-out form (with its CSRF token), and the messages, are rendered for
every request. A body is rendered from an explicit context without the request or the user,
so it cannot show anything about the user except what their roles allow; it is cached under
a key made of everything that changes it:

- a revision token read from the database: `PlanRevision` for one plan's table, and
  `SiteRevision` for the pages that span plans. Any change to what those pages show replaces
  the tokens in the same transaction (the signal receivers below, and `bump` where rows are
  written in bulk), so every server process sees the change on its next request;
- the user's roles, the filters or page asked for (normalised), today's date and the time
  zone (what is overdue), and the language.

The token is read before anything else the body shows, so a body rendered while a change
commits is at worst stored under the token that change has just replaced, where nobody
looks. (A write outside a transaction replaces the token just after its row, which is as
safe: whoever reads the new token reads the new row.) Parts of a body that change within a
day (the latest moment an "as at" picker allows) are left as markers in the cached text and
filled in per request.

Set PAGE_CACHE=off to render every body afresh (the cold path, for benchmarks and debugging).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import Model
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from . import permissions
from .models import (
    DueDateChange,
    Evidence,
    Owner,
    Plan,
    PlanRevision,
    Recommendation,
    ReportingPeriod,
    SiteRevision,
    StatusUpdate,
)

SITE = 1
# Never cache a body that somehow carries a CSRF token: it would be served to others.
FORBIDDEN = ("csrfmiddlewaretoken",)

# How each model's rows lead to the plan whose pages show them.
PLAN_OF: dict[type[Model], str] = {
    Plan: "pk",
    ReportingPeriod: "plan_id",
    Recommendation: "plan_id",
    DueDateChange: "recommendation__plan_id",
    StatusUpdate: "recommendation__plan_id",
    Evidence: "update__recommendation__plan_id",
}
# User fields that pages show (names in the recent activity); a sign-in only moves last_login.
SHOWN_USER_FIELDS = {"username", "first_name", "last_name"}


def enabled() -> bool:
    return bool(getattr(settings, "PAGE_CACHE", True))


# ---------------------------------------------------------------------------- reading


def plan_token(plan: Plan) -> str | None:
    """The plan's token, if it was loaded with the plan (`select_related("revision")`)."""
    try:
        return plan.revision.token
    except PlanRevision.DoesNotExist:
        return None


def site_token() -> str | None:
    return SiteRevision.objects.filter(pk=SITE).values_list("token", flat=True).first()


def rights(user) -> tuple[str, ...]:
    """What the user may do and see, as far as a cached body can show it: their roles, their
    organisation and whether they see every organisation's plans."""
    return (
        *sorted(permissions.roles_of(user)),
        f"organisation={permissions.organisation_id_of(user)}",
        f"scope={permissions.scope(user)}",
        f"superuser={user.is_superuser}",
    )


def rights_context(user, plan: Plan | None = None) -> dict[str, object]:
    """The only facts about the user a body template is given: for a plan's page, what they
    may do to that plan."""
    return {
        "user_is_executive": permissions.can_sign_off(user, plan),
        "user_is_administrator": permissions.can_manage(user, plan),
    }


def key(name: str, token: str, request: HttpRequest, vary: Sequence[object]) -> str:
    parts = [
        name,
        token,
        ",".join(rights(request.user)),
        timezone.localdate().isoformat(),
        settings.TIME_ZONE,
        translation.get_language() or "",
        *(str(part) for part in vary),
    ]
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return f"page:{name}:{digest}"


def body(
    request: HttpRequest,
    name: str,
    *,
    token: str | None,
    vary: Sequence[object],
    render: Callable[[], str],
    live: Mapping[str, str] | None = None,
) -> bytes:
    """The body of page `name` as UTF-8, from the cache or rendered by `render()` and cached.

    `render` must do all of the body's reads itself, so that a cached body costs no query.
    `live` maps markers left in the rendered text to this request's values. Bodies are kept
    and served as bytes: a plan table is a third of a megabyte, and decoding and encoding it
    again on every request cost a tenth of serving it.
    """
    html = None
    cache_key = key(name, token, request, vary) if enabled() and token else None
    if cache_key:
        html = cache.get(cache_key)
    if html is None:
        text = render()
        html = text.encode()
        if cache_key and not any(word in text for word in FORBIDDEN):
            cache.set(cache_key, html)
    for marker, value in (live or {}).items():
        html = html.replace(marker.encode(), value.encode())
    return html


# Where the body goes in the page around it: a comment no escaped text can contain.
BODY = "<!--page-body-->"


def page(
    request: HttpRequest,
    template: str,
    context: dict,
    *,
    name: str,
    token: str | None,
    vary: Sequence[object],
    render: Callable[[], str],
    live: Mapping[str, str] | None = None,
) -> HttpResponse:
    """The response: `template` rendered for this request (the header with the user's name,
    the sign-out form, the messages) around the body of page `name` (see `body`)."""
    content = body(request, name, token=token, vary=vary, render=render, live=live)
    around = render_to_string(template, context | {"body": mark_safe(BODY)}, request)
    head, tail = around.split(BODY, 1)
    return HttpResponse(b"".join((head.encode(), content, tail.encode())))


# ---------------------------------------------------------------------------- writing


def bump(plan_ids: Iterable[int] = (), *, all_plans: bool = False) -> None:
    """Replace the site's token and those of the given plans (or of every plan)."""
    token = secrets.token_hex(8)
    ids = {pk for pk in plan_ids if pk is not None}
    if all_plans:
        PlanRevision.objects.update(token=token)
    elif ids:
        PlanRevision.objects.filter(plan_id__in=ids).update(token=token)
    if not SiteRevision.objects.filter(pk=SITE).update(token=token):
        SiteRevision.objects.update_or_create(pk=SITE, defaults={"token": token})


def bump_everything() -> None:
    """After rows were written in bulk (no signals) or the database was restored: every plan
    gets a token (plans created in bulk have none yet) and every token changes."""
    missing = Plan.objects.filter(revision__isnull=True).values_list("pk", flat=True)
    PlanRevision.objects.bulk_create(
        [PlanRevision(plan_id=pk, token="") for pk in missing], ignore_conflicts=True
    )
    bump(all_plans=True)


def _stored_plan_ids(model: type[Model], pk) -> set[int]:
    path = PLAN_OF[model]
    if path == "pk":
        return {pk}
    return set(model._default_manager.filter(pk=pk).values_list(path, flat=True))


def _plan_id_in_memory(instance: Model) -> int | None:
    """The instance's plan id through parents already loaded with it; None if one is not."""
    *parents, column = PLAN_OF[type(instance)].split("__")
    current = instance
    for name in parents:
        field = type(current)._meta.get_field(name)
        if not field.is_cached(current):
            return None
        current = getattr(current, name)
        if current is None:
            return None
    return current.pk if column == "pk" else getattr(current, column)


def _remember_stored_plans(sender, instance, raw=False, **kwargs) -> None:
    # Before a save or a delete: the plans the row belongs to as stored, so a row moved to
    # another plan (in the admin) also changes the plan it leaves.
    if instance.pk is not None and not instance._state.adding:
        instance._page_cache_plans = _stored_plan_ids(sender, instance.pk)


def _saved(sender, instance, created=False, **kwargs) -> None:
    if sender is Plan and created:
        PlanRevision.objects.get_or_create(plan_id=instance.pk, defaults={"token": ""})
    now = _plan_id_in_memory(instance)
    plans = getattr(instance, "_page_cache_plans", set())
    plans |= {now} if now is not None else _stored_plan_ids(sender, instance.pk)
    bump(plans)


def _deleted(sender, instance, **kwargs) -> None:
    bump(getattr(instance, "_page_cache_plans", set()))


def _owner_changed(sender, instance, **kwargs) -> None:
    # Owners are named on every plan they own something in: change them all.
    bump(all_plans=True)


def _user_saved(sender, instance, update_fields=None, **kwargs) -> None:
    if update_fields is not None and not SHOWN_USER_FIELDS & set(update_fields):
        return
    bump()


def _user_deleted(sender, instance, **kwargs) -> None:
    bump()


def connect() -> None:
    """Called once from the app's ready()."""
    for model in PLAN_OF:
        uid = f"page_cache:{model.__name__}"
        pre_save.connect(_remember_stored_plans, sender=model, dispatch_uid=uid)
        pre_delete.connect(_remember_stored_plans, sender=model, dispatch_uid=uid)
        post_save.connect(_saved, sender=model, dispatch_uid=uid)
        post_delete.connect(_deleted, sender=model, dispatch_uid=uid)
    post_save.connect(_owner_changed, sender=Owner, dispatch_uid="page_cache:Owner")
    post_delete.connect(_owner_changed, sender=Owner, dispatch_uid="page_cache:Owner")
    User = get_user_model()
    post_save.connect(_user_saved, sender=User, dispatch_uid="page_cache:User")
    post_delete.connect(_user_deleted, sender=User, dispatch_uid="page_cache:User")
