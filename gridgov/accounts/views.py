from django.conf import settings
from django.contrib.auth import views as auth_views

from gridgov.accounts.forms import LoginForm


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if settings.GRIDGOV_SHOW_DEMO_ACCOUNTS:
            from gridgov.demo.accounts import DEMO_ACCOUNTS

            context["demo_accounts"] = DEMO_ACCOUNTS
            context["demo_password"] = settings.GRIDGOV_DEMO_PASSWORD
        return context


class LogoutView(auth_views.LogoutView):
    pass
