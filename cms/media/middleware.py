"""An upload the media storage refused gets a 503 that says so, not a server error.

(Imports catch it themselves: their report names the file and says nothing was kept.)
"""

from django.http import HttpResponse
from django.utils.html import escape

from cms.media.models import MediaStorageUnavailable


class StorageUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, MediaStorageUnavailable):
            return None
        return HttpResponse(
            "<!DOCTYPE html><title>Media storage unavailable</title>"
            f"<h1>Media storage unavailable</h1><p>{escape(str(exception))}</p>",
            status=503,
            headers={"Retry-After": "30", "Cache-Control": "no-store"},
        )
