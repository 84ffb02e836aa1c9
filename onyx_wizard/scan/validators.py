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
    # The issuer test first: it is cheaper, and rejects most numbers that are not cards.
    return 13 <= len(digits) <= 19 and card_issuer_fits(digits) and luhn(digits)


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


# Numbers the SSA never issued or that were published as examples (Presidio keeps the same
# list): a log holding one of these is test data, not a person's number.
_SSN_EXAMPLES = frozenset({"123456789", "078051120", "219099999", "457555462"})


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
    if area + group + serial in _SSN_EXAMPLES:
        return 0
    return len(value)


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
    """An IBAN: its country's exact length and the mod-97 check; trims trailing words."""
    text = value.decode("ascii")
    length = IBAN_LENGTHS.get(text[:2])
    if length is None:
        return 0
    count = 0
    for index, char in enumerate(text):
        if char != " ":
            count += 1
        if count == length:
            end = index + 1
            # The value must end here or at a space: never inside a longer word.
            if end < len(text) and text[end] != " ":
                return 0
            compact = text[:end].replace(" ", "")
            return end if iban_checksum(compact) else 0
    return 0


def email(value: bytes) -> int:
    """An e-mail address: RFC 5321 lengths, no empty dot-atoms, and not an image name."""
    local, _, domain = value.rpartition(b"@")
    if not local or len(local) > 64 or len(domain) > 253:
        return 0
    if local.startswith(b".") or local.endswith(b".") or b".." in local:
        return 0
    tld = domain.rsplit(b".", 1)[-1].lower()
    # `icon@2x.png` and friends (retina asset names) have the shape of an address.
    if tld in _FILE_EXTENSIONS:
        return 0
    return len(value)


_FILE_EXTENSIONS = frozenset(
    {b"png", b"jpg", b"jpeg", b"gif", b"svg", b"webp", b"ico", b"css", b"js", b"map", b"json"}
)


def basic_auth(value: bytes) -> int:
    """HTTP Basic credentials: base64 of printable `user:password`."""
    try:
        decoded = base64.b64decode(value + b"=" * (-len(value) % 4), validate=True)
    except binascii.Error:
        return 0
    _user, sep, password = decoded.partition(b":")
    if not sep or not password or not decoded.isascii():
        return 0
    if not all(32 <= byte < 127 for byte in decoded):
        return 0
    return len(value)


def mixed(value: bytes) -> int:
    """A credential-like value: letters mixed with digits or symbols, or at least 16 long.

    Rejects words (`password: required`) that log messages put where a value could be.
    """
    if len(value) >= 16:
        return len(value)
    letters = any(chr(b).isalpha() for b in value)
    digits = any(48 <= b <= 57 for b in value)
    symbols = any(not chr(b).isalnum() for b in value)
    return len(value) if letters + digits + symbols >= 2 else 0


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
# Values that refer to a secret kept elsewhere, not the secret: templates and environment reads.
_REFERENCE = re.compile(
    rb"^(?:\$\{|\$\(|\{\{|%\(|%s|<%|#\{|\$[A-Z_]+$|process\.env|os\.environ|os\.getenv|getenv"
    rb"|ENV\[|env\(|secrets\.|vault:|!vault|-----BEGIN|[a-z][a-z0-9+.-]*://|/|\[|\*+$|<)",
    re.IGNORECASE,
)
# An unquoted dotted name (`X25519.secret_length`, `Key128Bit;`): code, not a value.
_CODE_NAME = re.compile(rb"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+;?$")


_TYPE_NAMES = frozenset({b"string", b"str", b"var", b"const", b"let", b"val", b"char", b"assign"})


def _name_words(key: bytes) -> list[bytes]:
    names = [
        name
        for name in re.findall(rb"[A-Za-z_][A-Za-z0-9_.\-]*", key)
        if name.lower().rsplit(b".", 1)[-1] not in _TYPE_NAMES
    ]
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


def assigned_value(key: bytes, value: bytes) -> bool:
    """Whether the value after a secret's name could be the secret (not a reference, not code)."""
    if _REFERENCE.search(value):
        return False
    quoted = key[-1:] in (b'"', b"'", b"`")
    if not quoted and key.rstrip(b" \t@").endswith((b"(", b",")):
        return False  # a call's argument: only a string literal is a value
    return quoted or not _CODE_NAME.match(value)


def escaped_end(value: bytes) -> int:
    """The value up to an escaped line break (`\\n` inside a JSON string), then `mixed`."""
    for escape in (b"\\n", b"\\r", b"\\t"):
        cut = value.find(escape)
        if cut >= 0:
            value = value[:cut]
    value = value.rstrip(b")]};,")
    if len(value) > 500 or _REFERENCE.search(value):
        return 0
    return mixed(value)


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
}
KeyCheck = Callable[[bytes, bytes], bool]
KEY_CHECKS: dict[str, KeyCheck] = {
    "secret-name": lambda key, value: secret_name(key, False) and assigned_value(key, value),
    "password-name": lambda key, value: secret_name(key, True) and assigned_value(key, value),
}


# A value that says it is not real: a filler run, a template, a word like EXAMPLE.
_FILLER = re.compile(
    rb"[xX]{8,}|\*{6,}|#{6,}|([A-Za-z0-9])\1{15,}|0123456789|123456789|abcdefghijklmn",
    re.IGNORECASE,
)
_EXAMPLE_WORDS = re.compile(
    rb"example|placeholder|dummy|changeme|sample|^your[_-]|^<[^>]*>$|^\[[^\]]*\]$",
    re.IGNORECASE,
)


# A documentation domain in an address or a path says nothing of the value around it.
_DOCUMENTATION_DOMAIN = re.compile(rb"example\.(?:com|org|net)|://|/", re.IGNORECASE)


def placeholder(value: bytes) -> str:
    """Why a value looks like a placeholder rather than a real one ("" when it does not)."""
    if _DOCUMENTATION_DOMAIN.search(value):
        return ""
    if _FILLER.search(value):
        return "placeholder (a filler run of one character)"
    if _EXAMPLE_WORDS.search(value):
        return "placeholder (the value says it is an example)"
    return ""
