"""Open redirect probe: return-to values on login and callback never leave the partner's hosts.

Each of `next`, `url`, `redirect`, `return_to` and `continue` gets a battery of foreign targets
(absolute, protocol-relative, backslash forms, userinfo and suffix tricks, percent-encoded) —
each target in all five at once, and the plainest two in each alone (see `plan`):
- on login_url, started as a browser would (same-host hops followed, a sign-in form submitted);
- on the callback after that start — an error with the real state and the same parameter — so a
  `next` the login stored and the callback honours is seen as well as one given to the callback;
- on the callback from a browser with no session.
Every answer is judged on its raw Location, Refresh header and <meta http-equiv=refresh>: a
target off the partner's hosts fails, and so does the foreign value sent straight back (an HTTP
client may not even build a request from `https:%2F%2Fevil.example/`, and browsers disagree).

The callback is never sent a code with the real state: on a correct app that would really sign
in (or make the app redeem a made-up code at Onyx), and a stored `next` honoured only after a
successful sign-in stays out of reach: a person confirms that path.
"""

from __future__ import annotations

import asyncio
import functools
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import unquote

from onyx_wizard.probes._browser import (
    CookieJar,
    Walk,
    browse,
    query_params,
    redirect_values,
    resolve_location,
    safe_host,
    same_endpoint,
    start_sign_in,
    with_query,
)
from onyx_wizard.probes._context import ProbeContext, Response, domain_host
from onyx_wizard.probes._model import ProbeResult
from onyx_wizard.probes._registry import probe
from onyx_wizard.probes._tasks import together
from onyx_wizard.profile import Profile

PROBE_ID = "open-redirect"
PARAMS = ("next", "url", "redirect", "return_to", "continue")
EVIL = "evil.example"  # only ever sent as a value, never connected to
CONCURRENCY = 8  # flows at once: quick on loopback, gentle on a live deployment
CALLBACK_HOPS = 2
SINGLE_VALUES = 2  # the first foreign targets, also tried in each parameter alone
MAX_FINDINGS_EVIDENCE = 12

T = TypeVar("T")


def foreign_targets(profile: Profile) -> list[str]:
    """The foreign return-to values, each a way a local-path or same-host check is fooled."""
    domain = profile.production_domain  # may carry a port: https://localhost:8443@evil…
    host = domain_host(profile)
    return [
        f"https://{EVIL}/",
        f"//{EVIL}/",
        f"/\\{EVIL}/",
        f"\\/{EVIL}/",
        f"https://{domain}@{EVIL}/",
        f"https://{host}.{EVIL}/",
        f"https:%2F%2F{EVIL}/",
        f"%2F%2F{EVIL}/",
    ]


def plan(values: list[str]) -> list[tuple[tuple[str, ...], str]]:
    """(parameters, value) of each flow: every value in all the parameters at once, which
    reaches whichever one the app reads, and the plainest values in each parameter alone, so an
    app that reads several (validating one, trusting another) is not masked by the first."""
    together: list[tuple[tuple[str, ...], str]] = [(PARAMS, value) for value in values]
    return together + [((param,), value) for param in PARAMS for value in values[:SINGLE_VALUES]]


def allowed_hosts(profile: Profile) -> frozenset[str]:
    """Every host the profile names: where the partner's pages may legitimately send a browser."""
    urls = [
        *profile.allowed_origins,
        *profile.redirect_uris,
        profile.login_url,
        profile.protected_url,
        profile.webhook_url,
        profile.privacy_notice_url,
        profile.onyx_authorize_url,
    ]
    hosts = {safe_host(url) for url in urls if url}
    hosts.add(domain_host(profile).lower())
    hosts.discard("")
    return frozenset(hosts)


@dataclass(frozen=True)
class Bounds:
    """Where redirects may go: the profile's hosts, the production domain, and Onyx."""

    hosts: frozenset[str]
    domain: str
    onyx_authorize_url: str

    @classmethod
    def of(cls, profile: Profile) -> Bounds:
        return cls(allowed_hosts(profile), domain_host(profile).lower(), profile.onyx_authorize_url)

    def inside(self, host: str) -> bool:
        """Whether `host` is one the profile names, or a subdomain of the production domain."""
        return host in self.hosts or host.endswith("." + self.domain)


_AUTHORITY = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://([^/?#]*)")


def target_host(url: str) -> str:
    """The host a browser would contact for `url`, read by hand when the URL does not parse
    (an out-of-range port, say)."""
    host = safe_host(url)
    if host:
        return host
    match = _AUTHORITY.match(url)
    if not match:
        return ""
    authority = match[1].rpartition("@")[2]
    if authority.startswith("["):
        return authority[1 : authority.find("]")].lower()
    return authority.rpartition(":")[0].lower() if ":" in authority else authority.lower()


@dataclass(frozen=True)
class Trial:
    """One answer to judge: which request it came from, and what it was sent."""

    where: str
    param: str
    value: str
    response: Response


def problems(trial: Trial, bounds: Bounds) -> list[str]:
    """Each way `trial`'s answer sends the browser off the partner's hosts (none: it does not)."""
    response = trial.response
    sent = f"{trial.where} with {trial.param}={trial.value}"
    echoes = {trial.value, unquote(trial.value)}
    found = []
    for how, raw in redirect_values(response):
        target = resolve_location(response.url, raw)
        host = target_host(target)
        if host and not bounds.inside(host):
            found.append(
                f"{sent} answers {response.status} sending the browser to {target} "
                f"(its {how}), a host outside the partner's"
            )
        elif raw.strip() in echoes or unquote(raw.strip()) in echoes:
            # Sent back as given (or only percent-encoded by the framework on the way out):
            # nothing checked it, and clients, proxies and browsers read such values
            # differently; an HTTP client may not even follow it.
            found.append(
                f"{sent} answers {response.status} with the foreign value itself as its {how} "
                f"({raw.strip()}), unchecked"
            )
        elif bounds.onyx_authorize_url and same_endpoint(target, bounds.onyx_authorize_url):
            # Onyx sends the browser (and the code) on to redirect_uri: a foreign one is a
            # redirect too.
            redirect_uri = query_params(target).get("redirect_uri", "")
            back = target_host(resolve_location(target, redirect_uri)) if redirect_uri else ""
            if back and not bounds.inside(back):
                found.append(
                    f"{sent} sends the sign-in to Onyx with redirect_uri {redirect_uri}, "
                    "a host outside the partner's"
                )
    return found


# --- the flows ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Flow:
    """What one parameter and value met: the login walk, and the two callback walks."""

    param: str
    value: str
    login: Walk
    after_start: Walk | None
    no_session: Walk

    def trials(self) -> list[Trial]:
        walks = [
            ("login_url", self.login),
            ("the callback after a sign-in start", self.after_start),
            ("the callback, with no session", self.no_session),
        ]
        return [
            Trial(where, self.param, self.value, response)
            for where, walk in walks
            if walk is not None
            for response in walk.chain
        ]


async def run_flow(ctx: ProbeContext, params: tuple[str, ...], value: str) -> Flow:
    """Offer `value` in each of `params` to login_url, to the callback after that start, and
    without one."""
    callback = ctx.profile.redirect_uris[0]
    offered = dict.fromkeys(params, value)
    param = params[0] if len(params) == 1 else "/".join(params)

    async def after_a_start() -> tuple[Walk, Walk | None]:
        start = await start_sign_in(
            ctx, extra_params=offered, note=f"sign-in start with {param}={value}"
        )
        if not start.state:
            return start.walk, None
        # The real state lets the error path run as far as a correct app lets it: to a stored
        # return-to value, if the app keeps and honours one.
        query = {"error": "access_denied", "state": start.state, **offered}
        after = await browse(
            ctx,
            with_query(callback, query),
            start.jar.copy(),
            max_hops=CALLBACK_HOPS,
            note=f"callback after a sign-in start, with {param}={value}",
        )
        return start.walk, after

    # One task group: a failed request cancels the other walk rather than leaving it running.
    async with asyncio.TaskGroup() as group:
        started = group.create_task(after_a_start())
        alone = group.create_task(
            browse(
                ctx,
                with_query(callback, {"error": "access_denied", **offered}),
                CookieJar(),
                max_hops=CALLBACK_HOPS,
                note=f"callback with no session, with {param}={value}",
            )
        )
    (login, after_start), no_session = started.result(), alone.result()
    return Flow(param, value, login, after_start, no_session)


async def _bounded(gate: asyncio.Semaphore, make: Callable[[], Awaitable[T]]) -> T:
    async with gate:
        return await make()


@probe(
    PROBE_ID,
    title="No open redirect on login or callback",
    profile=("login_url", "redirect_uris"),
)
async def open_redirect(ctx: ProbeContext) -> ProbeResult:
    """Offer foreign return-to values to login and callback; no answer may redirect off-site."""
    findings = ctx.findings(PROBE_ID)
    profile = ctx.profile
    values = foreign_targets(profile)
    gate = asyncio.Semaphore(CONCURRENCY)
    flows = await together(
        *(
            _bounded(gate, functools.partial(run_flow, ctx, params, value))
            for params, value in plan(values)
        )
    )
    bounds = Bounds.of(profile)
    # Reading every answer's redirects parses its page: off the event loop, all at once.
    judged = await asyncio.to_thread(
        lambda: [[(trial, problems(trial, bounds)) for trial in flow.trials()] for flow in flows]
    )
    requests = 0
    shown = 0
    for index, trials in enumerate(judged):
        for trial, found in trials:
            requests += 1
            if index == 0 or (found and shown < MAX_FINDINGS_EVIDENCE):
                findings.record(trial.response.evidence)
                shown += bool(found)
            for message in found:
                findings.fail("OPEN_REDIRECT", message)
    walks = [walk for flow in flows for walk in (flow.login, flow.after_start, flow.no_session)]
    loop = next((walk.loop_message() for walk in walks if walk is not None and walk.loop), "")
    if loop:
        findings.fail("REDIRECT_LOOP", loop)
    summary: dict[str, Any] = {
        "check": "foreign return-to values",
        "parameters": list(PARAMS),
        "values": values,
        "requests": requests,
    }
    findings.record(summary)
    return findings.result(
        "NO_OPEN_REDIRECT",
        f"none of {len(values)} foreign targets in {', '.join(PARAMS)}, on login, on the callback "
        f"after a sign-in start or without a session ({requests} answers), sent the browser "
        "off the partner's hosts",
    )
