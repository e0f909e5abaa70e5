"""Every request body is read to its end before the answer leaves, also when the app answered
without it: a refused API token, a missing CSRF token, a size limit.

gunicorn skips at most 64 KiB of a body the app left unread, then closes the connection with
the rest still arriving. Closing a socket with unread data makes the kernel reset the
connection, and nginx, still writing the body to it, reports 502 instead of the app's answer,
and counts the app server as failed: after one such request nginx sent no request to it for
10 seconds ("no live upstreams" when every app server had one). Seen with a 20 MiB POST to
the import API with a bad token, and to the admin's import form without a CSRF token
(tests/scale/test_two_nodes.py).

nginx takes every body whole before passing it on (cms/deploy/nginx/catalogue.conf), so the
rest arrives at loopback speed: reading it costs an app thread a moment, never a slow client's
upload time.
"""

from django.conf import settings
from django.http import UnreadablePostError

CHUNK = 64 * 1024


def announced_length(request):
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


class ReadWholeBodyMiddleware:
    """First in MIDDLEWARE, so that it sees every answer, the other middleware's too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # No URL takes a larger body (nginx refuses one first); a client that announces more,
        # reaching the app server directly, gets its connection closed.
        if announced_length(request) <= settings.CATALOGUE_IMPORT_MAX_UPLOAD_SIZE:
            try:
                while request.read(CHUNK):
                    pass
            except UnreadablePostError:
                pass  # the client went away: nothing left to protect
        return response
