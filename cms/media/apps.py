from django.apps import AppConfig
from django.conf import settings


class MediaConfig(AppConfig):
    name = "cms.media"
    label = "media"
    verbose_name = "Media library"

    def ready(self):
        from PIL import Image

        from cms import index_batch
        from cms.media import cache_refresh, references

        cache_refresh.register()
        references.register()
        index_batch.register()

        # Pillow's own decompression-bomb guard agrees with the site's limit.
        Image.MAX_IMAGE_PIXELS = settings.WAGTAILIMAGES_MAX_IMAGE_PIXELS
