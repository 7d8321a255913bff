import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db.models import F

from listings.models import SignInFailures
from tests.fakes.site_workers import SiteWorkers


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_user(
        "operator", password="correct-horse-battery", is_staff=True, is_superuser=True
    )


def _attempt(client, password, username="operator", address="203.0.113.7"):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


def test_admin_needs_staff_sign_in(client, db):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_staff_can_sign_in(client, staff):
    response = _attempt(client, "correct-horse-battery")
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_sign_in_is_refused_after_five_failures_even_with_the_right_password(client, staff):
    for _ in range(5):
        assert _attempt(client, "wrong").status_code == 200
    response = _attempt(client, "correct-horse-battery")
    assert response.status_code == 429
    assert b"Too many failed sign-in attempts" in response.content
    assert response["Retry-After"] == "2"
    assert client.get("/admin/").status_code == 302


def _let_time_pass(seconds):
    """As if `seconds` had passed since every recorded failure."""
    SignInFailures.objects.update(window_ends_at=F("window_ends_at") - timedelta(seconds=seconds))


def test_the_delay_grows_with_each_failure_and_never_becomes_a_lock(client, staff):
    for _ in range(5):
        _attempt(client, "wrong")
    waits = []
    for _ in range(4):
        refused = _attempt(client, "wrong")
        assert refused.status_code == 429
        waits.append(int(refused["Retry-After"]))
        _let_time_pass(waits[-1])
        assert _attempt(client, "wrong").status_code == 200  # allowed again, and failed
    assert waits == [2, 4, 8, 16]

    _let_time_pass(32)
    response = _attempt(client, "correct-horse-battery")
    assert response.status_code == 302  # the right password works once the delay has passed


def test_failures_from_other_addresses_do_not_slow_the_admin_down(client, staff):
    for index in range(50):
        _attempt(client, "wrong", address=f"198.51.100.{index % 5}")
    assert _attempt(client, "wrong", address="198.51.100.1").status_code == 429

    assert _attempt(client, "correct-horse-battery", address="192.0.2.1").status_code == 302


def test_other_visitors_are_not_locked_out_by_someone_elses_failures(client, staff):
    for _ in range(5):
        _attempt(client, "wrong", username="someone-else")
    response = _attempt(client, "correct-horse-battery", address="192.0.2.99")
    assert response.status_code == 302


def _via_proxy(client, password, forwarded_for):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": "operator", "password": password},
        REMOTE_ADDR="10.0.0.2",  # the proxy: every visitor arrives from it
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


def test_behind_a_trusted_proxy_each_visitor_is_throttled_on_their_own_address(
    client, staff, settings
):
    settings.TRUSTED_PROXIES = 1
    for _ in range(10):
        # What the attacker writes into the header is kept on the left; the proxy appends theirs.
        _via_proxy(client, "wrong", "192.0.2.200, 203.0.113.66")
    assert _via_proxy(client, "wrong", "192.0.2.201, 203.0.113.66").status_code == 429

    assert _via_proxy(client, "correct-horse-battery", "198.51.100.7").status_code == 302


def test_without_a_trusted_proxy_a_forged_forwarded_for_changes_nothing(client, staff):
    for index in range(5):
        _attempt_forged = client.post(
            "/admin/login/?next=/admin/",
            {"username": "operator", "password": "wrong"},
            REMOTE_ADDR="203.0.113.7",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{index}",
        )
        assert _attempt_forged.status_code == 200
    assert _attempt(client, "wrong").status_code == 429


def test_no_address_is_stored_in_clear(client, staff):
    for _ in range(3):
        _attempt(client, "wrong")
    keys = list(SignInFailures.objects.values_list("key", flat=True))
    assert len(keys) == 1 and "203.0.113.7" not in keys[0] and "operator" not in keys[0]


def test_thousands_of_anonymous_page_views_do_not_wipe_the_count(client, staff):
    for _ in range(5):
        _attempt(client, "wrong")
    for _ in range(7):  # the delay grows to over four minutes, longer than the views below take
        _let_time_pass(int(_attempt(client, "wrong")["Retry-After"]))
        assert _attempt(client, "wrong").status_code == 200
    for index in range(2000):
        client.get("/", {"visit": str(index)})  # each a distinct page-cache entry
    assert _attempt(client, "correct-horse-battery").status_code == 429


def _csrf(site, worker):
    _, headers, body = site.request(worker, "GET", "/admin/login/")
    cookie = headers["Set-Cookie"].split("csrftoken=", 1)[1].split(";", 1)[0]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
    return {"csrftoken": cookie}, token


def test_failures_on_one_worker_count_on_the_other():
    with SiteWorkers(workers=2) as site:
        site.manage(
            "shell",
            "-c",
            "from django.contrib.auth import get_user_model; get_user_model().objects."
            "create_user('operator', password='correct-horse-battery', is_staff=True)",
        )
        site.start()
        cookies, token = _csrf(site, 0)

        def attempt(worker, password):
            form = {"username": "operator", "password": password, "csrfmiddlewaretoken": token}
            return site.request(worker, "POST", "/admin/login/", form=form, cookies=cookies)[0]

        assert [attempt(n % 2, "wrong") for n in range(5)] == [200] * 5
        assert attempt(0, "correct-horse-battery") == 429
        assert attempt(1, "correct-horse-battery") == 429
