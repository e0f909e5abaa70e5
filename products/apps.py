from django.apps import AppConfig


class ProductsConfig(AppConfig):
    name = "products"

    def ready(self):
        from products import signal_handlers

        signal_handlers.register()
