"""Browser-like helpers the sign-in probes share: a request with exactly the cookies given,
query handling, and Location resolution as browsers do it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit, urlunsplit

from onyx_wizard.probes._context import ProbeContext, Response


async def fetch_fresh(
    ctx: ProbeContext, url: str, *, cookies: Mapping[str, str] | None = None, note: str = ""
) -> Response:
    """GET `url` like a fresh browser would, carrying exactly `cookies` (the client keeps none)."""
    header = "; ".join(f"{name}={value}" for name, value in (cookies or {}).items())
    return await ctx.fetch("GET", url, headers={"cookie": header} if header else None, note=note)


def with_query(url: str, extra: Mapping[str, str]) -> str:
    """`url` with `extra` appended to whatever query it already has."""
    parts = urlsplit(url)
    added = urlencode(extra)
    query = f"{parts.query}&{added}" if parts.query else added
    return urlunsplit(parts._replace(query=query))


def query_params(url: str) -> dict[str, str]:
    """The query parameters of `url`, first value of each (percent-decoded)."""
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query, True).items()}


_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_SPECIAL_SCHEMES = frozenset({"http", "https"})
_C0_AND_SPACE = "".join(chr(code) for code in range(0x21))


def resolve_location(base: str, location: str) -> str:
    """The absolute URL a browser goes to when `base` answers with `location`.

    Follows the WHATWG URL parser where it differs from `urljoin` in ways attackers use: leading
    and trailing controls and spaces are dropped, tabs and newlines removed, "\\" counts as "/"
    in http(s) URLs, "//host" is scheme-relative, and any run of slashes before a host is one.
    """
    location = re.sub(r"[\t\n\r]", "", location.strip(_C0_AND_SPACE))
    base_scheme = urlsplit(base).scheme.lower()
    match = _SCHEME.match(location)
    if match:
        scheme = match[1].lower()
        if scheme not in _SPECIAL_SCHEMES:
            return location
        rest = location[match.end() :].replace("\\", "/")
        if scheme != base_scheme or rest.startswith("//"):
            return f"{scheme}://{rest.lstrip('/')}"
        location = rest  # "https:/x" on an https page is a path on the same host
    elif base_scheme in _SPECIAL_SCHEMES:
        location = location.replace("\\", "/")
    if location.startswith("//"):
        return f"{base_scheme}://{location.lstrip('/')}"
    return urljoin(base, location)


def safe_host(url: str) -> str:
    """The lower-case host of `url` without a trailing dot; '' when it has none or is malformed."""
    try:
        return (urlsplit(url).hostname or "").lower().rstrip(".")
    except ValueError:
        return ""


def _endpoint(url: str) -> tuple[str, str, int | None, str]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or {"http": 80, "https": 443}.get(scheme)
    return scheme, (parts.hostname or "").lower(), port, parts.path or "/"


def same_endpoint(url: str, endpoint: str) -> bool:
    """Whether `url` is `endpoint` (scheme, host, port and path; the query is not compared)."""
    try:
        return _endpoint(url) == _endpoint(endpoint)
    except ValueError:  # a malformed port in a Location
        return False
