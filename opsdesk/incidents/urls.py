from django.urls import path

from opsdesk.incidents import mail_views, views
from opsdesk.incidents.attachments import views as attachment_views
from opsdesk.incidents.escalations import views as escalation_views
from opsdesk.incidents.rca import views as rca_views

app_name = "incidents"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("new/", views.log, name="log"),
    path("checklist/", views.checklist, name="checklist_list"),
    path("checklist/new/", views.checklist_create, name="checklist_create"),
    path("checklist/<int:pk>/edit/", views.checklist_update, name="checklist_update"),
    path("email-triage/", mail_views.email_triage_list, name="email_triage_list"),
    path("email-triage/<int:pk>/", mail_views.email_triage_detail, name="email_triage_detail"),
    path("email-triage/<int:pk>/take/", mail_views.email_triage_take, name="email_triage_take"),
    path("email-triage/<int:pk>/dismiss/", mail_views.email_triage_dismiss, name="email_triage_dismiss"),
    path("email-triage/<int:pk>/open/", mail_views.email_triage_open_incident, name="email_triage_open"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/history/", views.history, name="history"),
    path("<int:pk>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("<int:pk>/investigate/", views.investigate, name="investigate"),
    path("<int:pk>/await-customer/", views.await_customer, name="await_customer"),
    path("<int:pk>/resume/", views.resume, name="resume"),
    path("<int:pk>/resolve/", views.resolve, name="resolve"),
    path("<int:pk>/close/", views.close, name="close"),
    path("<int:pk>/notes/", views.note, name="note"),
    path("<int:pk>/calls/", views.call, name="call"),
    path("<int:pk>/assign/", views.assign, name="assign"),
    path("<int:pk>/priority/", views.change_priority, name="priority"),
    path("<int:pk>/escalate/", views.escalate, name="escalate"),
    path("<int:pk>/rca/request/", views.rca_request, name="rca_request"),
    path("escalations/<int:pk>/acknowledge/", views.escalation_acknowledge, name="escalation_acknowledge"),
    path("escalations/<int:pk>/respond/", views.escalation_respond, name="escalation_respond"),
    path("escalations/<int:pk>/close/", views.escalation_close, name="escalation_close"),
    path("rcas/", rca_views.rca_list, name="rca_list"),
    path("rcas/<int:pk>/", rca_views.rca_detail, name="rca_detail"),
    path("rcas/<int:pk>/edit/", rca_views.rca_edit, name="rca_edit"),
    path("rcas/<int:pk>/history/", rca_views.rca_history, name="rca_history"),
    path("rcas/<int:pk>/actions/", rca_views.rca_action_add, name="rca_action_add"),
    path("rcas/<int:pk>/submit/", rca_views.rca_submit, name="rca_submit"),
    path("rcas/<int:pk>/accept/", rca_views.rca_accept, name="rca_accept"),
    path("rca-actions/<int:pk>/done/", rca_views.rca_action_done, name="rca_action_done"),
    path("<int:pk>/attachments/", attachment_views.upload, name="attachment_upload"),
    path("rcas/<int:pk>/attachments/", attachment_views.upload_to_rca, name="rca_attachment_upload"),
    path("attachments/<int:pk>/download/", attachment_views.download, name="attachment_download"),
    path("attachments/<int:pk>/remove/", attachment_views.remove, name="attachment_remove"),
    path("escalation-matrix/", escalation_views.escalation_matrix, name="escalation_matrix"),
    path("escalations/", escalation_views.escalation_worklist, name="escalation_worklist"),
]
