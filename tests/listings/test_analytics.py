from unittest import mock

import pytest
from django.test import override_settings

from listings import analytics


@pytest.fixture
def posthog_class():
    analytics._clients.clear()
    with mock.patch.object(analytics, "Posthog") as cls:
        yield cls
    analytics._clients.clear()


def test_sends_the_event_with_its_properties_when_a_key_is_set(posthog_class):
    with override_settings(POSTHOG_API_KEY="phc_test", POSTHOG_HOST="https://eu.i.posthog.com"):
        analytics.capture_event(event="refresh_listings", distinct_id="server", properties={"a": 1})

    posthog_class.assert_called_once()
    assert posthog_class.call_args.args == ("phc_test",)
    assert posthog_class.call_args.kwargs["host"] == "https://eu.i.posthog.com"
    posthog_class.return_value.capture.assert_called_once_with(
        "refresh_listings", distinct_id="server", properties={"a": 1}
    )


def test_sends_nothing_without_a_key(posthog_class):
    with override_settings(POSTHOG_API_KEY=""):
        analytics.capture_event(event="refresh_listings", distinct_id="server", properties={})
        analytics.flush()

    posthog_class.assert_not_called()


def test_a_failing_posthog_never_raises(posthog_class, caplog):
    posthog_class.return_value.capture.side_effect = RuntimeError("queue full")

    with override_settings(POSTHOG_API_KEY="phc_test"):
        analytics.capture_event(event="affiliate_click", distinct_id="x", properties={})

    assert "not sent" in caplog.text
