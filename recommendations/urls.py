from django.urls import path

from .views import (
    collation,
    dashboard,
    deadlines,
    evidence,
    health,
    imports,
    national,
    plans,
    public,
    returns,
    work,
)

urlpatterns = [
    path("", plans.home, name="home"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("work/", work.my_work, name="my_work"),
    path("sign-off/", work.sign_off_queue, name="sign_off_queue"),
    path("sign-off/<int:update_id>/", work.queue_decide, name="queue_decide"),
    path("plans/", plans.plan_list, name="plan_list"),
    path("plans/import/", imports.import_upload, name="import_upload"),
    path("plans/import/confirm/", imports.import_confirm, name="import_confirm"),
    path("plans/<slug:slug>/", plans.plan_table, name="plan_table"),
    path("plans/<slug:slug>/return.xlsx", returns.return_xlsx, name="return_xlsx"),
    path("plans/<slug:slug>/return.pdf", returns.return_pdf, name="return_pdf"),
    path("plans/<slug:slug>/return.json", returns.return_json, name="return_json"),
    path("plans/<slug:slug>/return.csv", returns.return_csv, name="return_csv"),
    path(
        "plans/<slug:slug>/returns/<uuid:task_id>/",
        returns.return_progress,
        name="return_progress",
    ),
    path(
        "plans/<slug:slug>/returns/<uuid:task_id>/download/",
        returns.return_file,
        name="return_file",
    ),
    path(
        "plans/<slug:slug>/recommendations/<str:number>/",
        plans.recommendation_detail,
        name="recommendation_detail",
    ),
    path(
        "plans/<slug:slug>/recommendations/<str:number>/periods/<int:period_id>/update/",
        plans.update_edit,
        name="update_edit",
    ),
    path(
        "plans/<slug:slug>/recommendations/<str:number>/periods/<int:period_id>/sign-off/",
        plans.update_sign_off,
        name="update_sign_off",
    ),
    path(
        "plans/<slug:slug>/recommendations/<str:number>/periods/<int:period_id>/evidence/",
        evidence.evidence_upload,
        name="evidence_upload",
    ),
    path(
        "plans/<slug:slug>/evidence/<int:evidence_id>/download/",
        evidence.evidence_download,
        name="evidence_download",
    ),
    path(
        "plans/<slug:slug>/evidence/<int:evidence_id>/remove/",
        evidence.evidence_remove,
        name="evidence_remove",
    ),
    path(
        "plans/<slug:slug>/recommendations/<str:number>/due-date/",
        deadlines.due_date_edit,
        name="due_date_edit",
    ),
    path(
        "national/<slug:report_slug>/returns/",
        collation.national_returns,
        name="national_returns",
    ),
    path(
        "national/<slug:report_slug>/returns/upload/",
        collation.national_return_upload,
        name="national_return_upload",
    ),
    path("national/", national.national_index, name="national_index"),
    path("national/<slug:report_slug>/", national.national_report, name="national_report"),
    path("national/<slug:report_slug>/progress.xlsx", national.national_xlsx, name="national_xlsx"),
    path("national/<slug:report_slug>/progress.pdf", national.national_pdf, name="national_pdf"),
    path(
        "public/national/<slug:report_slug>/",
        national.public_national,
        name="public_national",
    ),
    path("public/<slug:slug>/", public.public_plan, name="public_plan"),
    path("public/<slug:slug>/return.json", public.public_return_json, name="public_return_json"),
    path("public/<slug:slug>/return.csv", public.public_return_csv, name="public_return_csv"),
    path("healthz", health.healthz, name="healthz"),
]
