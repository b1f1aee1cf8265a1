"""Who is asking: the client's address, read the same way by the login throttles and DRF's throttles.

`X-Forwarded-For` is believed only when NUM_PROXIES says how many proxies of ours stand in front of the
site: the address is then the one the outermost of our proxies saw (the NUM_PROXIES-th from the right).
With NUM_PROXIES=0 (the default) the header is ignored, so a client cannot pick a fresh address per request.
"""

from django.conf import settings
from django.http import HttpRequest
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


def client_address(request: HttpRequest) -> str:
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.NUM_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies <= 0 or not forwarded:
        return remote
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    return hops[-min(proxies, len(hops))] if hops else remote


class ClientAddressMixin:
    """DRF throttles keyed by `client_address` instead of DRF's own reading of the headers."""

    def get_ident(self, request) -> str:
        return client_address(request)


class AnonThrottle(ClientAddressMixin, AnonRateThrottle):
    pass


class UserThrottle(ClientAddressMixin, UserRateThrottle):
    pass
