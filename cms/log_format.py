"""Log records as one JSON object per line (production's LOGGING, cms/settings/production.py).

gunicorn's error log is read line by line: a traceback spread over many lines would be torn
apart and interleaved with other workers' lines. Here every record, traceback included, is
one line; its line breaks are escaped by JSON.
"""

import json
import logging


class JSONLineFormatter(logging.Formatter):
    """`{"time", "level", "logger", "message", "status", "method", "path", "exception"}`,
    the last four only when the record has them."""

    def format(self, record):
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        # django.request adds the response's status and the request.
        if getattr(record, "status_code", None):
            entry["status"] = record.status_code
        request = getattr(record, "request", None)
        if hasattr(request, "method") and hasattr(request, "path"):
            entry["method"], entry["path"] = request.method, request.path
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str)
