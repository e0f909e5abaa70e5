from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import AdminOnlyMenuItem

from cms.media.views import media_health


@hooks.register("register_admin_urls")
def register_media_health_url():
    return [path("reports/media-health/", media_health, name="media_health")]


@hooks.register("register_reports_menu_item")
def register_media_health_menu_item():
    return AdminOnlyMenuItem(
        "Media health",
        reverse("media_health"),
        name="media-health",
        icon_name="image",
        order=900,
    )
