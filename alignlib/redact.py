"""Database URLs as they may be shown: every credential-bearing part masked.

One function, :func:`masked_url`, is used everywhere a URL reaches a message, the
terminal or a file: the password of the user info (a raw ``@`` inside it included),
and the values of query parameters that carry credentials (``password``,
``sslpassword``, ``token``, ``api_key``, ``secret`` ...). :func:`scrub` removes a URL's
secrets from any other text (a driver's error message). Pages never show a URL at all:
they name the source (:attr:`alignlib.crm.table.IngestResult.source_name`).

Parsing is deliberately textual (no SQLAlchemy): a URL that SQLAlchemy would split
differently (``user:S3cret@PW@host``) must not leak the part it took for the host.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

#: What replaces a secret.
MASK = "***"

#: Query parameter names whose values are credentials (matched as substrings of the
#: lower-cased, percent-decoded name: ``sslpassword``, ``access_token``, ``client_secret``,
#: ``private_key_passphrase`` ...). Over-masking a harmless value is the safe mistake.
SECRET_NAME_PARTS = (
    "pass",
    "pwd",
    "token",
    "secret",
    "key",
    "auth",
    "credential",
    "signature",
    "sig",
    "session",
    "cookie",
)

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*://)(.*)$", re.DOTALL)
#: ``name=value`` pairs outside a URL (libpq keyword strings, driver messages).
_KEYWORD = re.compile(r"(?i)\b([A-Za-z_][\w.%-]*)\s*=\s*('[^']*'|\"[^\"]*\"|[^\s&;,]+)")
#: ``?name=value`` or ``&name=value`` anywhere in a URL: the value runs to the next ``&``,
#: ``#`` or the end, so a raw ``@``, ``/`` or ``?`` inside it stays inside it.
# a value runs to the next "&": a raw "#" or "@" in a password is still the password
_QUERY_PAIR = re.compile(r"([?&])([^&=?#/@]+)=([^&]*)")
#: URLs inside free text.
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s'\"<>]+")


def is_secret_name(name: str) -> bool:
    """Whether a query parameter (or keyword) ``name`` carries a credential.

    Parameters
    ----------
    name : str
        E.g. ``sslpassword`` or ``pass%77ord`` (percent-decoded before matching).

    Returns
    -------
    bool
    """
    low = unquote(name).strip().lower()
    return any(part in low for part in SECRET_NAME_PARTS)


def _split(url: str) -> tuple[str, str | None, str, str] | None:
    """``(scheme://, userinfo or None, host-and-path, query-and-fragment)``; None if no scheme.

    The user info ends at the last ``@``: a password may hold a raw ``@``, ``/``, ``?``
    or ``:``. The query starts at the first ``?`` after that. Mask secret query values
    first (:func:`_mask_pairs`): one holding a raw ``@`` would otherwise end the user info.
    """
    m = _SCHEME.match(url)
    if m is None:
        return None
    scheme, rest = m.group(1), m.group(2)
    userinfo: str | None = None
    if not rest.startswith("/"):  # ``duckdb:///path``: no authority, no user info
        at = rest.rfind("@")
        if at >= 0:
            # An ``@`` after the start of the query (``?application_name=a@b``) would
            # make the whole authority user info: only masking more than needed.
            userinfo, rest = rest[:at], rest[at + 1 :]
    q = min((i for i in (rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
    return scheme, userinfo, rest[:q], rest[q:]


def _mask_pairs(text: str) -> str:
    """Every ``?name=value`` / ``&name=value`` whose name carries a credential, masked."""
    return _QUERY_PAIR.sub(
        lambda m: f"{m.group(1)}{m.group(2)}={MASK}" if is_secret_name(m.group(2)) else m.group(0),
        text,
    )


def _mask_query(query: str) -> str:
    """``?a=1&password=x#frag`` with every secret value masked (a fragment is dropped)."""
    if not query:
        return ""
    body, hash_, _fragment = query.partition("#")
    out = body[:1]  # "?" (or "" when the text starts with the fragment)
    pairs = []
    for pair in body[1:].split("&") if body.startswith("?") else []:
        name, eq, _value = pair.partition("=")
        pairs.append(f"{name}={MASK}" if eq and is_secret_name(name) else pair)
    out += "&".join(pairs)
    return out + (f"#{MASK}" if hash_ else "")


def masked_url(url: object) -> str:
    """A URL (or any connection string) as it may be shown: every credential masked.

    ``postgresql://analyst:S3cret@PW@host/crm?password=x&sslmode=require`` becomes
    ``postgresql://analyst:***@host/crm?password=***&sslmode=require``. The user name
    stays (it names who connects; user info without a password is a name); a password,
    whatever it holds, becomes ``***``; so do the values of credential-bearing query
    parameters (:func:`is_secret_name`) and any fragment. Text without a scheme (a file
    path, a libpq ``key=value`` string) keeps all but its credential-bearing values.

    Parameters
    ----------
    url : str or sqlalchemy.URL
        What to show. A SQLAlchemy URL is rendered with its password first.

    Returns
    -------
    str
    """
    text = url.render_as_string(hide_password=False) if hasattr(url, "render_as_string") else url
    text = str(text)
    parts = _split(_mask_pairs(text))
    if parts is None:
        return _KEYWORD.sub(
            lambda m: f"{m.group(1)}={MASK}" if is_secret_name(m.group(1)) else m.group(0), text
        )
    scheme, userinfo, hostpath, query = parts
    shown_user = ""
    if userinfo is not None:
        name, colon, _password = userinfo.partition(":")
        if "@" in name:  # a raw "@" before any ":" is not a user name we can tell apart
            name, colon = MASK, ""
        shown_user = f"{name}:{MASK}@" if colon else f"{name}@"
    return f"{scheme}{shown_user}{hostpath}{_mask_query(query)}"


def url_secrets(url: object) -> list[str]:
    """The secrets a URL holds, raw and percent-decoded (to remove from other text).

    Parameters
    ----------
    url : str or sqlalchemy.URL

    Returns
    -------
    list of str
        Longest first; empty strings left out.
    """
    text = url.render_as_string(hide_password=False) if hasattr(url, "render_as_string") else url
    text = str(text)
    found: list[str] = []
    parts = _split(_mask_pairs(text))
    if parts is not None:
        _scheme, userinfo, _hostpath, query = parts
        if userinfo is not None and ":" in userinfo:
            password = userinfo.partition(":")[2]
            found.append(password)
            # A driver that split at the first raw "@" names the tail as part of a host.
            found += [piece for piece in password.split("@") if len(piece) >= 3]
        found += [m.group(3) for m in _QUERY_PAIR.finditer(text) if is_secret_name(m.group(2))]
        if "#" in query:
            found.append(query.partition("#")[2])
    else:
        for m in _KEYWORD.finditer(text):
            if is_secret_name(m.group(1)):
                found.append(str(m.group(2)).strip("'\""))
    url_password = getattr(url, "password", None)
    if url_password:
        found.append(str(url_password))
    out = {s for f in found for s in (f, unquote(f)) if s}
    return sorted(out, key=len, reverse=True)


def scrub(text: str, url: object = None) -> str:
    """``text`` with the secrets of ``url`` and of any URL or ``key=value`` in it masked.

    Parameters
    ----------
    text : str
        E.g. a driver's error message.
    url : str or sqlalchemy.URL, optional
        The URL whose secrets must not appear (raw or percent-decoded).

    Returns
    -------
    str
    """
    out = str(text)
    if url is not None:
        for secret in url_secrets(url):
            out = out.replace(secret, MASK)
    out = _URL_IN_TEXT.sub(lambda m: masked_url(m.group(0)), out)
    return _KEYWORD.sub(
        lambda m: f"{m.group(1)}={MASK}" if is_secret_name(m.group(1)) else m.group(0), out
    )


def has_raw_at(url: str) -> bool:
    """Whether a URL's user info holds a raw ``@`` (drivers would take its tail for the host).

    Parameters
    ----------
    url : str

    Returns
    -------
    bool
    """
    parts = _split(str(url))
    return parts is not None and parts[1] is not None and "@" in parts[1]
