"""alignlib.redact: no credential-bearing part of a URL is ever shown (issue 21, case 1)."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alignlib.redact import has_raw_at, masked_url, scrub, url_secrets


@pytest.mark.parametrize(
    ("url", "shown", "secret"),
    [
        (
            "postgresql://analyst@db.example.com/crm?password=Qz9-secret&sslmode=require",
            "postgresql://analyst@db.example.com/crm?password=***&sslmode=require",
            "Qz9-secret",
        ),
        (
            "postgresql://analyst:S3cret@PW@host:5432/crm",
            "postgresql://analyst:***@host:5432/crm",
            "PW",
        ),
        (
            "postgresql+psycopg://a@h/crm?sslpassword=keypass1&sslcert=c.pem",
            "postgresql+psycopg://a@h/crm?sslpassword=***&sslcert=c.pem",
            "keypass1",
        ),
        ("snowflake://u@acct/db?token=tok-123456", "snowflake://u@acct/db?token=***", "tok-123456"),
        (
            "postgresql://u@h/db?Pass%77ord=enc0ded&application_name=x",
            "postgresql://u@h/db?Pass%77ord=***&application_name=x",
            "enc0ded",
        ),
        ("postgresql://u:p%40ss/w?rd@h/db", "postgresql://u:***@h/db", "ss/w"),
        ("host=db user=me password=plain-pw dbname=crm", None, "plain-pw"),
        ("postgresql://u@h/db#frag-secret", "postgresql://u@h/db#***", "frag-secret"),
    ],
)
def test_every_credential_is_masked(url, shown, secret):
    got = masked_url(url)
    assert secret not in got
    if shown is not None:
        assert got == shown
    assert secret not in scrub(f"could not connect: {url}", url)


def test_a_sqlalchemy_url_object_is_masked_like_its_text():
    from sqlalchemy.engine import make_url

    url = make_url("postgresql+psycopg://me:pa@ss@h/crm?password=qp-secret")
    got = masked_url(url)
    assert "pa@ss" not in got and "qp-secret" not in got and "me:***@" in got


def test_paths_and_harmless_urls_are_shown_as_they_are():
    for text in ("outputs/crm.duckdb", "duckdb:///tmp/crm.duckdb", "postgresql://me@h:5432/crm"):
        assert masked_url(text) == text
    assert not has_raw_at("postgresql://me:%40@h/crm")
    assert has_raw_at("postgresql://me:a@b@h/crm")


def test_a_driver_message_loses_the_secrets_raw_and_decoded():
    url = "postgresql://u:p%40ssw0rd@h/db?token=t0k3n"
    secrets = url_secrets(url)
    assert {"p%40ssw0rd", "p@ssw0rd", "t0k3n"} <= set(secrets)
    msg = 'FATAL: password "p@ssw0rd" rejected; token t0k3n'
    cleaned = scrub(msg, url)
    assert "p@ssw0rd" not in cleaned and "t0k3n" not in cleaned


_PW = st.text(
    alphabet=string.ascii_letters + string.digits + "@:/?#&=%!$*+-._~", min_size=6, max_size=24
).filter(lambda s: s.strip("@:/?#&=") == s and "=" not in s and "&" not in s)


@settings(max_examples=300, deadline=None)
@given(password=_PW, in_query=st.booleans())
def test_no_raw_password_survives_masking(password, in_query):
    """Any password written raw (no percent-encoding), in the user info or the query."""
    if in_query:
        url = f"postgresql://analyst@db.internal:5432/crm?sslmode=require&password={password}"
    else:
        url = f"postgresql://analyst:{password}@db.internal:5432/crm?sslmode=require"
    got = masked_url(url)
    shown_anyway = url.replace(password, "") + "***"
    # Nothing of the password is shown, not even a tail after a raw "@" or "?".
    for piece in [password, *password.replace("?", "@").replace("#", "@").split("@")]:
        if len(piece) >= 4 and piece not in shown_anyway:
            assert piece not in got, (url, got)
