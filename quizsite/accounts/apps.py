from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "quizsite.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from quizsite import checks  # noqa: F401 - registers the site's deployment checks
