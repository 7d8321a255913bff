import re

import pytest
from django.contrib.auth import get_user_model

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
    assert client.get("/admin/").status_code == 302


def test_failures_for_one_username_are_counted_across_addresses(client, staff):
    for index in range(5):
        _attempt(client, "wrong", address=f"198.51.100.{index}")
    assert _attempt(client, "correct-horse-battery", address="192.0.2.1").status_code == 429


def test_other_visitors_are_not_locked_out_by_someone_elses_failures(client, staff):
    for _ in range(5):
        _attempt(client, "wrong", username="someone-else")
    response = _attempt(client, "correct-horse-battery", address="192.0.2.99")
    assert response.status_code == 302


def test_thousands_of_anonymous_page_views_do_not_wipe_the_count(client, staff):
    for _ in range(5):
        _attempt(client, "wrong")
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
