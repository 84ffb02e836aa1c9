"""The demo's access tokens: HS256 JWTs it signs itself, one valid, one expired, one revoked."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets as rnd
import time
from typing import Any

TOKEN_LIFETIME = 7 * 24 * 3600  # the demo may run for a long walkthrough
SUBJECT = "usr_demo_1"
# The test user whose access the revocation probe revokes (an `access.revoked` event).
REVOCABLE_SUBJECT = "usr_demo_revocable"


def b64url(data: bytes) -> str:
    """Base64url without padding, as JWTs and PKCE use it."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class AccessTokens:
    """Issues and checks the demo's tokens; `valid`, `expired` and `revoked` are for the probes."""

    def __init__(self) -> None:
        self._key = rnd.token_bytes(32)
        self._revoked: set[str] = set()
        self._revoked_users: set[str] = set()
        now = int(time.time())
        self.valid = self.make(now, now + TOKEN_LIFETIME)
        self.expired = self.make(now - 7200, now - 3600)
        revoked_jti = rnd.token_hex(8)
        self.revoked = self.make(now, now + TOKEN_LIFETIME, jti=revoked_jti)
        self._revoked.add(revoked_jti)
        self.revocable = self.make(now, now + TOKEN_LIFETIME, sub=REVOCABLE_SUBJECT)

    def revoke_user(self, subject: str) -> None:
        """Every token of `subject` stops working (an `access.revoked` event)."""
        self._revoked_users.add(subject)

    def make(self, iat: int, exp: int, *, jti: str | None = None, sub: str = SUBJECT) -> str:
        """A token for a demo user, issued at `iat` and expiring at `exp`."""
        header = {"alg": "HS256", "typ": "JWT"}
        claims = {"sub": sub, "iat": iat, "exp": exp, "jti": jti or rnd.token_hex(8)}
        signing_input = ".".join(
            b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
        )
        signature = hmac.new(self._key, signing_input.encode("ascii"), hashlib.sha256).digest()
        return f"{signing_input}.{b64url(signature)}"

    def check(
        self, token: str, *, accept_expired: bool = False, accept_revoked: bool = False
    ) -> dict[str, Any] | None:
        """The token's claims if it is genuine, unexpired and not revoked; else None."""
        parts = token.split(".")
        if len(parts) != 3:
            return None
        try:
            header = json.loads(_b64url_decode(parts[0]))
            signature = _b64url_decode(parts[2])
            expected = hmac.new(
                self._key, f"{parts[0]}.{parts[1]}".encode("ascii"), hashlib.sha256
            ).digest()
            # Check the algorithm too: "alg": "none" must never pass.
            if not isinstance(header, dict) or header.get("alg") != "HS256":
                return None
            if not hmac.compare_digest(signature, expected):
                return None
            claims = json.loads(_b64url_decode(parts[1]))
        except (ValueError, UnicodeError):
            return None
        if not isinstance(claims, dict) or not isinstance(claims.get("exp"), int):
            return None
        if claims["exp"] <= time.time() and not accept_expired:
            return None
        if claims.get("jti") in self._revoked and not accept_revoked:
            return None
        if claims.get("sub") in self._revoked_users:
            return None
        return claims
