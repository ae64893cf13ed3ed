"""Staff sign-in and sign-out for the console. The form is the admin's throttled one
(:mod:`tidings.core.login`): it refuses non-staff and says when too many attempts failed."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from tidings.core.login import ThrottledLoginForm


class LoginView(auth_views.LoginView):
    template_name = "console/login.html"
    authentication_form = ThrottledLoginForm
    redirect_authenticated_user = False

    def get_default_redirect_url(self) -> str:
        return "/console/"


login = LoginView.as_view()


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    from django.contrib.auth import logout as end_session

    end_session(request)
    return redirect("console-login")
