from django.apps import AppConfig


class SigningConfig(AppConfig):
    name = "signing"
    verbose_name = "电子签章 Signing"
