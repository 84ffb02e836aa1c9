"""Callback errors probe: a declined or forged sign-in gets a calm answer and no session.

Each attempt starts sign-in as a browser would (so POST-form logins work), then comes back to
the callback with what Onyx, or an attacker, could send: every RFC 6749 error with the real
state, a code with a forged state, a code with no state, and a decline from a browser with no
session at all. The answer must not be a 5xx or show a stack trace, and must not sign in.

Whether the browser got signed in is judged, most decisively, by the profile's protected_url:
asked with the browser's cookies before and after the callback, a non-2xx that turns into a
2xx means a session now lets the browser in. Cookies alone mislead both ways: Flask re-signs its
session cookie whenever the callback pops the state (a new value, no sign-in), and an
express-session app that signs in without regenerating keeps the same connect.sid (a sign-in,
no new cookie). Only without a protected_url, or when it cannot tell (it lets the fresh browser
in already, fails with a 5xx, or never gets a cookie), are the cookies read instead: a new
session-looking cookie, or a session cookie whose value changed — unless the value is a
readable client-side session that only lost keys (the state popped), not gained a user.

A readable client-side session (Flask, Starlette) that now names a user counts as a sign-in
even when protected_url says otherwise: such a protected_url reads only bearer tokens.

What it still cannot see: an app whose state check is missing but whose token exchange fails
on the probe's made-up code (against the real Onyx every such code fails), so it never signs
in; a protected_url that ignores session cookies, with an app whose session is an opaque id;
and a sign-in that happens only in a later request (a page script finishing it).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import html
import json
import re
import secrets
import string
import zlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from onyx_wizard.probes._browser import (
    CookieJar,
    SignInStart,
    Walk,
    browse,
    cookie_role,
    start_sign_in,
    with_query,
)
from onyx_wizard.probes._context import HEADERS_ONLY_BODY, ProbeContext, Response
from onyx_wizard.probes._model import Findings, ProbeResult
from onyx_wizard.probes._registry import probe
from onyx_wizard.probes._tasks import together

PROBE_ID = "callback-errors"
CALLBACK_HOPS = 2  # same-host redirects followed after the callback (a browser follows them)

# What a leaked stack trace looks like, per runtime. Matched against the text of the body: tags
# stripped, <br> as line breaks, entities decoded, and JSON string values decoded.
STACK_TRACES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("Python", re.compile(r"Traceback \(most recent call last\)")),
    ("Python", re.compile(r'\bFile "?[^"\n,]+\.py"?,\s*line \d+')),
    # .NET before Java: its frames also read "at Namespace.Type.Method(", plus "in file:line N".
    (".NET", re.compile(r"^\s*at [\w.`<>]+\([^)\n]*\) in [^\n]+:line \d+", re.M)),
    ("Java", re.compile(r"Exception in thread \"")),
    ("Java", re.compile(r"^\s*at (?:[A-Za-z_$][\w$]*\.)+[\w$<>]+\([^)\n]*\)", re.M)),
    (
        "Node.js",
        re.compile(
            r"^\s*at (?:[^\n]*? )?\(?(?:/|[A-Za-z]:\\|file:|node:)[^\s()]*:\d+(?::\d+)?\)?\s*$",
            re.M,
        ),
    ),
    ("PHP", re.compile(r"Stack trace:\s*#0")),
    ("PHP", re.compile(r"Fatal error:\s+Uncaught ")),
    ("Ruby", re.compile(r"\.rb:\d+:in [`'][^'\n]+'")),
    ("Go", re.compile(r"^goroutine \d+ \[[a-z ]+\]:", re.M)),
)

_BREAK = re.compile(r"<br\s*/?>|</(?:p|div|li|tr|h\d)>", re.I)
_TAG = re.compile(r"<[^>]*>")


def _texts(body: str) -> list[str]:
    """The readings of a body a person could see a trace in: as sent, as page text, as JSON."""
    page = html.unescape(_TAG.sub("", _BREAK.sub("\n", body))).replace("\xa0", " ")
    texts = [body, page]
    try:
        data = json.loads(body)
    except ValueError:
        return texts
    strings: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            strings.append(value)
        elif isinstance(value, list):
            if value and all(isinstance(item, str) for item in value):
                strings.append("".join(value))  # traceback.format_exception's lines
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)

    walk(data)
    return texts + strings


def find_stack_trace(body: str) -> str | None:
    """The runtime whose stack trace appears in `body` (HTML, text or JSON), or None."""
    for text in _texts(body):
        for runtime, pattern in STACK_TRACES:
            if pattern.search(text):
                return runtime
    return None


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


# --- did the browser get signed in? ---------------------------------------------------------

# Keys of a readable session that say who is signed in: Flask-Login's _user_id, "user", "sub",
# "access_token"… Not "csrf_token" or "auth_error", which a correct app may store on a decline.
_IDENTITY_KEY = re.compile(
    r"(?:^|_)(?:user|uid|sub|account|email|username|identity)(?:_?id)?$|^(?:access|id)_token$",
    re.I,
)


def session_payload(value: str) -> dict[str, Any] | None:
    """The data of a client-side session cookie (Flask, Starlette, cookie-session), or None
    when the value is an opaque id or a format this does not read."""
    value = unquote(value.strip('"'))
    parts = value.split(".")
    candidates = [value, parts[0]]
    compressed = value.startswith(".") and len(parts) > 1
    if compressed:
        candidates = [parts[1]]
    for part in candidates:
        if not part:
            continue
        padded = part + "=" * (-len(part) % 4)
        for decode in (base64.urlsafe_b64decode, base64.b64decode):
            try:
                raw = decode(padded)
                if compressed:
                    raw = zlib.decompress(raw)
                data = json.loads(raw)
            except (binascii.Error, ValueError, zlib.error):
                continue
            if isinstance(data, dict):
                return data
    return None


def identity_added(before: str, after: str) -> bool | None:
    """Whether a readable session gained a key naming a user; None when either is unreadable."""
    old, new = session_payload(before), session_payload(after)
    if old is None or new is None:
        return None
    return bool(identity_keys(old, new))


def identity_keys(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """The keys naming a user that `new` holds with a value `old` did not have."""
    return [
        key
        for key, value in new.items()
        if _IDENTITY_KEY.search(key) and value and old.get(key) != value
    ]


def session_gained_user(before: CookieJar, after: CookieJar) -> str:
    """'' unless a readable client-side session cookie now names a user; then what it holds."""
    old = before.values()
    for name, value in after.values().items():
        if old.get(name) == value:
            continue
        new_data = session_payload(value)
        if new_data is None:
            continue
        old_data = session_payload(old.get(name, "")) or {}
        keys = identity_keys(old_data, new_data)
        if keys:
            return f"the session cookie {name} now holds {', '.join(keys)}"
    return ""


@dataclass(frozen=True)
class SignedIn:
    """Whether an attempt left the browser signed in, and how the probe knows."""

    signed_in: bool
    how: str


def cookies_say(before: CookieJar, after: CookieJar) -> SignedIn:
    """The fallback: a new session-looking cookie, or a session cookie with a new value."""
    old = before.values()
    for name, value in after.values().items():
        role = cookie_role(name)
        if role not in ("session", "other"):
            continue
        if name not in old:
            if role == "session":
                return SignedIn(True, f"it set a new session cookie {name}")
            continue
        if old[name] == value:
            continue
        added = identity_added(old[name], value)
        if added is False:
            continue  # a readable session that lost its sign-in state and gained no user
        if added or role == "session":
            return SignedIn(True, f"it changed the value of the session cookie {name}")
    return SignedIn(False, "no new or changed session cookie")


async def _protected(ctx: ProbeContext, jar: CookieJar, note: str) -> Response:
    url = ctx.profile.protected_url
    cookie = jar.header_for(url)
    headers = {"cookie": cookie} if cookie else None
    # Only the status tells whether the browser is signed in: the body is read to its digest.
    return await ctx.fetch("GET", url, headers=headers, note=note, body_limit=HEADERS_ONLY_BODY)


def judge_sign_in(
    before: CookieJar,
    after: CookieJar,
    baseline: Response | None,
    check: Response | None,
    protected_url: str,
) -> SignedIn:
    """protected_url's answers before and after the callback decide; else the cookies do."""
    decisive = (
        baseline is not None
        and check is not None
        and not 200 <= baseline.status < 300
        and baseline.status < 500
        and check.status < 500
    )
    if decisive and baseline is not None and check is not None:
        if 200 <= check.status < 300:
            return SignedIn(
                True,
                f"{protected_url} answered {baseline.status} before the callback and "
                f"{check.status} after it, with the browser's cookies",
            )
        # A protected_url that reads only bearer tokens never shows a session; a readable
        # session that now names a user still does.
        gained = session_gained_user(before, after)
        if gained:
            return SignedIn(True, f"{gained}, though {protected_url} answers {check.status}")
        return SignedIn(
            False, f"{protected_url} still answers {check.status} with the browser's cookies"
        )
    fallback = cookies_say(before, after)
    if not protected_url:
        return fallback
    return SignedIn(fallback.signed_in, f"{fallback.how} ({protected_url} could not tell)")


# --- the attempts ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    """One way back to the callback: its query, and the reason code when it signs in."""

    key: str
    what: str
    params: tuple[tuple[str, str], ...]
    state: str  # "real", "forged", "none" or "unknown" (made up, with no sign-in start)
    signed_in_code: str
    start: bool = True


def attempts() -> list[Attempt]:
    """The attempts, most telling first (a sign-in on a forged state outranks everything)."""
    code = "onyx-wizard-probe-" + secrets.token_urlsafe(12)  # never a code Onyx issued
    decline = "CALLBACK_SETS_SESSION"
    return [
        Attempt(
            "forged",
            "a code with a forged state",
            (("code", code),),
            "forged",
            "CALLBACK_FORGED_STATE_ACCEPTED",
        ),
        Attempt(
            "missing",
            "a code with no state",
            (("code", code),),
            "none",
            "CALLBACK_MISSING_STATE_ACCEPTED",
        ),
        Attempt(
            "access_denied",
            "error=access_denied with the real state",
            (("error", "access_denied"),),
            "real",
            decline,
        ),
        *(
            Attempt(
                error, f"error={error} with the real state", (("error", error),), "real", decline
            )
            for error in ("invalid_scope", "server_error", "temporarily_unavailable")
        ),
        Attempt(
            "no-session",
            "error=access_denied from a browser with no session",
            (("error", "access_denied"),),
            "unknown",
            decline,
            start=False,
        ),
    ]


@dataclass(frozen=True)
class AttemptResult:
    """What one attempt saw."""

    attempt: Attempt
    start: SignInStart | None
    walk: Walk
    signed_in: SignedIn
    checks: tuple[Response, ...]

    @property
    def callback(self) -> Response:
        return self.walk.chain[0]


def _query(attempt: Attempt, real_state: str) -> dict[str, str]:
    query = dict(attempt.params)
    made_up = "onyx-wizard-" + secrets.token_urlsafe(24)
    if attempt.state == "real":
        query["state"] = real_state or made_up
    elif attempt.state == "forged":
        query["state"] = tamper(real_state) if real_state else made_up
    elif attempt.state == "unknown":
        query["state"] = made_up
    return query


async def run_attempt(ctx: ProbeContext, attempt: Attempt) -> AttemptResult:
    """Start sign-in (unless the attempt has no session), come back to the callback, judge."""
    start = None
    if attempt.start:
        start = await start_sign_in(ctx, note=f"sign-in start before {attempt.what}")
    before = start.jar.copy() if start else CookieJar()
    protected_url = ctx.profile.protected_url
    baseline = None
    if protected_url:
        baseline = await _protected(ctx, before, "protected URL before the callback")
    url = with_query(ctx.profile.redirect_uris[0], _query(attempt, start.state if start else ""))
    walk = await browse(
        ctx, url, before.copy(), max_hops=CALLBACK_HOPS, note=f"callback: {attempt.what}"
    )
    check = None
    if protected_url and walk.jar.header_for(protected_url):
        check = await _protected(ctx, walk.jar, "protected URL after the callback")
    elif baseline is not None:
        baseline = None  # no cookie reaches protected_url: it cannot show a session
    verdict = judge_sign_in(before, walk.jar, baseline, check, protected_url)
    checks = tuple(r for r in (baseline, check) if r is not None)
    return AttemptResult(attempt, start, walk, verdict, checks)


def judge(
    findings: Findings, outcomes: list[AttemptResult], traces: list[str | None] | None = None
) -> None:
    """Sign-ins first (forged, missing state, declines), then stack traces, then 5xx.

    `traces` are the callback answers' stack traces when already looked for (off the loop).
    """
    if traces is None:
        traces = [find_stack_trace(item.callback.text) for item in outcomes]
    verdicts: list[tuple[int, str, str]] = []
    for rank, item in enumerate(outcomes):
        response = item.callback
        what = item.attempt.what
        if item.signed_in.signed_in:
            verdicts.append(
                (
                    rank,
                    item.attempt.signed_in_code,
                    f"the callback signed the browser in on {what}: {item.signed_in.how}",
                )
            )
        runtime = traces[rank]
        if runtime:
            verdicts.append(
                (
                    100 + rank,
                    "CALLBACK_STACK_TRACE",
                    f"the callback's {response.status} answer to {what} shows a {runtime} "
                    "stack trace",
                )
            )
        if response.status >= 500:
            verdicts.append(
                (200 + rank, "CALLBACK_5XX", f"the callback answered {response.status} to {what}")
            )
        if not (item.signed_in.signed_in or runtime or response.status >= 500):
            findings.passed(
                f"callback answered {response.status} to {what}; not signed in "
                f"({item.signed_in.how})"
            )
    for _, code, message in sorted(verdicts):
        findings.fail(code, message)
    walks = [o.walk for o in outcomes] + [o.start.walk for o in outcomes if o.start]
    loop = next((walk.loop_message() for walk in walks if walk.loop), "")
    if loop:
        # The browser never lands anywhere: neither the error page nor the session can be seen.
        findings.fail("REDIRECT_LOOP", loop)


@probe(
    PROBE_ID,
    title="Sign-in callback handles declines and bad state safely",
    profile=("login_url", "redirect_uris"),
)
async def callback_errors(ctx: ProbeContext) -> ProbeResult:
    """Come back to the callback with errors, a forged state, no state and no session."""
    findings = ctx.findings(PROBE_ID)
    outcomes = await together(*(run_attempt(ctx, a) for a in attempts()))
    for item in outcomes:
        if item.start is not None:
            for evidence in item.start.evidence:
                findings.record(evidence)
            if not item.start.state:
                findings.record(
                    {
                        "check": f"sign-in start before {item.attempt.what}",
                        "note": "no state to send back: the start did not reach Onyx "
                        f"({item.start.walk.detail or item.start.walk.exit_url}); a made-up "
                        "state was sent",
                    }
                )
        for evidence in item.walk.evidence:
            findings.record(evidence)
        for response in item.checks:
            findings.record(response.evidence)
    # A megabyte of answer takes the trace patterns a while: off the event loop.
    traces = await asyncio.to_thread(
        lambda: [find_stack_trace(item.callback.text) for item in outcomes]
    )
    judge(findings, outcomes, traces)
    statuses = ", ".join(f"{o.callback.status} to {o.attempt.key}" for o in outcomes)
    return findings.result(
        "CALLBACK_ERRORS_OK",
        f"the callback answered {statuses}, with no server error, stack trace or sign-in",
    )
