from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from products.models import ProductCategory


class ProductCategoryViewSet(SnippetViewSet):
    model = ProductCategory
    icon = "tag"
    menu_label = "Categories"
    add_to_admin_menu = True
    menu_order = 210
    list_display = ["name", "slug"]
    search_fields = ["name"]


register_snippet(ProductCategoryViewSet)
