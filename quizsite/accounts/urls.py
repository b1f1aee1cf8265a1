from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from quizsite.accounts import views
from quizsite.accounts.throttles import LOGIN, SIGNUP, throttled

urlpatterns = [
    path("signup/", throttled(SIGNUP, every_attempt=True)(views.signup), name="accounts-signup"),
    path("login/", throttled(LOGIN)(auth_views.LoginView.as_view()), name="accounts-login"),
    path("logout/", auth_views.LogoutView.as_view(), name="accounts-logout"),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(success_url="/accounts/password/done/"),
        name="accounts-password-change",
    ),
    path("security/", views.security, name="accounts-security"),
    path("security/tokens/revoke", views.token_revoke, name="accounts-token-revoke"),
    path("security/logout-everywhere", views.logout_everywhere, name="accounts-logout-everywhere"),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(), name="accounts-password-change-done"),
    # accounts-password-reset-
    path(
        "password/reset/",
        auth_views.PasswordResetView.as_view(
            success_url=reverse_lazy("accounts-password-reset-done"),
            email_template_name="registration/password_reset_email.txt",
            subject_template_name="registration/password_reset_subject.txt",
        ),
        name="accounts-password-reset",
    ),
    path("password/reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="accounts-password-reset-done"),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(success_url=reverse_lazy("accounts-password-reset-complete")),
        name="accounts-password-reset-confirm",
    ),
    path("password/reset/done/", auth_views.PasswordResetCompleteView.as_view(),
         name="accounts-password-reset-complete"),
]
