"""Local development: DEBUG on, so Django serves media and static files itself."""

from .base import *

DEBUG = True
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
