from pathlib import Path

import pytest

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference"


@pytest.fixture
def reference_dir():
    """The shared reference CSVs the fixtures were built from; tests skip where they are absent."""
    if not (REFERENCE / "gpu-specs.csv").is_file():
        pytest.skip("../shared/reference is not present on this machine")
    return REFERENCE


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_user(
        "editor", "editor@example.com", "pw", is_staff=True, is_superuser=True
    )
    client.force_login(user)
    return client
