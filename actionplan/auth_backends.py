"""Sign-in throttling."""

from axes.backends import AxesStandaloneBackend


class ThrottledSignInBackend(AxesStandaloneBackend):
    """Refuses sign-in for a while after repeated failures for a username from one address.

    Only sign-ins made through a request (the sign-in page, the admin) are throttled;
    programmatic ones (management commands, the test client) have no request to judge.
    """

    def authenticate(self, request, *args, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, *args, **kwargs)
