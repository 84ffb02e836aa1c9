"""Reading JWTs without verifying them, and forging the tokens an attacker would try."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

# A forged expiry far enough ahead that no clock skew or token lifetime explains it away.
FORGED_LIFETIME = 10 * 365 * 24 * 3600


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_json(part: str) -> object:
    """The JSON a base64url part holds, or None when it holds none."""
    padded = part + "=" * (-len(part) % 4)
    try:
        return json.loads(base64.urlsafe_b64decode(padded))
    except (binascii.Error, ValueError):
        return None


def _encode(data: dict[str, Any]) -> str:
    return b64url(json.dumps(data, separators=(",", ":")).encode())


@dataclass(frozen=True)
class Jwt:
    """A compact JWS split into its parts, with its header and claims decoded."""

    header: dict[str, Any]
    claims: dict[str, Any]
    signing_input: str
    signature: str


def parse_jwt(token: str) -> Jwt | None:
    """The token as a JWS with a JSON header (holding `alg`) and JSON claims; None otherwise."""
    parts = token.strip().split(".")
    if len(parts) != 3:
        return None
    header, claims = b64url_json(parts[0]), b64url_json(parts[1])
    if not isinstance(header, dict) or "alg" not in header or not isinstance(claims, dict):
        return None
    return Jwt(header, claims, f"{parts[0]}.{parts[1]}", parts[2])


def _live_claims(jwt: Jwt) -> dict[str, Any]:
    # A forgery must not be refused merely for being expired: that would hide the forgery.
    claims = dict(jwt.claims)
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or exp < time.time() + 3600:
        claims["exp"] = int(time.time()) + 24 * 3600
    return claims


def forge_resigned(jwt: Jwt) -> str:
    """The token's claims (kept live) signed with HS256 under a random key nobody knows."""
    signing_input = f"{_encode({'alg': 'HS256', 'typ': 'JWT'})}.{_encode(_live_claims(jwt))}"
    mac = hmac.new(secrets.token_bytes(32), signing_input.encode("ascii"), hashlib.sha256)
    return f"{signing_input}.{b64url(mac.digest())}"


def forge_alg_none(jwt: Jwt) -> str:
    """The token's claims (kept live) as an unsecured JWT: `alg: none`, empty signature."""
    return f"{_encode({'alg': 'none', 'typ': 'JWT'})}.{_encode(_live_claims(jwt))}."


def forge_exp(jwt: Jwt) -> str:
    """The token with its `exp` moved years ahead and its original header and signature kept."""
    header = jwt.signing_input.split(".", 1)[0]
    claims = {**jwt.claims, "exp": int(time.time()) + FORGED_LIFETIME}
    return f"{header}.{_encode(claims)}.{jwt.signature}"
