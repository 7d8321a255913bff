"""Deploy checks (`manage.py check --deploy`) for what price alerts need in production."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def check_alert_email(app_configs, **kwargs):
    problems = []
    if settings.EMAIL_BACKEND.endswith("console.EmailBackend"):
        problems.append(
            Warning(
                "EMAIL_URL is not set: price-alert emails are written to the console (the log) "
                "instead of being sent.",
                hint="Set EMAIL_URL, e.g. smtp+tls://user:password@mail.example:587.",
                id="metrics.W001",
            )
        )
    if not settings.SITE_URL.startswith("https://"):
        problems.append(
            Warning(
                "SITE_URL is not https: alert emails' one-click unsubscribe (RFC 8058) needs an "
                "https List-Unsubscribe URL.",
                id="metrics.W002",
            )
        )
    return problems
