from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from rest_framework.authtoken.models import Token

from quizsite.accounts.authentication import token_expires_at
from quizsite.accounts.forms import SignupForm
from quizsite.accounts.models import UserSession, log_out_everywhere


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if request.method == "POST":
        form = SignupForm(request.POST)
        if form.is_valid():
            user = form.save()
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome, {user.username}. Your progress is saved from now on.")
            if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
                return redirect(next_url)
            return redirect("home")
    else:
        form = SignupForm()
    return render(request, "registration/signup.html", {"form": form, "next": next_url})


@login_required
def security(request: HttpRequest) -> HttpResponse:
    """Your API tokens (with "revoke") and your signed-in sessions (with "log out everywhere")."""
    tokens = [{"prefix": t.key[:6], "created": t.created, "expires_at": token_expires_at(t)}
              for t in Token.objects.filter(user=request.user)]
    sessions = UserSession.objects.filter(user=request.user).count()
    return render(request, "registration/security.html",
                  {"tokens": tokens, "sessions": sessions, "ttl_days": settings.API_TOKEN_TTL_DAYS})


@login_required
@require_POST
def token_revoke(request: HttpRequest) -> HttpResponse:
    prefix = request.POST.get("token", "")
    deleted, _ = Token.objects.filter(user=request.user, key__startswith=prefix).delete() if prefix else (0, None)
    if deleted:
        messages.success(request, "Token revoked: it no longer works.")
    return redirect("accounts-security")


@login_required
@require_POST
def logout_everywhere(request: HttpRequest) -> HttpResponse:
    ended = log_out_everywhere(request.user)
    logout(request)
    messages.success(request, f"Logged out of {ended} session{'s' if ended != 1 else ''}; API tokens revoked.")
    return redirect("home")
