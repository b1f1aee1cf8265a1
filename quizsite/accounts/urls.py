from django.contrib.auth import views as auth_views
from django.urls import path

from quizsite.accounts import views

urlpatterns = [
    path("signup/", views.signup, name="accounts-signup"),
    path("login/", auth_views.LoginView.as_view(), name="accounts-login"),
    path("logout/", auth_views.LogoutView.as_view(), name="accounts-logout"),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(success_url="/accounts/password/done/"),
        name="accounts-password-change",
    ),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(), name="accounts-password-change-done"),
]
