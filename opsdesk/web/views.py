from django.contrib.auth import views as auth_views
from django.http import HttpResponse

login = auth_views.LoginView.as_view()


def home(request):
    return HttpResponse("opsdesk")
