from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("plans/", views.plan_list, name="plan_list"),
    path("plans/<slug:slug>/", views.plan_table, name="plan_table"),
    path(
        "plans/<slug:slug>/recommendations/<str:number>/",
        views.recommendation_detail,
        name="recommendation_detail",
    ),
    path(
        "plans/<slug:slug>/recommendations/<str:number>/periods/<int:period_id>/update/",
        views.update_edit,
        name="update_edit",
    ),
    path(
        "plans/<slug:slug>/recommendations/<str:number>/periods/<int:period_id>/sign-off/",
        views.update_sign_off,
        name="update_sign_off",
    ),
]
