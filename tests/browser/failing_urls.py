"""The site's pages plus one that fails, to see the 500 page in a browser."""

from django.contrib.auth.decorators import login_not_required
from django.urls import include, path


@login_not_required
def fail(request):
    raise RuntimeError("A failure made on purpose by a test.")


urlpatterns = [path("fail/", fail), path("", include("actionplan.urls"))]
