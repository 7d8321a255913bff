"""A real SMTP server on 127.0.0.1 for tests (aiosmtpd in a thread of the test process): it keeps
every message it accepts, and can refuse messages (451) or go away and come back."""

from __future__ import annotations

import email
import socket
from email.message import EmailMessage
from email.policy import default

from aiosmtpd.controller import Controller


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Handler:
    def __init__(self, server: SmtpServer):
        self.server = server

    async def handle_DATA(self, smtp, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        if self.server.refusing:
            return "451 4.3.0 Try again later"
        message = email.message_from_bytes(envelope.content, policy=default)
        self.server.received.append(message)
        return "250 OK"


class SmtpServer:
    """`server.start()`, then `server.received` (email.message.EmailMessage, as sent),
    `server.refusing = True` (every message refused with 451), `server.stop()`."""

    def __init__(self):
        self.port = _free_port()
        self.received: list[EmailMessage] = []
        self.refusing = False
        self._controller: Controller | None = None

    def start(self) -> SmtpServer:
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def settings(self) -> dict:
        """The email settings EMAIL_URL=smtp://127.0.0.1:<port> gives."""
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": self.port,
            "EMAIL_HOST_USER": "",
            "EMAIL_HOST_PASSWORD": "",
            "EMAIL_USE_TLS": False,
            "EMAIL_USE_SSL": False,
            "EMAIL_TIMEOUT": 5,
        }
