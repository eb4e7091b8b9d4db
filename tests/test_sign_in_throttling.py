"""Sign-in throttling counts the client's address, behind proxies too, per account and across
accounts."""

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from actionplan.settings import client_address_settings
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

ADDRESS_A = "198.51.100.10"
ADDRESS_B = "198.51.100.20"
PROXY = "127.0.0.1"


def sign_in(client, username: str, password: str, **meta: str):
    return client.post(reverse("login"), {"username": username, "password": password}, **meta)


def signed_in(response) -> bool:
    return response.status_code == 302


@pytest.fixture
def behind_one_proxy(settings):
    proxy_count, header_order = client_address_settings(1)
    settings.AXES_IPWARE_PROXY_COUNT = proxy_count
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = header_order


@pytest.fixture
def no_proxy(settings):
    proxy_count, header_order = client_address_settings(0)
    settings.AXES_IPWARE_PROXY_COUNT = proxy_count
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = header_order


def test_failures_from_one_address_do_not_lock_the_account_out_from_another(client, no_proxy):
    UserFactory(username="target", role="Lead")
    for _ in range(5):
        assert not signed_in(sign_in(client, "target", "wrong", REMOTE_ADDR=ADDRESS_A))

    assert sign_in(client, "target", PASSWORD, REMOTE_ADDR=ADDRESS_A).status_code == 429
    assert signed_in(sign_in(client, "target", PASSWORD, REMOTE_ADDR=ADDRESS_B))


def test_spraying_many_usernames_from_one_address_is_throttled(client, settings, no_proxy):
    limit = settings.SIGN_IN_ADDRESS_FAILURE_LIMIT
    assert limit > settings.AXES_FAILURE_LIMIT
    UserFactory(username="sprayed", role="Lead")
    for number in range(limit):
        # One guess per account: no single account reaches its own limit.
        response = sign_in(client, f"officer{number}", "Winter2026!", REMOTE_ADDR=ADDRESS_A)
        assert not signed_in(response)

    refused = sign_in(client, "sprayed", PASSWORD, REMOTE_ADDR=ADDRESS_A)
    assert refused.status_code == 429
    assert "_auth_user_id" not in client.session
    # Others elsewhere sign in as usual.
    assert signed_in(sign_in(client, "sprayed", PASSWORD, REMOTE_ADDR=ADDRESS_B))


def test_a_few_failures_across_accounts_from_one_address_lock_nobody_out(client, no_proxy):
    """A force's staff often share one address: colleagues' typos must not lock them all out."""
    UserFactory(username="colleague", role="Lead")
    for number in range(6):
        sign_in(client, f"typist{number}", "wrong", REMOTE_ADDR=ADDRESS_A)
    assert signed_in(sign_in(client, "colleague", PASSWORD, REMOTE_ADDR=ADDRESS_A))


def test_behind_one_proxy_the_forwarded_client_is_the_one_counted(client, behind_one_proxy):
    UserFactory(username="target", role="Lead")
    for _ in range(5):
        sign_in(client, "target", "wrong", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=ADDRESS_A)

    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ADDRESS_A}
    locked = sign_in(client, "target", PASSWORD, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=ADDRESS_A)
    assert locked.status_code == 429
    # The same account through the same proxy from another client is not locked out.
    assert signed_in(
        sign_in(client, "target", PASSWORD, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=ADDRESS_B)
    )


def test_behind_a_proxy_an_address_the_client_forged_is_not_the_one_counted(
    client, behind_one_proxy
):
    """The proxy appends the address it saw; whatever the client wrote before it is ignored."""
    sign_in(
        client,
        "target",
        "wrong",
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=f"192.0.2.99, {ADDRESS_A}",
    )
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [ADDRESS_A]


def test_without_proxies_forwarded_headers_are_ignored(client, no_proxy):
    sign_in(client, "target", "wrong", REMOTE_ADDR=ADDRESS_A, HTTP_X_FORWARDED_FOR=ADDRESS_B)
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [ADDRESS_A]


def test_proxy_count_from_the_environment_reaches_the_throttle():
    from tests.test_security import run_django

    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.AXES_IPWARE_PROXY_COUNT, settings.AXES_IPWARE_META_PRECEDENCE_ORDER)"
    )
    assert run_django(["-c", code], PROXY_COUNT="0").stdout.split("\n")[0] == (
        "None ('REMOTE_ADDR',)"
    )
    assert run_django(["-c", code], PROXY_COUNT="2").stdout.split("\n")[0] == (
        "1 ('HTTP_X_FORWARDED_FOR', 'REMOTE_ADDR')"
    )
