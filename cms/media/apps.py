from django.apps import AppConfig


class MediaConfig(AppConfig):
    name = "cms.media"
    label = "media"
    verbose_name = "Media library"
