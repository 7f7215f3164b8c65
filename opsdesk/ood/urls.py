from django.urls import path

from opsdesk.ood import views

app_name = "ood"
urlpatterns = [
    *views.OFFERINGS.paths("offerings/"),
    path("offerings/<int:pk>/rates/new/", views.offering_rate_create, name="offering_rate_create"),
    *views.REQUESTS.paths("requests/", create=views.request_create, detail=views.request_detail, update=None),
    path("requests/<int:pk>/approve/", views.request_approve, name="request_approve"),
    path("requests/<int:pk>/deny/", views.request_deny, name="request_deny"),
    *views.ENGAGEMENTS.paths("engagements/", create=None, update=None),
    path("engagements/<int:pk>/start/", views.engagement_start, name="engagement_start"),
    path("engagements/<int:pk>/agree-start/", views.engagement_agree_start, name="engagement_agree_start"),
    path("engagements/<int:pk>/time/new/", views.time_entry_create, name="time_entry_create"),
    path("engagements/<int:pk>/modify/", views.modification_create, name="modification_create"),
    *views.MODIFICATIONS.paths("modifications/", create=None, update=None, detail=views.modification_detail),
    path("modifications/<int:pk>/approve/", views.modification_approve, name="modification_approve"),
    path("modifications/<int:pk>/scoping/", views.modification_scoping, name="modification_scoping"),
    path("modifications/<int:pk>/deny/", views.modification_deny, name="modification_deny"),
    path("balance/", views.balance, name="balance"),
    path("statements/<int:pk>/", views.statement, name="statement"),
    path("statements/<int:pk>/csv/", views.statement_csv, name="statement_csv"),
    path("statements/<int:pk>/pdf/", views.statement_pdf, name="statement_pdf"),
    path("statements/<int:pk>/close/", views.statement_close, name="statement_close"),
]
