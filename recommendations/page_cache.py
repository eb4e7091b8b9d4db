"""Rendered page bodies kept in Django's cache: the plan table, the plan list, the dashboard.

The cache is Redis when REDIS_URL is set, shared by every server and process, and otherwise
each process's own memory (settings.CACHES). Only the body of a page is cached, never the whole
response: the header with the signed-in user's name and the sign-out form (with its CSRF
token), and the messages, are rendered for every request. A body is rendered from an explicit
context without the request or the user, so it cannot show anything about the user except
what their roles allow; it is cached under a key made of everything that changes it:

- a revision token read from the database. One plan's table is cached under its
  `PlanRevision` token. The pages that span plans (the plan list, the dashboard) are cached
  under `site_token()`: a digest of every plan's token and every `SiteRevision` mark, read in
  one query. A change to a plan replaces that plan's token, and a change that no plan owns
  (an account's name, an owner, a plan removed) adds a `SiteRevision` row, in the same
  transaction as the change (the signal receivers below, and `bump` where rows are written in
  bulk), so every server process sees it on its next request. A write locks its own plan's
  token row and nothing that another plan's write touches: writes to different plans never
  wait for one another. Every change brings a new random token, and the last change's token
  stays among those read until a later change replaces it, so a token never comes back;
- the user's roles, the filters or page asked for (normalised), today's date and the time
  zone (what is overdue), and the language; and the release (the cache's KEY_PREFIX), as a
  body is only as current as the code and templates that rendered it.

The token is read before anything else the body shows, so a body rendered while a change
commits is at worst stored under the token that change has just replaced, where nobody
looks. (A write outside a transaction replaces the token just after its row, which is as
safe: whoever reads the new token reads the new row.) Parts of a body that change within a
day (the latest moment an "as at" picker allows) are left as markers in the cached text and
filled in per request.

A cache that fails (Redis down or unreachable) is a miss: the body is rendered afresh, the
failure is logged once, and the cache is left alone for `RETRY_SECONDS` before it is tried
again. Set PAGE_CACHE=off to render every body afresh (the cold path, for benchmarks and
debugging).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.db.models import Model, Q
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from . import permissions
from .models import (
    DueDateChange,
    Evidence,
    Organisation,
    Owner,
    Plan,
    PlanRevision,
    Recommendation,
    Report,
    ReportingPeriod,
    ReportRecommendation,
    SiteRevision,
    StatusUpdate,
)

logger = logging.getLogger(__name__)

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
    """The token of the pages that span plans: a digest of every plan's token and every mark
    of a change no plan owns, read in one query (None before there is any)."""
    tokens = sorted(
        PlanRevision.objects.values_list("token", flat=True).union(
            SiteRevision.objects.values_list("token", flat=True), all=True
        )
    )
    if not tokens:
        return None
    return hashlib.sha256(",".join(tokens).encode()).hexdigest()[:32]


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
        html = _cache_call(cache.get, cache_key)
    if html is None:
        text = render()
        html = text.encode()
        if cache_key and not any(word in text for word in FORBIDDEN):
            _cache_call(cache.set, cache_key, html)
    for marker, value in (live or {}).items():
        html = html.replace(marker.encode(), value.encode())
    return html


# How long a cache that failed is left alone before it is tried again: while Redis is down,
# requests do not each wait for a connection to fail.
RETRY_SECONDS = 10.0


class _CacheHealth:
    """Whether the cache answered last time, so that an outage is logged once, not per request."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.down_since: float | None = None
        self.retry_at = 0.0

    def usable(self) -> bool:
        return self.down_since is None or time.monotonic() >= self.retry_at

    def failed(self, error: Exception) -> None:
        with self.lock:
            now = time.monotonic()
            self.retry_at = now + RETRY_SECONDS
            if self.down_since is not None:
                return
            self.down_since = now
        logger.error(
            "The page cache failed (%s: %s): pages are rendered afresh until it answers again.",
            type(error).__name__,
            error,
        )

    def answered(self) -> None:
        if self.down_since is None:
            return
        with self.lock:
            if self.down_since is None:
                return
            down_for = time.monotonic() - self.down_since
            self.down_since = None
        logger.warning("The page cache answers again, after %.0f s.", down_for)


_health = _CacheHealth()


def _cache_call(method: Callable, *args):
    """`method(*args)` on the cache; None when the cache fails, which is then a miss."""
    if not _health.usable():
        return None
    try:
        result = method(*args)
    except Exception as error:  # any failure of the cache, whatever its backend
        _health.failed(error)
        return None
    _health.answered()
    return result


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


def new_token() -> str:
    return secrets.token_hex(8)


def bump(plan_ids: Iterable[int] = (), *, all_plans: bool = False, site: bool = False) -> None:
    """Replace the tokens of the given plans (or of every plan); with `site`, or when no plan
    is given, also mark a change that no plan owns. Each plan's row is locked by its own
    writers only, and a mark is a row of its own, so this never waits for a write elsewhere."""
    token = new_token()
    ids = {pk for pk in plan_ids if pk is not None}
    if all_plans:
        PlanRevision.objects.update(token=token)
        site = True
    elif ids and PlanRevision.objects.filter(plan_id__in=ids).update(token=token) < len(ids):
        # A plan without a token (removed, or made in bulk and not yet given one): the pages
        # that span plans must change all the same.
        site = True
    if site or not ids:
        mark_site_change(token)


# Marks are pruned when one is added whose id is a multiple of this: a few dozen rows at most.
PRUNE_EVERY = 64


def mark_site_change(token: str | None = None) -> SiteRevision:
    """Add a mark of a change that no plan owns; now and then remove the older marks."""
    change = SiteRevision.objects.create(token=token or new_token())
    if change.pk % PRUNE_EVERY == 0:
        _prune_site_changes(before=change.pk)
    return change


def _prune_site_changes(*, before: int) -> None:
    # The new mark stays, so the token still changes. Rows another pruning has locked are
    # skipped rather than waited for (PostgreSQL; SQLite has one writer at a time anyway).
    with transaction.atomic():
        old = list(
            SiteRevision.objects.select_for_update(skip_locked=True)
            .filter(pk__lt=before)
            .values_list("pk", flat=True)
        )
        SiteRevision.objects.filter(pk__in=old).delete()


def bump_everything() -> None:
    """After rows were written in bulk (no signals) or the database was restored: every plan
    gets a token (plans created in bulk have none yet) and every token changes."""
    missing = Plan.objects.filter(revision__isnull=True).values_list("pk", flat=True)
    PlanRevision.objects.bulk_create(
        [PlanRevision(plan_id=pk, token="") for pk in missing], ignore_conflicts=True
    )
    bump(all_plans=True)
    _prune_site_changes(before=SiteRevision.objects.latest("pk").pk)


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
    # A plan removed takes its token with it: the pages that span plans need a mark instead.
    bump(getattr(instance, "_page_cache_plans", set()), site=sender is Plan)


def _plans_naming(owner_pk) -> set[int]:
    """The plans whose pages name the owner: as a lead of the plan, or as the owner of one of
    its recommendations or actions."""
    leads = Plan.objects.filter(Q(executive_lead_id=owner_pk) | Q(operational_lead_id=owner_pk))
    owned = Recommendation.objects.filter(owner_id=owner_pk)
    return set(
        leads.order_by()
        .values_list("pk", flat=True)
        .union(owned.order_by().values_list("plan_id", flat=True))
    )


def _remember_owner_plans(sender, instance, **kwargs) -> None:
    # Before a save or a delete (which unlinks the owner from everything without a signal).
    if instance.pk is not None and not instance._state.adding:
        instance._page_cache_plans = _plans_naming(instance.pk)


def _owner_changed(sender, instance, **kwargs) -> None:
    # The plans that name the owner, and the pages that span plans (the recent activity names
    # owners too); a new owner is named nowhere yet. Other plans' writers are not waited for,
    # even when an import adds owners in a long transaction.
    bump(getattr(instance, "_page_cache_plans", set()), site=True)


def _user_saved(sender, instance, update_fields=None, **kwargs) -> None:
    if update_fields is not None and not SHOWN_USER_FIELDS & set(update_fields):
        return
    mark_site_change()


def _user_deleted(sender, instance, **kwargs) -> None:
    mark_site_change()


def _site_changed(sender, instance, **kwargs) -> None:
    mark_site_change()


def connect() -> None:
    """Called once from the app's ready()."""
    for model in PLAN_OF:
        uid = f"page_cache:{model.__name__}"
        pre_save.connect(_remember_stored_plans, sender=model, dispatch_uid=uid)
        pre_delete.connect(_remember_stored_plans, sender=model, dispatch_uid=uid)
        post_save.connect(_saved, sender=model, dispatch_uid=uid)
        post_delete.connect(_deleted, sender=model, dispatch_uid=uid)
    pre_save.connect(_remember_owner_plans, sender=Owner, dispatch_uid="page_cache:Owner")
    pre_delete.connect(_remember_owner_plans, sender=Owner, dispatch_uid="page_cache:Owner")
    post_save.connect(_owner_changed, sender=Owner, dispatch_uid="page_cache:Owner")
    post_delete.connect(_owner_changed, sender=Owner, dispatch_uid="page_cache:Owner")
    # Organisations and reports are shown on the pages that span plans (the national report
    # lists every organisation, with or without a plan, and every recommendation of a report).
    for model in (Organisation, Report, ReportRecommendation):
        uid = f"page_cache:{model.__name__}"
        post_save.connect(_site_changed, sender=model, dispatch_uid=uid)
        post_delete.connect(_site_changed, sender=model, dispatch_uid=uid)
    User = get_user_model()
    post_save.connect(_user_saved, sender=User, dispatch_uid="page_cache:User")
    post_delete.connect(_user_deleted, sender=User, dispatch_uid="page_cache:User")
