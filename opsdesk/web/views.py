"""Sign-in/out and the landing page: the staff desk dashboard or the customer portal home (L4)."""

from django.contrib.auth import views as auth_views
from django.shortcuts import render

from opsdesk.web import selectors
from opsdesk.web.forms import LoginForm
from opsdesk.web.ui import ui_view


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


login = LoginView.as_view()
logout = auth_views.LogoutView.as_view()


@ui_view
def home(request):
    if request.user.is_provider_staff:
        return render(request, "web/home_staff.html", selectors.staff_dashboard(user=request.user))
    return render(request, "web/home_customer.html", selectors.customer_home(user=request.user))
