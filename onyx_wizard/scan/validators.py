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
    """A US SSN: area not 000, 666 or 900–999; group not 00; serial not 0000."""
    area, group, serial = value.decode("ascii").split("-")
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
    """An E.164 number: 8–15 digits after '+', and not one digit repeated (a filler)."""
    digits = value[1:]
    if not 8 <= len(digits) <= 15 or len(set(digits)) == 1:
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


VALIDATORS: dict[str, Validator] = {
    "card": card,
    "ssn": ssn,
    "jwt-header": jwt_header,
    "e164": e164,
    "iban": iban,
    "email": email,
    "basic-auth": basic_auth,
    "mixed": mixed,
}
