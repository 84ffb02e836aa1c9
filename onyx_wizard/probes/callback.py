"""Callback errors probe: a declined or forged sign-in gets a calm answer and no session."""

from __future__ import annotations

import asyncio
import html
import re
import string
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from onyx_wizard.probes._browser import fetch_fresh, query_params, resolve_location, with_query
from onyx_wizard.probes._context import ProbeContext, Response
from onyx_wizard.probes._model import Findings, ProbeResult
from onyx_wizard.probes._registry import probe

PROBE_ID = "callback-errors"

# What a leaked stack trace looks like, per runtime. Matched against the HTML-unescaped body.
STACK_TRACES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("Python", re.compile(r"Traceback \(most recent call last\)")),
    ("Python", re.compile(r'File "[^"\n]+", line \d+')),
    # .NET before Java: its frames also read "at Namespace.Type.Method(", plus "in file:line N".
    (".NET", re.compile(r"^\s*at [\w.`<>]+\([^)\n]*\) in [^\n]+:line \d+", re.M)),
    ("Java", re.compile(r"Exception in thread \"")),
    ("Java", re.compile(r"^\s*at (?:[A-Za-z_$][\w$]*\.)+[\w$<>]+\([^)\n]*\)", re.M)),
    (
        "Node.js",
        re.compile(r"^\s*at (?:[^\s()]+ )?\(?(?:/|[A-Za-z]:\\|file:)[^\s()]*:\d+:\d+\)?", re.M),
    ),
    ("PHP", re.compile(r"Stack trace:(?:\s|<br\s*/?>)*#0")),
    ("PHP", re.compile(r"Fatal error(?:</b>)?:\s+Uncaught ")),
    ("Ruby", re.compile(r"\.rb:\d+:in [`'][^'\n]+'")),
    ("Go", re.compile(r"^goroutine \d+ \[[a-z ]+\]:", re.M)),
)


def find_stack_trace(body: str) -> str | None:
    """The runtime whose stack trace appears in `body`, or None."""
    text = html.unescape(body)
    for runtime, pattern in STACK_TRACES:
        if pattern.search(text):
            return runtime
    return None


@dataclass(frozen=True)
class SetCookie:
    """One Set-Cookie header: name, value, and attributes (lower-case names)."""

    name: str
    value: str
    attributes: dict[str, str]

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
            except (TypeError, ValueError):
                return False
        return False


def parse_set_cookie(header: str) -> SetCookie:
    """Split a Set-Cookie header into its cookie and attributes."""
    pair, *rest = header.split(";")
    name, _, value = pair.partition("=")
    attributes = {}
    for item in rest:
        key, _, argument = item.strip().partition("=")
        attributes[key.strip().lower()] = argument.strip()
    return SetCookie(name.strip(), value.strip(), attributes)


def tamper(state: str) -> str:
    """`state` with every letter and digit moved one place on, so it can never match."""
    out = []
    for char in state:
        for alphabet in (string.digits, string.ascii_lowercase, string.ascii_uppercase):
            if char in alphabet:
                char = alphabet[(alphabet.index(char) + 1) % len(alphabet)]
                break
        out.append(char)
    tampered = "".join(out)
    return tampered if tampered != state else state + "x"


@dataclass(frozen=True)
class Attempt:
    """One start of sign-in and the callback request that followed it."""

    what: str
    login: Response
    callback: Response
    login_cookies: frozenset[str]


async def attempt(ctx: ProbeContext, *, tampered: bool) -> Attempt:
    """Start sign-in, then come back to the callback with error=access_denied."""
    login = await fetch_fresh(ctx, ctx.profile.login_url, note="sign-in start")
    now = time.time()
    cookies = [parse_set_cookie(header) for header in login.set_cookies()]
    jar = {cookie.name: cookie.value for cookie in cookies if not cookie.clears(now)}
    state = ""
    if login.location:
        state = query_params(resolve_location(login.url, login.location)).get("state", "")
    params = {"error": "access_denied"}
    if state:
        params["state"] = tamper(state) if tampered else state
    elif tampered:
        params["state"] = "onyx-wizard-tampered-state"
    what = "a tampered state" if tampered else "the real state"
    callback = await fetch_fresh(
        ctx,
        with_query(ctx.profile.redirect_uris[0], params),
        cookies=jar,
        note=f"callback: error=access_denied with {what}",
    )
    return Attempt(what, login, callback, frozenset(cookie.name for cookie in cookies))


def judge(findings: Findings, item: Attempt) -> None:
    """Never 5xx, never a stack trace, never a new cookie beyond the sign-in state."""
    response = item.callback
    where = f"the callback's {response.status} answer to error=access_denied with {item.what}"
    if response.status >= 500:
        findings.fail(
            "CALLBACK_5XX",
            f"the callback answered {response.status} to error=access_denied with {item.what}",
        )
    else:
        findings.passed(f"callback answered {response.status} to access_denied with {item.what}")
    runtime = find_stack_trace(response.text)
    if runtime:
        findings.fail("CALLBACK_STACK_TRACE", f"{where} shows a {runtime} stack trace")
    now = time.time()
    for header in response.set_cookies():
        cookie = parse_set_cookie(header)
        if cookie.name in item.login_cookies or cookie.clears(now):
            continue
        findings.fail(
            "CALLBACK_SETS_SESSION",
            f"{where} sets the cookie {cookie.name}, though no sign-in happened",
        )


@probe(
    PROBE_ID,
    title="Sign-in callback handles declines and bad state safely",
    profile=("login_url", "redirect_uris"),
)
async def callback_errors(ctx: ProbeContext) -> ProbeResult:
    """Send the callback a declined sign-in, then one with a tampered state, and judge both."""
    findings = Findings(PROBE_ID)
    attempts = await asyncio.gather(attempt(ctx, tampered=False), attempt(ctx, tampered=True))
    for item in attempts:
        findings.record(item.login.evidence)
        findings.record(item.callback.evidence)
        judge(findings, item)
    declined, forged = (item.callback.status for item in attempts)
    return findings.result(
        "CALLBACK_ERRORS_OK",
        f"the callback answered {declined} to a declined sign-in and {forged} to a tampered state, "
        "with no server error, stack trace or session cookie",
    )
