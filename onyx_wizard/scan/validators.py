"""Checks run on each candidate a rule's regex found, before it becomes a finding.

A validator takes the candidate value (bytes) and returns how many of its leading bytes are the
real value: the whole length to accept it, 0 to reject it, or less to trim a greedy match (a
card number followed by its CVV, an IBAN followed by a currency code). They run on candidates
only, so they may be written for clarity rather than speed.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections import Counter
from collections.abc import Callable
from functools import cache

Validator = Callable[[bytes], int]


def entropy(value: bytes) -> float:
    """Shannon entropy of `value`, in bits per byte."""
    if not value:
        return 0.0
    size = len(value)
    return -sum(n / size * math.log2(n / size) for n in Counter(value).values())


# Each digit doubled, with the digits of the result summed (the Luhn step), as a byte table.
_DOUBLED = bytes.maketrans(b"0123456789", b"0246813579")


def luhn(digits: bytes) -> bool:
    """Whether ASCII digits pass the Luhn (mod 10) check (sums done in C: runs per candidate)."""
    kept = digits[-1::-2]
    doubled = digits[-2::-2].translate(_DOUBLED)
    return (sum(kept) + sum(doubled) - 48 * len(digits)) % 10 == 0


# Issuer prefixes (ISO/IEC 7812 IIN ranges as the networks publish them) and the lengths each
# issues. A number must fit one: this rejects most 13–19 digit ids that pass Luhn by chance.
_CARD_RANGES: tuple[tuple[int, int, frozenset[int]], ...] = (
    (4, 4, frozenset({13, 16, 19})),  # Visa
    (51, 55, frozenset({16})),  # Mastercard
    (2221, 2720, frozenset({16})),  # Mastercard 2-series
    (34, 34, frozenset({15})),  # American Express
    (37, 37, frozenset({15})),
    (6011, 6011, frozenset(range(16, 20))),  # Discover
    (644, 649, frozenset(range(16, 20))),
    (65, 65, frozenset(range(16, 20))),
    (62, 62, frozenset(range(16, 20))),  # UnionPay
    (3528, 3589, frozenset(range(16, 20))),  # JCB
    (300, 305, frozenset({14, 16})),  # Diners Club
    (36, 36, frozenset(range(14, 20))),
    (38, 39, frozenset({16})),
    (2200, 2204, frozenset(range(16, 20))),  # Mir
    (5018, 5018, frozenset(range(13, 20))),  # Maestro
    (5020, 5020, frozenset(range(13, 20))),
    (5038, 5038, frozenset(range(13, 20))),
    (5893, 5893, frozenset(range(13, 20))),
    (6304, 6304, frozenset(range(13, 20))),
    (6759, 6759, frozenset(range(13, 20))),
    (6761, 6763, frozenset(range(13, 20))),
    (1, 1, frozenset({15})),  # UATP (airline cards)
    (5019, 5019, frozenset({16})),  # Dankort
    (4571, 4571, frozenset({16})),  # Visa/Dankort
)


@cache
def _card_prefixes() -> dict[int, frozenset[int]]:
    """Length → the 4-digit prefixes issued at that length (a set lookup per candidate)."""
    table: dict[int, set[int]] = {}
    for low, high, lengths in _CARD_RANGES:
        scale = 10 ** (4 - len(str(low)))
        for length in lengths:
            table.setdefault(length, set()).update(range(low * scale, (high + 1) * scale))
    return {length: frozenset(prefixes) for length, prefixes in table.items()}


def card_issuer_fits(digits: bytes) -> bool:
    """Whether the number's prefix and length match a card network's."""
    prefixes = _card_prefixes().get(len(digits))
    return prefixes is not None and int(digits[:4]) in prefixes


def _card_number(digits: bytes) -> bool:
    # The issuer test first: it is cheaper, and rejects most numbers that are not cards. A rule
    # may pair this validator with a looser regex: anything but digits is no card number.
    return (
        13 <= len(digits) <= 19 and digits.isdigit() and card_issuer_fits(digits) and luhn(digits)
    )


def card(value: bytes) -> int:
    """A card number: Luhn and an issuer's prefix and length; trims trailing digit groups."""
    digits = value.translate(None, b" -")
    if len(digits) == len(value):
        return len(value) if _card_number(digits) else 0
    # With separators, also try ending at each one from the right: drops a trailing CVV,
    # expiry or amount that the regex swallowed.
    ends = [len(value)] + [i for i in range(len(value) - 1, 0, -1) if value[i] in b" -"]
    for end in ends:
        digits = value[:end].translate(None, b" -")
        if len(digits) < 13:
            break
        if _card_number(digits):
            return end
    return 0


def ssn(value: bytes) -> int:
    """A US SSN: area not 000, 666 or 900–999; group not 00; serial not 0000.

    Dashes, spaces or dots between the groups, or none (a labelled `ssn=536221937`).
    """
    digits = value.translate(None, b"- .").decode("ascii")
    if len(digits) != 9 or not digits.isdigit():
        return 0
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
        return 0
    return len(value)  # published example numbers: [[example]] in rules.toml


def jwt_header(value: bytes) -> int:
    """A JWT: its first segment base64url-decodes to a JSON object naming an "alg"."""
    header = value.split(b".", 1)[0]
    try:
        decoded = base64.urlsafe_b64decode(header + b"=" * (-len(header) % 4))
        data = json.loads(decoded)
    except (binascii.Error, ValueError):
        return 0
    return len(value) if isinstance(data, dict) and isinstance(data.get("alg"), str) else 0


def e164(value: bytes) -> int:
    """An E.164 number: 8–15 digits after '+' (spaces, dots, dashes, brackets between groups),
    and not one digit repeated (a filler)."""
    digits = value[1:].translate(None, b" .-()")
    if not 8 <= len(digits) <= 15 or len(set(digits)) == 1 or not digits.isdigit():
        return 0
    return len(value)


def phone_national(value: bytes) -> int:
    """A national phone number (NANP `(415) 555-2671`, `09-7625400`): 9–11 digits."""
    digits = value.translate(None, b" .-()")
    if not 9 <= len(digits) <= 11 or len(set(digits)) == 1:
        return 0
    return len(value)


# Country code → IBAN length, from the SWIFT IBAN registry.
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27,
    "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27,
    "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22,
    "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32,
    "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
    "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24,
    "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24, "SC": 31,
    "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28, "TL": 23,
    "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}  # fmt: skip


def iban_checksum(compact: str) -> bool:
    """The ISO 13616 mod-97 check: the rearranged number, letters as 10–35, leaves 1."""
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


def iban(value: bytes) -> int:
    """An IBAN: its country's exact length and the mod-97 check; trims trailing words.

    Its groups may be parted by spaces or by dashes, not both.
    """
    text = value.decode("ascii")
    length = IBAN_LENGTHS.get(text[:2])
    if length is None:
        return 0
    count = 0
    for index, char in enumerate(text):
        if char not in " -":
            count += 1
        if count == length:
            end = index + 1
            # The value must end here or at a separator: never inside a longer word.
            if end < len(text) and text[end] not in " -":
                return 0
            head = text[:end]
            compact = head.replace(" ", "").replace("-", "")
            if end - len(compact) and " " in head and "-" in head:
                return 0
            return end if iban_checksum(compact) else 0
    return 0


def email(value: bytes) -> int:
    """An e-mail address: RFC 5321 lengths, no empty dot-atoms, not an image name, and a
    person's (a Google Cloud service account's address names a robot)."""
    local, _, domain = value.rpartition(b"@")
    if not local or len(local) > 64 or len(domain) > 253:
        return 0
    if local.startswith(b".") or local.endswith(b".") or b".." in local:
        return 0
    domain = domain.lower()
    # `icon@2x.png` and friends (retina asset names) have the shape of an address.
    if domain.rsplit(b".", 1)[-1] in _FILE_EXTENSIONS or domain.endswith(_ROBOTS):
        return 0
    return len(value)


_ROBOTS = b".gserviceaccount.com"


_FILE_EXTENSIONS = frozenset(
    {b"png", b"jpg", b"jpeg", b"gif", b"svg", b"webp", b"ico", b"css", b"js", b"map", b"json"}
)


def basic_auth(value: bytes) -> int:
    """HTTP Basic credentials: base64 of `user:password`, the user printable.

    The password may be empty (Stripe and others take the API key as the user name) or hold
    UTF-8; control characters, or a user that is JSON (`{"alg":…`, a JWT sent as Basic), are
    not credentials.
    """
    try:
        decoded = base64.b64decode(value + b"=" * (-len(value) % 4), validate=True)
    except binascii.Error:
        return 0
    user, sep, password = decoded.partition(b":")
    if not sep or not user or not all(32 < byte < 127 for byte in user) or b'"' in user:
        return 0
    if any(byte < 32 or byte == 127 for byte in password):
        return 0
    return len(value)


def mixed(value: bytes) -> int:
    """A credential-like value: letters mixed with digits or symbols, or at least 16 long,
    and at least one ASCII letter or digit.

    Rejects words (`password: required`) and names made of words (`real_key`, `min-length`)
    that log messages and code put where a value could be, and runs of punctuation.
    """
    letters = value.lower() != value.upper()  # bytes: ASCII letters only
    digits = _DIGIT.search(value) is not None
    if not letters and not digits:
        return 0
    if len(value) >= 16:
        return len(value)
    # `_` and `-` join the words of a name; they make no password stronger.
    symbols = _SYMBOL.search(value) is not None
    return len(value) if letters + digits + symbols >= 2 else 0


_DIGIT = re.compile(rb"[0-9]")
_SYMBOL = re.compile(rb"[^A-Za-z0-9_-]")


def _mrz_digit(field: bytes) -> int:
    """ICAO 9303 part 3 check digit: weights 7, 3, 1; digits as is, A–Z 10–35, `<` 0."""
    total = 0
    for index, byte in enumerate(field):
        if 48 <= byte <= 57:
            number = byte - 48
        elif 65 <= byte <= 90:
            number = byte - 55
        else:
            number = 0
        total += number * (7, 3, 1)[index % 3]
    return total % 10


def _checks(line: bytes, fields: tuple[tuple[int, int, int], ...]) -> bool:
    """Each (start, end, check digit position) of a line holds its check digit."""
    for start, end, at in fields:
        digit = line[at : at + 1]
        if digit == b"<" and not line[start:end].strip(b"<"):
            continue  # an optional field left empty
        if not digit.isdigit() or _mrz_digit(line[start:end]) != digit[0] - 48:
            return False
    return True


def mrz(value: bytes) -> int:
    """An ICAO 9303 machine-readable zone (TD3 passport, TD2 or TD1 card): its check digits.

    The lines may be joined by a newline, an escaped `\\n` or a space, as logs show them.
    """
    lines = [
        line for line in value.replace(b"\\n", b"\n").replace(b" ", b"\n").split(b"\n") if line
    ]
    lines = [line.rstrip(b"\r") for line in lines]
    if len(lines) == 2 and len(lines[1]) == 44:  # TD3: the second line carries every check
        line = lines[1]
        ok = _checks(line, ((0, 9, 9), (13, 19, 19), (21, 27, 27), (28, 42, 42)))
        composite = line[0:10] + line[13:20] + line[21:43]
        return len(value) if ok and _mrz_digit(composite) == line[43] - 48 else 0
    if len(lines) == 2 and len(lines[1]) == 36:  # TD2
        line = lines[1]
        ok = _checks(line, ((0, 9, 9), (13, 19, 19), (21, 27, 27)))
        composite = line[0:10] + line[13:20] + line[21:35]
        return len(value) if ok and _mrz_digit(composite) == line[35] - 48 else 0
    if len(lines) >= 2 and len(lines[0]) == 30 and len(lines[1]) == 30:  # TD1
        first, second = lines[0], lines[1]
        ok = _checks(first, ((5, 14, 14),)) and _checks(second, ((0, 6, 6), (8, 14, 14)))
        composite = first[5:30] + second[0:7] + second[8:15] + second[18:29]
        return len(value) if ok and _mrz_digit(composite) == second[29] - 48 else 0
    return 0


# Words a key's name is made of (camelCase, snake_case, kebab-case, dotted all split).
_WORDS = re.compile(rb"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_PASSWORD_WORDS = frozenset({b"password", b"passwd", b"pwd", b"pass", b"passphrase", b"passwords"})
_SECRET_WORDS = frozenset(
    {
        b"secret",
        b"secrets",
        b"secrete",
        b"token",
        b"apikey",
        b"credential",
        b"credentials",
        b"creds",
        b"cred",
        b"auth",
    }
)
# `key` alone names anything (a map key, a keyboard key); with one of these before it, a secret.
_KEY_QUALIFIERS = frozenset(
    {
        b"api",
        b"access",
        b"private",
        b"secret",
        b"signing",
        b"encryption",
        b"master",
        b"client",
        b"app",
        b"storage",
        b"shared",
        b"hmac",
        b"auth",
        b"session",
        b"consumer",
    }
)
# Words that make the name a property of a secret, not the secret (`secret_name`, `token_url`,
# `csrf_token`, `public_key`, `max_tokens`, `credentialsId`), or not one at all.
_NOT_SECRET_WORDS = frozenset(
    {
        b"id",
        b"ids",
        b"name",
        b"names",
        b"url",
        b"uri",
        b"urls",
        b"endpoint",
        b"file",
        b"files",
        b"path",
        b"length",
        b"len",
        b"size",
        b"type",
        b"types",
        b"version",
        b"count",
        b"max",
        b"min",
        b"limit",
        b"public",
        b"pub",
        b"csrf",
        b"xsrf",
        b"schema",
        b"sequence",
        b"primary",
        b"foreign",
        b"bucket",
        b"kms",
        b"policy",
        b"hint",
        b"prompt",
        b"completion",
        b"timeout",
        b"ttl",
        b"expires",
        b"expiry",
        b"expiration",
        b"header",
        b"field",
        b"format",
        b"mode",
        b"label",
        b"description",
        b"page",
        b"next",
        b"sync",
        b"continuation",
        b"verification",
        b"hash",
        b"alias",
        b"ring",
        b"pair",
        b"event",
        b"chars",
        b"str",
        b"location",
        b"dir",
        b"enabled",
        b"required",
        b"param",
        b"regex",
        b"pattern",
        b"store",
        b"storetype",
        b"tab",
        b"env",
        b"var",
        b"ref",
        b"placeholder",
        b"prefix",
        b"suffix",
        b"algorithm",
        b"algo",
        b"kind",
        b"method",
        b"status",
        b"state",
        b"error",
        b"errors",
        b"usage",
        b"used",
        b"tokens",
        b"keys",
        b"rotation",
        b"strength",
        b"rules",
        b"reset",
        b"forgot",
        b"confirm",
        b"mask",
        b"masked",
        b"visible",
        b"show",
        b"toggle",
    }
)
# Values that refer to a secret kept elsewhere, not the secret: templates, environment reads and
# a variable's member (`$config.key`, `$this->key`).
_REFERENCE = re.compile(
    rb"^(?:\$\{|\$\(|\{\{|%\(|%s|<%|#\{|\$[A-Z_]+$|\$[A-Z_][A-Z0-9_]*(?:\.|->|\[)|process\.env"
    rb"|os\.environ|os\.getenv|getenv|ENV\[|env\(|secrets\.|vault:|!vault|-----BEGIN"
    rb"|[a-z][a-z0-9+.-]*://|/|\[|\*+$|<)",
    re.IGNORECASE,
)
# An unquoted dotted name (`X25519.secret_length`, `Key128Bit;`): code, not a value.
_CODE_NAME = re.compile(rb"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+;?$")
# Names, not values: a constant (`ACCESS_TOKEN`, where a template wants the real one), an XML
# qualified name (`clm5:AgencyIdentificationCodeType`), a key with its operator and no value
# (`"token = " + token`), or another secret's assignment (`auth: password=…`: the rule of that
# key looks at it, from the next byte).
_NAME_VALUE = re.compile(
    rb"^(?:[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$|[A-Za-z_][\w.-]*:[A-Z][a-z]+(?:[A-Z][a-z]+)+$"
    rb"|[A-Za-z_][\w.-]*(?:[ \t]+[:=]{1,2}[ \t]*|[:=]{1,2}[ \t]+)$"
    rb"|[A-Za-z_.-]*(?i:pass|pwd|secret|token|key|auth|cred)[A-Za-z_.-]*=[^=])"
)
# Vendors' token prefixes, each with the token's whole format (as its rule in rules.toml has
# it). A value that starts like a vendor's token but lacks its format is a malformed one (a
# truncated copy, a test value one character off), which that vendor would refuse: not a
# credential to report under a context rule (`token = "…"`) either.
_VENDOR_FORMATS = (
    (  # Telegram bot token: bot id, `:A`, 34 characters
        re.compile(rb"^[0-9]+:A"),
        re.compile(rb"^[0-9]{5,16}:A[A-Za-z0-9_-]{34}$"),
    ),
    (  # Slack
        re.compile(rb"^xox[a-z]-"),
        re.compile(
            rb"^(?:(?:xoxe\.)?xox[baprseo]-(?:[0-9]-)?[0-9A-Za-z]{6,}-[A-Za-z0-9-]{8,}"
            rb"|xox[ar]-(?:[0-9]-)?[0-9]*[A-Za-z][0-9A-Za-z]{7,}"
            rb"|xoxe-[0-9]-[A-Za-z0-9]{100,}|xoxe\.xox[bp]-[0-9]-[A-Za-z0-9]{100,})$"
        ),
    ),
    (  # Heroku platform key
        re.compile(rb"^HRKU-"),
        re.compile(rb"^HRKU-AA[0-9A-Za-z_-]{58}$"),
    ),
)


def malformed_vendor_token(value: bytes) -> bool:
    """Whether `value` starts like a vendor's token (`xoxb-`, `HRKU-`) but lacks its format."""
    if value[:1] not in _VENDOR_FIRST:
        return False  # the cheap test first: it runs for every context rule's value
    return any(prefix.match(value) and not whole.match(value) for prefix, whole in _VENDOR_FORMATS)


_VENDOR_FIRST = b"0123456789xH"


_TYPE_NAMES = frozenset({b"string", b"str", b"var", b"const", b"let", b"val", b"char", b"assign"})


def _name_words(key: bytes) -> list[bytes]:
    names = []
    for name in re.findall(rb"[A-Za-z_][A-Za-z0-9_.\-]*", key):
        parts = name.split(b".")
        # A type or a method after the name (`secrete.assign(`) is not part of it.
        while parts and parts[-1].lower() in _TYPE_NAMES:
            parts.pop()
        if parts:
            names.append(b".".join(parts))
    if not names:
        return []
    return [word.lower() for word in _WORDS.findall(names[-1])]


def secret_name(key: bytes, password: bool) -> bool:
    """Whether a key's name (`clientSecret`, `db_pass`, `SERVICE_TOKEN`) names a secret."""
    words = _name_words(key)
    if not words or any(word in _NOT_SECRET_WORDS for word in words):
        return False
    if password:
        return any(word in _PASSWORD_WORDS for word in words)
    if any(word in _SECRET_WORDS for word in words):
        return True
    return any(
        word == b"key" and index and words[index - 1] in _KEY_QUALIFIERS
        for index, word in enumerate(words)
    )


def _says_placeholder(value: bytes) -> bool:
    """A value a context rule would drop but that says it is a placeholder (`<your-key>`,
    `changeme`, `npm_xxxxxxxx`): reported as a suppressed example instead. A mask
    (`[REDACTED]`, `****`) hides a value and is dropped."""
    return (says_example(value) or _FILLER.search(value) is not None) and not _MASK.match(value)


_MASK = re.compile(
    rb"^[\[<({]?(?:redacted|masked|hidden|removed|filtered|omitted|secret|password|\*+|x+)"
    rb"[\]>)}]?$",
    re.IGNORECASE,
)


def assigned_value(key: bytes, value: bytes) -> bool:
    """Whether the value after a secret's name could be the secret (not a reference, not code);
    a placeholder could, to be reported as a suppressed example."""
    quoted = key[-1:] in (b'"', b"'", b"`")
    if _REFERENCE.search(value):
        pass
    elif not quoted and key.rstrip(b" \t@").endswith((b"(", b",")):
        pass  # a call's argument: only a string literal is a value
    elif quoted or not _CODE_NAME.match(value):
        return True
    return _says_placeholder(value)


def escaped_end(value: bytes) -> int:
    """The value up to an escaped line break (`\\n` inside a JSON string), then `mixed`.

    Rejects names where a value would be (`ACCESS_TOKEN`) and malformed vendor tokens; lets
    placeholders through, to be reported as suppressed examples.
    """
    for escape in (b"\\n", b"\\r", b"\\t"):
        cut = value.find(escape)
        if cut >= 0:
            value = value[:cut]
    value = value.rstrip(b")]};,")
    if len(value) > 500:
        return 0
    if _REFERENCE.search(value):
        # Of references, only a template (`<your-token>`) may say it is a placeholder.
        template = value[:1] == b"<" and not _MASK.match(value)
        return len(value) if template and says_example(value) else 0
    if _NAME_VALUE.match(value) or malformed_vendor_token(value):
        return 0
    return mixed(value) or (len(value) if _says_placeholder(value) else 0)


def compared(value: bytes) -> int:
    """A quoted value compared with a secret's name (`"…" == password`, captured from the
    value to the name): the value's length when the name is a secret's, else 0."""
    quote = max(value.rfind(b'"'), value.rfind(b"'"))  # the value's closing quote
    if quote <= 0:
        return 0
    name = value[quote + 1 :].strip(b" \t!=")
    if not (secret_name(name, True) or secret_name(name, False)):
        return 0
    return escaped_end(value[:quote])


def hashicorp(value: bytes) -> int:
    """A HashiCorp token, its parts' lengths checked here rather than counted in the regex
    (counts on broad classes make the automaton large): Terraform `<14>.atlasv1.<60–70>`,
    Vault `hvs.<90–120>`, `hvb.<138–300>` (longer runs are cut there), legacy `s.<24>` with
    letters and digits. A placeholder passes, to be reported as a suppressed example."""
    if value.startswith(b"s."):
        return letters_and_digits(value) if len(value) == 26 else 0
    if value.startswith((b"hvs.", b"hvb.")):
        low, high = (90, 120) if value.startswith(b"hvs.") else (138, 300)
        return min(len(value), 4 + high) if len(value) >= 4 + low else 0
    head, _, tail = value.partition(b".atlasv1.")
    return min(len(value), 23 + 70) if len(head) == 14 and len(tail) >= 60 else 0


def letters_and_digits(value: bytes) -> int:
    """A token holding both letters and digits (not a word, not a number); a placeholder
    passes, to be reported as a suppressed example."""
    letters = value.lower() != value.upper()  # bytes: ASCII letters only
    digits = _DIGIT.search(value) is not None
    return len(value) if (letters and digits) or placeholder(value) else 0


VALIDATORS: dict[str, Validator] = {
    "card": card,
    "ssn": ssn,
    "jwt-header": jwt_header,
    "e164": e164,
    "iban": iban,
    "email": email,
    "basic-auth": basic_auth,
    "mixed": mixed,
    "assigned": escaped_end,
    "phone-national": phone_national,
    "mrz": mrz,
    "compared": compared,
    "letters-and-digits": letters_and_digits,
    "hashicorp": hashicorp,
}
KeyCheck = Callable[[bytes, bytes], bool]
KEY_CHECKS: dict[str, KeyCheck] = {
    "secret-name": lambda key, value: secret_name(key, False) and assigned_value(key, value),
    "password-name": lambda key, value: secret_name(key, True) and assigned_value(key, value),
}


# A value that says it is not real: a filler run, a template, a word like EXAMPLE. The alphabet
# in order is a filler too; digits in order are not (bank and account numbers have them, as
# the IBAN registry's own examples do).
_FILLER = re.compile(
    rb"[xX]{8,}|\*{6,}|#{6,}|([A-Za-z0-9])\1{15,}|abcdefghijklmn",
    re.IGNORECASE,
)


def says_example(value: bytes) -> bool:
    """Whether a value says it stands for another: a word like EXAMPLE, `your_…`, a template
    (`<token>`, `[PASSWORD]`)."""
    if _EXAMPLE_WORDS.search(value):
        return True
    first, last = value[:1], value[-1:]
    if first == b"<":
        return last == b">" and b">" not in value[1:-1]
    return first == b"[" and last == b"]" and b"]" not in value[1:-1]


_EXAMPLE_WORDS = re.compile(rb"example|placeholder|dummy|changeme|sample|^your[_-]", re.IGNORECASE)


# A documentation domain in an address or a path says nothing of the value around it.
_DOCUMENTATION_DOMAIN = re.compile(rb"example\.(?:com|org|net)|://|/", re.IGNORECASE)

# Mailboxes that stand in for a person in documentation and tests (`src@…` and `dst@…` in a
# mail command, `john.doe@…`), or say they are not real (`james.fake@…`).
_STAND_IN_MAILBOX = re.compile(
    rb"^(?:src|dst|sender|recipient|someone|somebody|nobody|foo|bar|baz|foobar|test"
    rb"|john\.?doe|jane\.?doe|first\.?last|firstname\.?lastname|your[._-]?(?:name|e?mail))@"
    rb"|^[^@]*(?:fake|dummy)[^@]*@",
    re.IGNORECASE,
)


def nanp_fiction(value: bytes) -> bool:
    """Whether `value` is a North American number in 555-0100…555-0199, the lines every
    area keeps for fiction and examples (`(415) 555-0132`, `+1 415 555 0132`)."""
    if not value or value.translate(None, b"0123456789 +().-"):
        return False
    digits = value.translate(None, b" +().-")
    if value.startswith(b"+"):
        national = digits[1:] if len(digits) == 11 and digits[:1] == b"1" else b""
    else:
        national = digits[1:] if len(digits) == 11 and digits[:1] == b"1" else digits
    return len(national) == 10 and national[3:6] == b"555" and national[6:8] == b"01"


def placeholder(value: bytes) -> str:
    """Why a value looks like a placeholder rather than a real one ("" when it does not)."""
    if nanp_fiction(value):
        return "documented example (NANP numbers reserved for fictional use)"
    if _DOCUMENTATION_DOMAIN.search(value):
        return ""
    if _FILLER.search(value):
        return "placeholder (a filler: one character repeated, or the alphabet in order)"
    if says_example(value):
        return "placeholder (the value says it is an example)"
    if b"@" in value and _STAND_IN_MAILBOX.search(value):
        return "placeholder (a stand-in address, not a person's)"
    return ""
