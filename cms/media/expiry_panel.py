"""The admin dashboard's "Image rights" panel: images the expiry job found expired in the
last 30 days (cms/media/expiry.py) and those whose last day comes within 30 days, each with a
link to its edit page.

Wagtail has no notification inbox in the admin (its notifications are e-mails about
moderation), so the notice is a dashboard panel, shown to Moderators and superusers, who
manage all media and publish the pages that use it. Editors do not see it: they cannot
change the images of live pages (cms/media/permissions.py).
"""

from wagtail.admin.ui.components import Component

from cms.media.expiry import recent_notices
from cms.media.health import EXPIRING_SOON_DAYS, images_expiring_soon

MODERATORS = "Moderators"  # the role of products/migrations/0003_editor_roles.py
SHOWN_AT_MOST = 20


def sees_expiry_notices(user):
    return user.is_active and (user.is_superuser or user.groups.filter(name=MODERATORS).exists())


class ImageExpiryPanel(Component):
    name = "image_expiry"
    template_name = "media/expiry_panel.html"
    order = 205  # above the moderation panels: what went off the site comes first

    def get_context_data(self, parent_context):
        context = super().get_context_data(parent_context)
        context.update(
            expired=list(recent_notices()[:SHOWN_AT_MOST]),
            expiring=list(images_expiring_soon()[:SHOWN_AT_MOST]),
            days=EXPIRING_SOON_DAYS,
            request=parent_context["request"],
        )
        return context
