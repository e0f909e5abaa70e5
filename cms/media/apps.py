from django.apps import AppConfig
from django.conf import settings


class MediaConfig(AppConfig):
    name = "cms.media"
    label = "media"
    verbose_name = "Media library"

    def ready(self):
        from django.db.models.signals import post_delete
        from PIL import Image

        from cms import index_batch
        from cms.media import cache_refresh, document_versions, previews, references

        cache_refresh.register()
        post_delete.connect(document_versions.delete_version_file, sender="media.DocumentVersion")
        references.register()
        index_batch.register()
        previews.register()

        # Pillow's own decompression-bomb guard agrees with the site's limit.
        Image.MAX_IMAGE_PIXELS = settings.WAGTAILIMAGES_MAX_IMAGE_PIXELS
