"""Token rejection: the protected URL turns away missing, bad and forged tokens.

Bad tokens are a garbage string and the profile's expired and revoked tokens. Forged tokens are
made from real ones when they are JWTs: the valid token's claims (else the expired one's)
re-signed under a random HS256 key and as an unsecured `alg: none` JWT, and the expired token
(else the valid one) with its `exp` moved years ahead and its signature kept. The valid token
is also sent as `?access_token=` without a header, which must not be accepted (RFC 6750 §2.3,
RFC 9700).

How the probe could still pass a broken app, and what covers it:
- it accepts tokens signed with any key, or `alg: none`, but the expired and revoked tokens are
  refused for their claims: the forged tokens carry live claims (corpus `token-unverified-decode`);
- it checks the signature only for some algorithms: `alg: none` is one forgery of three;
- it accepts a valid token from the query string: sent on its own (corpus `token-in-query`).
How a correct app could fail it, and what prevents that:
- RFC 6750 challenges come in many spellings (several challenges in one header or several headers,
  unquoted values, `error_description` beside `error`): the header is parsed, not matched;
- it answers 403, or 401 without a challenge: a warning, never a failure (DESIGN);
- without a valid token (or with an opaque one) nothing can be forged: those checks are skipped
  and the evidence says so; the pass message claims only what was checked.
"""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Coroutine
from dataclasses import dataclass, field

from onyx_wizard.probes._browser import with_query
from onyx_wizard.probes._context import HEADERS_ONLY_BODY, ProbeContext, Response
from onyx_wizard.probes._jwt import forge_alg_none, forge_exp, forge_resigned, parse_jwt
from onyx_wizard.probes._model import Findings, ProbeResult
from onyx_wizard.probes._registry import probe
from onyx_wizard.probes._tasks import together
from onyx_wizard.secrets import SecretKey

PROBE_ID = "token-rejection"

_GARBAGE_ALPHABET = string.ascii_letters + string.digits + "-._~"
_WORDS = {
    "garbage": "a garbage access token",
    "expired": "an expired access token",
    "revoked": "a revoked access token",
    "resigned": "a forged access token (its claims re-signed with another key)",
    "alg-none": "a forged access token (alg: none, no signature)",
    "exp": "a forged access token (exp changed, signature kept)",
}
_ACCEPTED = {
    "garbage": "TOKEN_GARBAGE_ACCEPTED",
    "expired": "TOKEN_EXPIRED_ACCEPTED",
    "revoked": "TOKEN_REVOKED_ACCEPTED",
    "resigned": "TOKEN_FORGED_ACCEPTED",
    "alg-none": "TOKEN_FORGED_ACCEPTED",
    "exp": "TOKEN_FORGED_ACCEPTED",
}

# RFC 9110 §11.6.1: challenge = auth-scheme [ 1*SP ( token68 / #auth-param ) ].
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_TOKEN68 = re.compile(r"[A-Za-z0-9._~+/-]+=*")
_PARAM_START = re.compile(r"([!#$%&'*+.^_`|~0-9A-Za-z-]+)[ \t]*=[ \t]*")
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True)
class Challenge:
    """One authentication challenge: its scheme (lower-case) and its parameters."""

    scheme: str
    params: dict[str, str] = field(default_factory=dict)


def _skip(text: str, pos: int, chars: str) -> int:
    while pos < len(text) and text[pos] in chars:
        pos += 1
    return pos


def _item_ends(text: str, pos: int) -> bool:
    pos = _skip(text, pos, " \t")
    return pos >= len(text) or text[pos] == ","


def parse_challenges(header: str) -> list[Challenge]:
    """The challenges of one `WWW-Authenticate` value (it may hold several, comma-separated)."""
    found: list[Challenge] = []
    pos = 0
    while True:
        pos = _skip(header, pos, " \t,")
        scheme = _TOKEN.match(header, pos)
        if scheme is None:
            if pos >= len(header) or (pos := header.find(",", pos)) < 0:
                return found
            continue
        challenge = Challenge(scheme.group().lower())
        found.append(challenge)
        pos = _skip(header, scheme.end(), " \t")
        token68 = _TOKEN68.match(header, pos)
        if token68 and _item_ends(header, token68.end()):
            pos = token68.end()
            continue
        while (param := _PARAM_START.match(header, pos)) is not None:
            pos = param.end()
            quoted = _QUOTED.match(header, pos)
            if quoted:
                value, pos = re.sub(r"\\(.)", r"\1", quoted.group(1)), quoted.end()
            else:
                bare = _TOKEN.match(header, pos)
                value, pos = (bare.group(), bare.end()) if bare else ("", pos)
            challenge.params.setdefault(param.group(1).lower(), value)
            pos = _skip(header, pos, " \t")
            if pos >= len(header) or header[pos] != ",":
                break
            pos = _skip(header, pos, " \t,")
            # After a comma comes either the next parameter or the next challenge's scheme.
            if _PARAM_START.match(header, pos) is None:
                break


def challenges(response: Response) -> list[Challenge]:
    """Every challenge of every `WWW-Authenticate` header of the response."""
    return [
        c
        for value in response.headers.get_list("www-authenticate")
        for c in parse_challenges(value)
    ]


def bearer_challenge(response: Response) -> bool:
    """Whether the response carries a challenge with the Bearer scheme."""
    return any(c.scheme == "bearer" for c in challenges(response))


def invalid_token_error(response: Response) -> bool:
    """Whether a Bearer challenge names `error="invalid_token"` (RFC 6750 §3.1)."""
    return any(
        c.scheme == "bearer" and c.params.get("error", "").lower() == "invalid_token"
        for c in challenges(response)
    )


def garbage_token() -> str:
    """Forty random characters from the token alphabet, valid in form but meaningless."""
    return "".join(secrets.choice(_GARBAGE_ALPHABET) for _ in range(40))


def forged_tokens(valid: str, expired: str) -> tuple[dict[str, str], str]:
    """The forgeries that can be made from the tokens given, and a note on what was left out."""
    valid_jwt, expired_jwt = parse_jwt(valid) if valid else None, parse_jwt(expired)
    claims_from = valid_jwt or expired_jwt
    if claims_from is None:
        source = "no valid access token is set" if not valid else "the access tokens are not JWTs"
        return {}, f"forged-token checks skipped: {source}, so there is nothing to forge from"
    # The expiry of a dead token is what an attacker would move; else that of the live one.
    exp_from = expired_jwt or claims_from
    forged = {
        "resigned": forge_resigned(claims_from),
        "alg-none": forge_alg_none(claims_from),
        "exp": forge_exp(exp_from),
    }
    which = "valid" if claims_from is valid_jwt else "expired"
    return forged, f"forged tokens made from the {which} access token's claims"


def _check_without_token(findings: Findings, response: Response) -> None:
    status = response.status
    what = f"the protected URL answered {status} to a request without a token"
    if 200 <= status < 300:
        findings.fail("TOKEN_NONE_ACCEPTED", what)
    elif status >= 500:
        findings.fail("TOKEN_5XX", f"{what} instead of 401")
    elif status == 401 and not bearer_challenge(response):
        findings.warn(
            "TOKEN_NO_WWW_AUTHENTICATE",
            "the protected URL's 401 to a request without a token has no Bearer challenge",
        )
    elif status != 401:
        findings.warn("TOKEN_UNEXPECTED_STATUS", f"{what}, where 401 is expected")
    else:
        findings.passed("no token: 401 with a Bearer challenge")


def _check_rejected(findings: Findings, kind: str, response: Response) -> None:
    status = response.status
    what = f"the protected URL answered {status} to {_WORDS[kind]}"
    if 200 <= status < 300:
        findings.fail(_ACCEPTED[kind], what)
    elif status >= 500:
        findings.fail("TOKEN_5XX", f"{what} instead of 401")
    elif status == 401 and not bearer_challenge(response):
        findings.warn(
            "TOKEN_NO_WWW_AUTHENTICATE",
            f"the protected URL's 401 to {_WORDS[kind]} has no Bearer challenge",
        )
    elif status == 401 and not invalid_token_error(response):
        findings.warn("TOKEN_NO_INVALID_TOKEN_ERROR", f'{what} without error="invalid_token"')
    elif status != 401:
        findings.warn("TOKEN_UNEXPECTED_STATUS", f"{what}, where 401 is expected")
    else:
        findings.passed(f'{kind} token: 401 with error="invalid_token"')


def _check_query(findings: Findings, response: Response, valid_accepted: bool) -> None:
    status = response.status
    if 200 <= status < 300:
        findings.fail(
            "TOKEN_QUERY_ACCEPTED",
            f"the protected URL answered {status} to the valid access token sent as "
            "?access_token= in the URL, where tokens leak into logs and Referer headers",
        )
    elif status >= 500:
        findings.fail("TOKEN_5XX", f"the protected URL answered {status} to ?access_token=")
    elif valid_accepted:
        findings.passed("valid token in the query string: not accepted")
    else:
        findings.record({"note": "?access_token= was refused, but so was the valid token"})


@probe(
    PROBE_ID,
    title="Protected URL rejects missing, garbage, expired, revoked and forged tokens",
    secrets=(SecretKey.EXPIRED_ACCESS_TOKEN, SecretKey.REVOKED_ACCESS_TOKEN),
    profile=("protected_url",),
)
async def token_rejection(ctx: ProbeContext) -> ProbeResult:
    """Call the protected URL with no token, bad and forged ones; each must be refused."""
    findings = ctx.findings(PROBE_ID)
    url = ctx.profile.protected_url
    # The valid token is optional: with it the probe also forges tokens, tries the query string
    # and shows the URL accepts tokens at all, without which the rejections prove less.
    valid = ctx.secrets.get(SecretKey.VALID_ACCESS_TOKEN, "")
    expired = ctx.secret(SecretKey.EXPIRED_ACCESS_TOKEN)
    forged, forged_note = forged_tokens(valid, expired)
    bad = {
        "garbage": garbage_token(),
        "expired": expired,
        "revoked": ctx.secret(SecretKey.REVOKED_ACCESS_TOKEN),
        **forged,
    }

    def get(url: str, note: str, token: str | None = None) -> Coroutine[None, None, Response]:
        # Verdicts come from status and headers only: a body is read no further than its digest.
        headers = {"authorization": f"Bearer {token}"} if token is not None else None
        return ctx.fetch("GET", url, headers=headers, note=note, body_limit=HEADERS_ONLY_BODY)

    requests = {"none": get(url, "no token")}
    requests |= {kind: get(url, f"{kind} token", token) for kind, token in bad.items()}
    if valid:
        requests["valid"] = get(url, "valid token", valid)
        query_url = with_query(url, {"access_token": valid})
        requests["query"] = get(query_url, "valid token in the query string")
    answers = dict(zip(requests, await together(*requests.values()), strict=True))
    for response in answers.values():
        findings.record(response.evidence)

    _check_without_token(findings, answers["none"])
    for kind in bad:
        _check_rejected(findings, kind, answers[kind])
    findings.record({"note": forged_note})
    if not valid:
        findings.record({"note": "no valid access token is set: the query-string check skipped"})
    else:
        valid_accepted = 200 <= answers["valid"].status < 300
        _check_query(findings, answers["query"], valid_accepted)
        if not valid_accepted:
            findings.warn(
                "TOKEN_VALID_REJECTED",
                f"the protected URL answered {answers['valid'].status} to the valid access "
                "token, so it may not be the URL that checks tokens",
            )
    checked = "missing, garbage, expired, revoked" + (" and forged" if forged else "")
    message = f"the protected URL refuses {checked} tokens with 401"
    if valid:
        message += " and ignores a token in the query string"
    return findings.result("TOKENS_REJECTED", message)
