from django.apps import AppConfig


class RecommendationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "recommendations"
    verbose_name = "Action plans"

    def ready(self) -> None:
        from . import page_cache, roles

        page_cache.connect()
        roles.connect()
