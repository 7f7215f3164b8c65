from django.urls import path

from opsdesk.directory import views

app_name = "directory"
urlpatterns = [
    *views.ORGANISATIONS.paths("organisations/"),
    *views.ACCOUNTS.paths("accounts/"),
    *views.CONTACTS.paths("contacts/"),
    path("contacts/<int:pk>/verify/", views.contact_verify, name="contact_verify"),
    path("contacts/<int:pk>/consent/", views.contact_consent, name="contact_consent"),
    path(
        "contacts/<int:pk>/withdraw-consent/", views.contact_withdraw_consent, name="contact_withdraw_consent"
    ),
    path("contacts/<int:pk>/retire/", views.contact_retire, name="contact_retire"),
    *views.SERVICES.paths("services/"),
    path("services/<int:service_pk>/runbooks/new/", views.runbook_create, name="runbook_create"),
    path("runbooks/<int:pk>/edit/", views.runbook_update, name="runbook_update"),
    path("runbooks/<int:pk>/history/", views.runbook_history, name="runbook_history"),
    *views.USERS.paths("users/"),
]
