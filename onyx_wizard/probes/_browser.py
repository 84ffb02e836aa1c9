"""Browser-like sign-in for the probes: a cookie jar, redirects, forms, Location resolution.

`start_sign_in` starts a sign-in as a browser would (redirects of every kind, a sign-in page
whose form must be submitted, cookies carried across hops) and says where the browser was sent
off the partner's host, or why it stopped. `browse` is the same walk from any request; the
callback, open-redirect and session-cookie probes use both.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from email.utils import parsedate_to_datetime
from enum import StrEnum
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit, urlunsplit

import httpx

from onyx_wizard.probes._context import ProbeContext, Response

MAX_HOPS = 3  # same-host requests after the first one (redirects, form submissions, refreshes)
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REFRESH_DELAY = 10  # seconds; a longer meta refresh is a page to read, not a redirect
# Pages larger than this are parsed in a worker thread: a megabyte of tags keeps the HTML parser
# busy for seconds, and the event loop (the other probes, every deadline) must not wait for it.
INLINE_PAGE = 64 * 1024


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


def origin_of(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of `url`, the default port filled in; ('', '', None) if malformed."""
    try:
        return _endpoint(url)[:3]
    except ValueError:
        return "", "", None


# --- cookies --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SetCookie:
    """One Set-Cookie header: name, value, and attributes (lower-case names)."""

    name: str
    value: str
    attributes: dict[str, str]

    def has(self, attribute: str) -> bool:
        return attribute.lower() in self.attributes

    def get(self, attribute: str) -> str:
        return self.attributes.get(attribute.lower(), "")

    @property
    def deletes(self) -> bool:
        """Whether this header deletes the cookie now."""
        return self.clears(time.time())

    def clears(self, now: float) -> bool:
        """Whether this header deletes the cookie rather than setting it."""
        if not self.value.strip('"'):
            return True
        max_age = self.attributes.get("max-age")
        if max_age is not None:
            # Max-Age wins over Expires (RFC 6265 §5.3 step 3).
            try:
                return int(max_age) <= 0
            except ValueError:
                pass
        expires = self.attributes.get("expires")
        if expires:
            try:
                # Cookie dates are often written "01-Jan-1970"; email's parser wants spaces.
                return parsedate_to_datetime(expires.replace("-", " ")).timestamp() <= now
            except (TypeError, ValueError, IndexError):
                return False
        return False


def parse_set_cookie(header: str) -> SetCookie:
    """Split a Set-Cookie header into its cookie and attributes."""
    pair, *rest = header.split(";")
    name, _, value = pair.partition("=")
    attributes = {}
    for item in rest:
        key, _, argument = item.strip().partition("=")
        if key.strip():
            attributes[key.strip().lower()] = argument.strip()
    return SetCookie(name.strip(), value.strip(), attributes)


_CSRF_NAME = re.compile(r"xsrf|csrf|antiforgery|requestverificationtoken", re.I)
_FLOW_NAME = re.compile(r"state|nonce|pkce|verifier|flash|lang|locale|consent|theme", re.I)
_SESSION_NAME = re.compile(
    r"sess|sid|auth|token|login|user|remember|jwt|ident|account|laravel|cookies$", re.I
)


def cookie_role(name: str) -> str:
    """What a cookie is for, judged by its name: "csrf", "flow", "session" or "other".

    "flow" covers the sign-in's own state, nonce and PKCE cookies and harmless preferences.
    A name that says nothing (e.g. "acme") is "other"; callers decide how far to trust that.
    """
    bare = re.sub(r"^__(?:Host|Secure)-", "", name)
    if _CSRF_NAME.search(bare):
        return "csrf"
    if _FLOW_NAME.search(bare):
        return "flow"
    if _SESSION_NAME.search(bare):
        return "session"
    return "other"


@dataclass(frozen=True)
class Cookie:
    """A cookie as a browser keeps it (RFC 6265 §5.3, without the public-suffix list)."""

    name: str
    value: str
    domain: str
    host_only: bool
    path: str
    secure: bool

    def matches(self, url: str) -> bool:
        """Whether a browser sends this cookie with a request to `url`."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower().rstrip(".")
        if self.host_only:
            if host != self.domain:
                return False
        elif host != self.domain and not host.endswith("." + self.domain):
            return False
        if self.secure and parts.scheme.lower() != "https":
            return False
        return _path_matches(parts.path or "/", self.path)


def _path_matches(request_path: str, cookie_path: str) -> bool:
    if request_path == cookie_path:
        return True
    if not request_path.startswith(cookie_path):
        return False
    return cookie_path.endswith("/") or request_path[len(cookie_path)] == "/"


def _default_path(url: str) -> str:
    path = urlsplit(url).path
    if not path.startswith("/") or path.count("/") == 1:
        return "/"
    return path[: path.rfind("/")]


class CookieJar:
    """The cookies of one browser: what Set-Cookie stored, sent back to matching URLs."""

    def __init__(self, cookies: Iterable[Cookie] = ()) -> None:
        self._cookies: dict[tuple[str, str, str], Cookie] = {
            (c.name, c.domain, c.path): c for c in cookies
        }

    @classmethod
    def for_url(cls, url: str, values: Mapping[str, str]) -> CookieJar:
        """A jar holding `values` as host-only cookies of `url`'s host, path "/"."""
        host = safe_host(url)
        secure = urlsplit(url).scheme.lower() == "https"
        return cls(Cookie(name, value, host, True, "/", secure) for name, value in values.items())

    def copy(self) -> CookieJar:
        return CookieJar(self._cookies.values())

    def __iter__(self) -> Iterator[Cookie]:
        return iter(list(self._cookies.values()))

    def __len__(self) -> int:
        return len(self._cookies)

    def update(self, url: str, headers: Iterable[str], now: float | None = None) -> None:
        """Store (or delete) what the Set-Cookie `headers` of an answer from `url` say."""
        now = time.time() if now is None else now
        host = safe_host(url)
        for header in headers:
            parsed = parse_set_cookie(header)
            if not parsed.name and not parsed.value:
                continue
            domain = parsed.attributes.get("domain", "").lower().lstrip(".").rstrip(".")
            if domain and host != domain and not host.endswith("." + domain):
                continue  # a browser ignores a cookie for a domain the answer is not from
            path = parsed.attributes.get("path", "")
            cookie = Cookie(
                parsed.name,
                parsed.value,
                domain or host,
                not domain,
                path if path.startswith("/") else _default_path(url),
                "secure" in parsed.attributes,
            )
            key = (cookie.name, cookie.domain, cookie.path)
            if parsed.clears(now):
                self._cookies.pop(key, None)
            else:
                self._cookies[key] = cookie

    def for_request(self, url: str) -> list[Cookie]:
        """The cookies a browser sends to `url`, longest path first (RFC 6265 §5.4)."""
        return sorted(
            (c for c in self._cookies.values() if c.matches(url)), key=lambda c: -len(c.path)
        )

    def header_for(self, url: str) -> str:
        """The Cookie header a browser sends to `url` ('' for none)."""
        return "; ".join(f"{c.name}={c.value}" for c in self.for_request(url))

    def values(self) -> dict[str, str]:
        """Name → value of every cookie (for comparisons; a name held twice keeps one)."""
        return {c.name: c.value for c in self._cookies.values()}


# --- pages ----------------------------------------------------------------------------------


@dataclass
class Form:
    """One HTML form: where and how it submits, and what it sends as the page stands."""

    action: str | None
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    submitter: tuple[str, str] | None = None
    has_password: bool = False
    text: list[str] = field(default_factory=list)  # labels, button texts, names: to rank forms

    def mentions(self, word: str) -> bool:
        haystack = " ".join([self.action or "", *self.text, *(n for n, _ in self.fields)])
        return word in haystack.lower()


@dataclass
class Page:
    """What the probes read from an HTML answer: its forms, scripts and meta refresh."""

    forms: list[Form] = field(default_factory=list)
    scripts: int = 0
    refresh: str | None = None  # the content of <meta http-equiv=refresh>


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._form: Form | None = None
        self._select: tuple[str, list[tuple[str, bool]]] | None = None
        self._option: list[str] | None = None
        self._option_value: str | None = None
        self._option_selected = False
        self._textarea: tuple[str, list[str]] | None = None
        self._button: tuple[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: (value or "") for name, value in attrs}
        if tag == "script":
            self.page.scripts += 1
        elif tag == "meta" and a.get("http-equiv", "").lower() == "refresh":
            if self.page.refresh is None:
                self.page.refresh = a.get("content", "")
        elif tag == "form":
            self._form = Form(a.get("action") if "action" in a else None, a.get("method", "get"))
            self.page.forms.append(self._form)
        if self._form is None or "disabled" in a:
            return
        name = a.get("name", "")
        if tag == "input":
            self._input(a, name)
        elif tag == "button":
            if a.get("type", "submit").lower() == "submit" and self._form.submitter is None:
                self._form.submitter = (name, a.get("value", ""))
            self._button = (name, "")
        elif tag == "select" and name:
            self._select = (name, [])
        elif tag == "option" and self._select is not None:
            self._option = []
            self._option_value = a.get("value") if "value" in a else None
            self._option_selected = "selected" in a
        elif tag == "textarea" and name:
            self._textarea = (name, [])

    def _input(self, a: dict[str, str], name: str) -> None:
        assert self._form is not None
        kind = a.get("type", "text").lower()
        if kind in ("submit", "image"):
            if self._form.submitter is None:
                self._form.submitter = (name, a.get("value", ""))
            self._form.text.append(a.get("value", ""))
            return
        if kind in ("button", "reset", "file"):
            return
        if kind == "password":
            self._form.has_password = True
        if kind in ("checkbox", "radio"):
            if "checked" not in a:
                return
            value = a.get("value", "on")
        else:
            value = a.get("value", "")
        if name:
            self._form.fields.append((name, value))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "option" and self._select is not None and self._option is not None:
            text = "".join(self._option).strip()
            value = self._option_value if self._option_value is not None else text
            self._select[1].append((value, self._option_selected))
            self._option = None
        elif tag == "select" and self._select is not None and self._form is not None:
            name, options = self._select
            chosen = next((v for v, selected in options if selected), None)
            if chosen is None and options:
                chosen = options[0][0]
            if chosen is not None:
                self._form.fields.append((name, chosen))
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            self._form.fields.append((self._textarea[0], "".join(self._textarea[1])))
            self._textarea = None
        elif tag == "button" and self._button is not None and self._form is not None:
            self._form.text.append(self._button[1])
            self._button = None

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._option.append(data)
        elif self._textarea is not None:
            self._textarea[1].append(data)
        elif self._button is not None:
            self._button = (self._button[0], self._button[1] + data)
        elif self._form is not None and data.strip():
            self._form.text.append(data.strip())


def parse_page(body: str) -> Page:
    """Forms (with their fields' default values), scripts and meta refresh of an HTML page."""
    parser = _PageParser()
    try:
        parser.feed(body)
        parser.close()
    except (AssertionError, ValueError):  # html.parser gives up on some broken markup
        pass
    return parser.page


_REFRESH = re.compile(r"""^\s*[\d.]*\s*[;,]?\s*(?:url\s*=\s*)?(.*)$""", re.I | re.S)


def refresh_delay(value: str) -> float | None:
    """The delay of a Refresh value (`5; url=/x`), or None when it has none."""
    match = re.match(r"\s*(\d+(?:\.\d*)?)", value)
    return float(match[1]) if match else None


def refresh_url(value: str) -> str | None:
    """The URL of a Refresh header or meta refresh value (`0;url='…'`), None when it has none."""
    match = _REFRESH.match(value)
    if not match:
        return None
    url = match[1].strip()
    if url[:1] in ("'", '"'):
        quote = url[0]
        url = url[1:]
        url = url[: url.index(quote)] if quote in url else url
    return url or None


def is_html(response: Response) -> bool:
    """Whether the answer is an HTML page (by its type, or by its look when it names none)."""
    kind = response.headers.get("content-type", "").lower()
    if "html" in kind:
        return True
    if kind:
        return False
    return response.body.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html"))


async def page_of(response: Response) -> Page | None:
    """The parsed page of an HTML answer (None for any other), parsed off the event loop when
    it is large."""
    if not is_html(response):
        return None
    if len(response.body) <= INLINE_PAGE:
        return parse_page(response.text)
    return await asyncio.to_thread(parse_page, response.text)


def redirect_values(response: Response) -> list[tuple[str, str]]:
    """Every place the answer sends the browser on: (where, raw value) of the Location header,
    the Refresh header and a <meta http-equiv=refresh>, as the server wrote them."""
    found: list[tuple[str, str]] = []
    if "location" in response.headers:
        found.append(("Location", response.location))
    refresh = response.headers.get("refresh")
    if refresh:
        url = refresh_url(refresh)
        if url:
            found.append(("Refresh", url))
    if is_html(response):
        meta = parse_page(response.text).refresh
        if meta:
            url = refresh_url(meta)
            if url:
                found.append(("meta refresh", url))
    return found


# --- walking like a browser -----------------------------------------------------------------


class Stop(StrEnum):
    """Why a walk ended without leaving the host."""

    NOT_REDIRECT = "not-redirect"  # an answer that neither redirects nor offers a form
    NEEDS_JAVASCRIPT = "needs-javascript"  # a page with scripts and no usable form
    TOO_MANY_HOPS = "too-many-hops"
    BAD_LOCATION = "bad-location"  # a redirect without a Location, or one no request can use


@dataclass(frozen=True)
class Walk:
    """Where a browser went: every answer, the cookies at the end, and how it ended.

    `exit_url` is the first URL off the first request's origin (scheme, host and port); when
    it is empty, `stop` says why the walk ended and `detail` says it in a sentence.
    """

    chain: tuple[Response, ...]
    jar: CookieJar
    exit_url: str = ""
    stop: Stop | None = None
    detail: str = ""
    forms_submitted: tuple[str, ...] = ()  # "POST https://…" of each form submitted
    steps: tuple[str, ...] = ()  # how the browser moved on after each answer: "302", "a form"…
    next_url: str = ""  # with TOO_MANY_HOPS: where the browser was to go next

    @property
    def evidence(self) -> list[dict[str, Any]]:
        return [response.evidence for response in self.chain]

    @property
    def loop(self) -> str:
        """The URL a walk that ran out of hops was sent back to, again, with nothing changed on
        the way (no cookie set since its first visit): a loop no browser gets out of. ''
        when the walk did not end so."""
        if self.stop is not Stop.TOO_MANY_HOPS or not self.next_url:
            return ""
        urls = [response.url for response in self.chain]
        if self.next_url not in urls:
            return ""
        since = self.chain[urls.index(self.next_url) :]
        if any(response.set_cookies() for response in since):
            return ""  # the browser's state changed: the next round may go elsewhere
        return self.next_url

    def loop_message(self) -> str:
        """A sentence for a walk that went round in a loop ('' when it did not)."""
        if not self.loop:
            return ""
        return (
            f"{self.chain[0].url} sends the browser round in a loop, back to {self.loop}: it "
            "never reaches a page (browsers stop with 'too many redirects')"
        )

    @property
    def last(self) -> Response:
        return self.chain[-1]


@dataclass(frozen=True)
class _Request:
    method: str
    url: str
    body: bytes | None = None
    headers: tuple[tuple[str, str], ...] = ()
    note: str = ""


def _origin_header(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


def _choose_form(page: Page, base: str, origin: tuple[str, str, int | None]) -> Form | None:
    """The form that starts sign-in: on the page's origin, naming Onyx if one does, else one
    without a password field (a local login is not a sign-in start), POST before GET."""
    usable = [
        form
        for form in page.forms
        if form.method.lower() in ("get", "post")
        and origin_of(resolve_location(base, form.action or base)) == origin
    ]
    ranked = sorted(
        usable,
        key=lambda f: (not f.mentions("onyx"), f.has_password, f.method.lower() != "post"),
    )
    if not ranked or (ranked[0].has_password and not ranked[0].mentions("onyx")):
        return None
    return ranked[0]


def _form_request(form: Form, page_url: str) -> _Request:
    data = list(form.fields)
    if form.submitter and form.submitter[0]:
        data.append(form.submitter)
    action = resolve_location(page_url, form.action or page_url)
    encoded = urlencode(data)
    names = ", ".join(dict.fromkeys(name for name, _ in data)) or "no fields"
    if form.method.lower() == "post":
        headers = (
            ("content-type", "application/x-www-form-urlencoded"),
            ("origin", _origin_header(page_url)),
            ("referer", page_url),
        )
        note = f"submitted the page's form (POST, fields: {names})"
        return _Request("POST", action, encoded.encode(), headers, note)
    url = urlunsplit(urlsplit(action)._replace(query=encoded, fragment=""))
    return _Request(
        "GET",
        url,
        None,
        (("referer", page_url),),
        f"submitted the page's form (GET, fields: {names})",
    )


def _redirected(request: _Request, status: int, url: str) -> _Request:
    # Browsers keep method and body on 307/308 only; 301/302 turn a POST into a GET.
    if status in (307, 308):
        return replace(request, url=url, note=f"followed the {status}")
    return _Request("GET", url, note=f"followed the {status}")


async def browse(
    ctx: ProbeContext,
    url: str,
    jar: CookieJar,
    *,
    method: str = "GET",
    submit_forms: bool = False,
    max_hops: int = MAX_HOPS,
    note: str = "",
) -> Walk:
    """Request `url` and follow the answers as a browser would while they stay on its origin.

    Redirects (301/302/303/307/308), a Refresh header or meta refresh of up to 10 s, and with
    `submit_forms` a page's sign-in form are followed, carrying `jar` (updated in place) across,
    at most `max_hops` times after the first request.
    """
    origin = origin_of(url)
    request = _Request(method.upper(), url, note=note)
    chain: list[Response] = []
    forms: list[str] = []
    steps: list[str] = []

    def walk(**how: Any) -> Walk:
        return Walk(tuple(chain), jar, forms_submitted=tuple(forms), steps=tuple(steps), **how)

    while True:
        headers = dict(request.headers)
        cookie = jar.header_for(request.url)
        if cookie:
            headers["cookie"] = cookie
        try:
            response = await ctx.fetch(
                request.method,
                request.url,
                headers=headers,
                content=request.body,
                note=request.note,
            )
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            if not chain:
                raise
            return walk(
                stop=Stop.BAD_LOCATION,
                detail=f"{chain[-1].url} sends the browser to {request.url}, "
                f"which cannot be requested ({exc})",
            )
        chain.append(response)
        jar.update(response.url, response.set_cookies())
        page = await page_of(response) if 200 <= response.status < 300 else None
        step = _next_step(response, request, submit_forms, origin, page)
        if isinstance(step, tuple):
            stop, detail = step
            return walk(stop=stop, detail=detail)
        if step.note.startswith("submitted"):
            steps.append(f"the page's form ({step.method})")
        elif response.status in REDIRECT_STATUSES:
            steps.append(str(response.status))
        else:
            steps.append("the page's refresh")
        if origin_of(step.url) != origin:
            return walk(exit_url=step.url)
        if len(chain) > max_hops:
            return walk(
                stop=Stop.TOO_MANY_HOPS,
                detail=f"{url} still had not left its host after {max_hops} further requests "
                f"on it (the last went on to {step.url})",
                next_url=step.url,
            )
        if step.note.startswith("submitted"):
            forms.append(f"{step.method} {step.url}")
        request = step


def _next_step(
    response: Response,
    request: _Request,
    submit_forms: bool,
    origin: tuple[str, str, int | None],
    page: Page | None,
) -> _Request | tuple[Stop, str]:
    """Where the browser goes after `response` (whose parsed `page` is given), or why it
    stays."""
    where = f"{request.method} {response.url}"
    if response.status in REDIRECT_STATUSES:
        if not response.location.strip():
            return Stop.BAD_LOCATION, f"{where} answered {response.status} without a Location"
        return _redirected(
            request, response.status, resolve_location(response.url, response.location)
        )
    if not 200 <= response.status < 300:
        return Stop.NOT_REDIRECT, f"{where} answered {response.status}"
    refresh = response.headers.get("refresh", "")
    if not refresh and page is not None and page.refresh:
        refresh = page.refresh
    if refresh:
        delay, target = refresh_delay(refresh), refresh_url(refresh)
        if target and (delay is None or delay <= MAX_REFRESH_DELAY):
            url = resolve_location(response.url, target)
            return _Request("GET", url, note="followed the page's refresh")
    if page is None:
        return Stop.NOT_REDIRECT, f"{where} answered {response.status} with no redirect"
    form = _choose_form(page, response.url, origin) if submit_forms else None
    if form is not None:
        return _form_request(form, response.url)
    if page.scripts:
        return (
            Stop.NEEDS_JAVASCRIPT,
            f"{where} answered {response.status} with a page that needs JavaScript "
            "(scripts and no sign-in form)",
        )
    return Stop.NOT_REDIRECT, f"{where} answered {response.status} with a page and no redirect"


# --- sign-in start --------------------------------------------------------------------------


@dataclass(frozen=True)
class SignInStart:
    """A browser's start of sign-in at login_url: the walk, and the Onyx authorize URL it was
    sent to (`target`), or '' with `walk.stop`/`walk.exit_url` saying what happened instead."""

    walk: Walk
    target: str

    @property
    def jar(self) -> CookieJar:
        return self.walk.jar

    @property
    def params(self) -> dict[str, str]:
        return query_params(self.target) if self.target else {}

    @property
    def state(self) -> str:
        """The state the app sent, read from wherever the browser was sent off the host."""
        return query_params(self.target or self.walk.exit_url).get("state", "")

    @property
    def evidence(self) -> list[dict[str, Any]]:
        return self.walk.evidence

    def how(self) -> str:
        """How the browser left the host, for a message: "302", "the page's form (POST) → 303"."""
        return " → ".join(self.walk.steps) or "a redirect"


async def start_sign_in(
    ctx: ProbeContext,
    *,
    cookies: CookieJar | Mapping[str, str] | None = None,
    extra_params: Mapping[str, str] | None = None,
    note: str = "sign-in start",
) -> SignInStart:
    """Start sign-in at login_url as a fresh browser (holding only `cookies`) would.

    `extra_params` go into login_url's query (e.g. next=…). The first answer that sends the
    browser off login_url's origin ends the walk; it is the target when it is the profile's
    onyx_authorize_url.
    """
    url = ctx.profile.login_url
    if extra_params:
        url = with_query(url, extra_params)
    if isinstance(cookies, CookieJar):
        jar = cookies.copy()
    else:
        jar = CookieJar.for_url(url, cookies or {})
    walk = await browse(ctx, url, jar, submit_forms=True, note=note)
    onyx = ctx.profile.onyx_authorize_url
    target = walk.exit_url if walk.exit_url and onyx and same_endpoint(walk.exit_url, onyx) else ""
    return SignInStart(walk, target)
