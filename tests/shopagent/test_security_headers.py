import pytest


@pytest.mark.django_db
def test_every_page_sends_the_security_headers(client):
    response = client.get("/")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "Strict-Transport-Security" not in response  # plain HTTP: no HSTS promise


@pytest.mark.django_db
def test_hsts_is_sent_over_https_in_production_settings(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    response = client.get("/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


@pytest.mark.django_db
def test_plain_http_is_redirected_to_https_when_ssl_redirect_is_on(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/ml/learn/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/ml/learn/"
