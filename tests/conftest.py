import pytest
from django.core.cache import cache

from recommendations import demo
from tests.factories import OwnerFactory, UserFactory


@pytest.fixture(autouse=True)
def quick_passwords(settings):
    """Every test hashes passwords cheaply: accounts are made and signed in all the time, and
    the deliberately slow production hasher would take most of the run."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploaded files go to a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def empty_page_cache():
    """Each test starts with no cached pages: a rolled-back database brings old revision
    tokens back, under which another test's pages may be cached."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def lead(db):
    """A lead with an owner record linked to their account."""
    user = UserFactory(username="lead-owner", role="Lead")
    OwnerFactory(name="Owning Lead", user=user)
    return user


@pytest.fixture
def colleague(db):
    user = UserFactory(username="lead-colleague", role="Lead")
    OwnerFactory(name="Colleague Lead", user=user)
    return user


@pytest.fixture
def executive(db):
    return UserFactory(username="executive", role="Executive")


@pytest.fixture
def administrator(db):
    return UserFactory(username="administrator", role="Administrator")


@pytest.fixture
def outsider(db):
    """Signed in, but with no role in any plan."""
    return UserFactory(username="outsider")


@pytest.fixture
def demo_plan(db):
    accounts = demo.load_accounts()
    return demo.load_plan(accounts=accounts, by=accounts["admin"])


@pytest.fixture
def lead_client(client, lead):
    client.force_login(lead)
    return client
