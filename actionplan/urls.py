from django.contrib import admin
from django.urls import include, path

from actionplan import oidc

admin.site.site_header = "Action plan tracker administration"
admin.site.site_title = "Action plan tracker"

urlpatterns = [
    path("sign-in/", oidc.SignInView.as_view(), name="login"),
    path("sign-out/", oidc.SignOutView.as_view(), name="logout"),
    # Single sign-on: the start (to the provider) and the callback (back from it).
    path("oidc/authenticate/", oidc.SignInStartView.as_view(), name="oidc_authentication_init"),
    path("oidc/callback/", oidc.SignInCallbackView.as_view(), name="oidc_authentication_callback"),
    path("admin/login/", oidc.admin_sign_in),
    path("admin/", admin.site.urls),
    path("", include("recommendations.urls")),
]
