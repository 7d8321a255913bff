import pytest
from django.contrib.auth import get_user_model


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
