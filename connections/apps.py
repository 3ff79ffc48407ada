from django.apps import AppConfig


class ConnectionsConfig(AppConfig):
    name = "connections"
    verbose_name = "Harbor"

    def ready(self) -> None:
        from connections import signals  # noqa: F401 (registers the receivers)
