from django.urls import path

from opsdesk.incidents import views

app_name = "incidents"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("new/", views.log, name="log"),
    path("checklist/", views.checklist, name="checklist"),
    path("checklist/new/", views.checklist_create, name="checklist_create"),
    path("checklist/<int:pk>/edit/", views.checklist_update, name="checklist_update"),
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
]
