"""Signing in to the admin: who the client is (for django-axes' throttling), what a locked-out
client sees, and the published demo password, which never signs anyone in with DEBUG off.
Settings: AXES_* and AUTHENTICATION_BACKENDS in cms/settings/base.py.
"""

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from wagtail.admin import messages
from wagtail.admin.views.account import get_user_login_form


def client_ip(request):
    """The client's address as the first trusted proxy saw it.

    With TRUSTED_PROXY_COUNT proxies in front (nginx: 1), each appends the address it was
    reached from to X-Forwarded-For, so the client is the entry that many places from the
    right; anything further left was sent by the client and may be forged. With no proxy
    (development, tests) the header is ignored and the peer address is used."""
    count = settings.TRUSTED_PROXY_COUNT
    if count:
        forwarded = [
            address.strip()
            for address in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if address.strip()
        ]
        if len(forwarded) >= count:
            return forwarded[-count]
    return request.META.get("REMOTE_ADDR")


def lockout_message():
    seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    wait = f"{seconds // 60} minutes" if seconds >= 120 else f"{seconds} seconds"
    return (
        f"Too many failed sign-in attempts for this account from your address: signing in "
        f"is blocked for {wait}. Try again later, or ask an administrator."
    )


def lockout_response(request, original_response=None, credentials=None):
    """Wagtail's sign-in page again, saying why signing in is refused, with HTTP 429."""
    if request.path != reverse("wagtailadmin_login"):
        return HttpResponse(lockout_message(), status=429, content_type="text/plain")
    messages.error(request, lockout_message())
    # Rendered here: the middleware that asks for this response runs after the view's.
    return render(
        request, "wagtailadmin/login.html", {"form": get_user_login_form()(request)}, status=429
    )


class DemoPasswordRefusingBackend(ModelBackend):
    """Django's username-and-password backend, except that the demo password the README
    publishes (`load_demo`'s default) signs nobody in unless DEBUG is on: a demo superuser
    copied into production, or created there by mistake, stays locked."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not settings.DEBUG and password == settings.PUBLISHED_DEMO_PASSWORD:
            # PermissionDenied stops Django from asking any later backend.
            raise PermissionDenied("The published demo password is refused with DEBUG off.")
        return super().authenticate(request, username=username, password=password, **kwargs)
