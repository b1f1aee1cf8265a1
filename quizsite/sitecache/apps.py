from django.apps import AppConfig


class SiteCacheConfig(AppConfig):
    """The content version (bumped whenever content changes) and the responses cached under it."""

    name = "quizsite.sitecache"
    label = "sitecache"
    verbose_name = "Content cache"

    def ready(self) -> None:
        from quizsite.sitecache.signals import connect

        connect()
