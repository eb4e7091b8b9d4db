"""Sign-in throttling."""

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from django.conf import settings
from django.db.models import Sum


class ThrottledSignInBackend(AxesStandaloneBackend):
    """Refuses sign-in for a while after repeated failures for a username from one address,
    or from one address across usernames.

    Only sign-ins made through a request (the sign-in page, the admin) are throttled;
    programmatic ones (management commands, the test client) have no request to judge.
    """

    def authenticate(self, request, *args, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, *args, **kwargs)


class SignInAttempts(AxesDatabaseHandler):
    """django-axes' record of failed sign-ins, each lockout parameter with its own limit.

    AXES_LOCKOUT_PARAMETERS lists the username and address together first, then the address
    alone. Axes compares one count with one limit; here the address's count across usernames
    reaches that limit only when it reaches SIGN_IN_ADDRESS_FAILURE_LIMIT, so one account's
    five failures lock that account at that address, and spraying many accounts from one
    address locks the address, while a few colleagues' typos behind one address lock nobody.
    """

    def get_failures(self, request, credentials: dict | None = None) -> int:
        account, address = (
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        if address >= settings.SIGN_IN_ADDRESS_FAILURE_LIMIT:
            return max(account, get_failure_limit(request, credentials))
        return account
