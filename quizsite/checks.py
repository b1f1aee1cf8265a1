"""The site's own lines in `manage.py check --deploy`: what breaks once the site runs on several hosts."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def secret_key_from_the_environment(app_configs, **kwargs) -> list[Warning]:
    """A key generated into .secret_key is this machine's alone: behind a load balancer, a session or CSRF
    token signed by one host would be refused by the next. Production sets SECRET_KEY, the same everywhere."""
    if getattr(settings, "SECRET_KEY_SOURCE", "environment") != "file":
        return []
    return [Warning(
        "SECRET_KEY was generated into a file on this machine.",
        hint="Set SECRET_KEY in the environment, the same value on every web and lab-worker host "
             "(docs/deploy.md); each host would otherwise sign sessions and CSRF tokens with a key of its own.",
        id="quizsite.W001",
    )]
