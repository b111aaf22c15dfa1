import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db


def test_signup_creates_the_account_and_logs_in(client):
    response = client.post(
        "/accounts/signup/",
        {
            "username": "newwriter",
            "password1": "a-long-pass-phrase",
            "password2": "a-long-pass-phrase",
        },
    )

    assert response.status_code == 302
    assert get_user_model().objects.filter(username="newwriter").exists()
    assert b"newwriter" in client.get("/").content


def test_signup_shows_field_errors(client):
    page = client.post("/accounts/signup/", {"username": "x", "password1": "a", "password2": "b"})

    assert page.status_code == 200
    assert b'class="errorlist"' in page.content


def test_login_and_logout(client, user):
    response = client.post("/accounts/login/", {"username": "elena", "password": "pw-elena-123"})
    assert response.status_code == 302
    assert client.get("/").context["user"].is_authenticated

    client.post("/accounts/logout/")
    assert not client.get("/").context["user"].is_authenticated


def test_wrong_password_is_refused_with_a_message(client, user):
    page = client.post("/accounts/login/", {"username": "elena", "password": "nope"})

    assert page.status_code == 200
    assert b'role="alert"' in page.content
