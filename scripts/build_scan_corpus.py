"""Build the scanner's external corpus from the labelled examples peers publish with their rules.

Reads snapshots of public repositories (git directories, read with `git show`, so no work tree
is needed) and writes one file of labelled samples per source, one sample a line, beside that
source's licence (`tests/data/scan-corpus/samples-<source>.jsonl`, `LICENSE.<source>`): each
file holds one source's test inputs only, under that source's licence.

- gitleaks: each rule generator's `tps` and `fps` (cmd/generate/config/rules/*.go). The Go
  expressions that build them (string concatenation, `utils.GenerateSampleSecrets`, random
  secrets from a regex with `secrets.NewSecret`, `fmt.Sprintf`) are evaluated here, with a
  seeded generator, so a build is reproducible;
- detect-secrets: the plugin tests' parametrized cases (tests/plugins/*_test.py);
- trufflehog: the detectors' `*_test.go` pattern tests (input, want);
- Presidio: the recognizer tests (presidio-analyzer/tests/test_*_recognizer.py);
- our own hard negatives: UUIDs, hashes, placeholders and documentation examples, and
  ICAO 9303 machine-readable zones (positives with valid check digits, specimens and broken
  check digits as negatives).

Labels are ours, not the peer's: a positive is a value a person would want reported; a
placeholder or a documented example (`AKIAIOSFODNN7EXAMPLE`, `ghp_` + 36 `x`, the jwt.io token,
card networks' test numbers) is labelled `example` — a scanner should report it as
suppressed, not as a finding and not silently; everything else is `negative`. The peer's own
verdict is kept beside ours (`peer`); where ours departs from it by one of the rules in
`verdict`, the sample's `note` says which. Usage:

    python scripts/build_scan_corpus.py --gitleaks DIR --detect-secrets DIR \\
        --trufflehog DIR --presidio DIR [--out tests/data/scan-corpus]

Each DIR is a git directory (a bare clone or `.git`); the commit read is recorded in
SOURCES.md beside the samples, with each source's licence.
"""

from __future__ import annotations

import argparse
import ast
import base64
import contextlib
import json
import random
import re
import string
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

# Check digits of generated card numbers and MRZ lines, as the benchmark's generator makes them
# (benchmarks/ is not a package: imported from its folder).
from corpus import luhn_digit, mrz_digit

try:  # Python's own regex parser, used to generate strings that match a rule's regex
    import re._parser as sre_parse  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - Python < 3.11
    import sre_parse  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parent.parent
SEED = 20261203


@dataclass
class Sample:
    id: str
    source: str
    kind: str
    label: str  # positive | negative | example
    peer: str  # the peer's own verdict: tp | fp | hit | miss
    text: str
    expect: int = 1  # how many values a positive holds (a scanner is credited up to this many)
    note: str = ""


@dataclass
class Source:
    name: str
    repo: str
    commit: str
    licence: str
    licence_text: str
    read: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


class Git:
    """Files of one commit of a git directory."""

    def __init__(self, git_dir: str) -> None:
        self.git_dir = git_dir
        self.commit = self._git("rev-parse", "HEAD").strip()

    def _git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", f"--git-dir={self.git_dir}", *args], capture_output=True, text=True, check=True
        )
        return done.stdout

    def show(self, path: str) -> str:
        return self._git("show", f"{self.commit}:{path}")

    def ls(self, folder: str) -> list[str]:
        return self._git("ls-tree", "-r", "--name-only", self.commit, folder).split()


# --- labels ------------------------------------------------------------------------------------

# Published documentation values: vendors' examples and card networks' and processors' test
# numbers (Stripe's and Braintree's testing pages), the jwt.io sample token's claims. The AWS
# example secret key is known by its distinctive start, so that a copy cut short is too.
DOCUMENTED = (
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCY",
    "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
    "4111111111111111",
    "4242424242424242",
    "4012888888881881",
    "5555555555554444",
    "5105105105105100",
    "378282246310005",
    "371449635398431",
    "6011111111111117",
    "6011000990139424",
    "30569309025904",
    "38520000023237",
    "3530111333300000",
    "3566002020360505",
    "4000056655665556",
    "078-05-1120",
    "219-09-9999",
    # Azurite's and the Storage Emulator's development account key (devstoreaccount1).
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
)
# Words and shapes by which a value says it is not real.
PLACEHOLDER_WORDS = re.compile(
    r"(?i)placeholder|dummy|your[_-]?(?:api|secret|token|key|password|client)|changeme"
)
TEMPLATE = re.compile(r"[=:]\s*[\"']?<[a-z][a-z0-9 _-]{2,}>")  # key = <your-token>
VALUE = re.compile(r"[A-Za-z0-9_\-+/.~]{6,}")
# A filler: one character repeated, x's, or the alphabet in order (digits in order are not:
# account and bank numbers have them, as the IBAN registry's own examples do).
FILLER = re.compile(r"[xX]{8,}|([A-Za-z0-9])\1{15,}|(?i:abcdefghijklmn)")
JWT_IO = re.compile(r"eyJzdWIiOiIxMjM0NTY3ODkw")  # {"sub":"1234567890", the jwt.io sample
# The ICAO 9303 specimens' issuing state, Utopia, exists only in examples.
MRZ_SPECIMEN = re.compile(r"[PIAC][A-Z<]UTO")
# An unencrypted private key: a PEM block's header with key material after it.
PRIVATE_KEY = re.compile(
    r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----(?:\\{1,2}[rn]|[\r\n\t ])+"
    r"[A-Za-z0-9+/=]{64,}"
)
# Addresses that stand in for a person in documentation and tests.
EMAIL = re.compile(r"([A-Za-z0-9._%+-]+)@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
STAND_IN_MAILBOX = re.compile(
    r"(?i)(?:src|dst|sender|recipient|someone|somebody|nobody|foo|bar|baz|foobar|test"
    r"|john\.?doe|jane\.?doe|first\.?last|firstname\.?lastname|your[._-]?(?:name|e?mail))"
    r"|.*(?:fake|dummy).*"
)
PHONE_LIKE = re.compile(r"\+?\(?\d[\d ().-]{5,}\d")


def nanp_fiction(number: str) -> bool:
    """A North American number in 555-0100…555-0199, which every area keeps for fiction:
    10 digits, or 11 with the country code 1 (`+` then anything else is another country)."""
    digits = re.sub(r"\D", "", number)
    if len(digits) == 11 and digits[0] == "1":
        digits = digits[1:]
    elif number.startswith("+"):
        return False
    return len(digits) == 10 and digits[3:6] == "555" and digits[6:8] == "01"


def _example_value(value: str) -> bool:
    lower = value.lower()
    if re.search(r"example\.(?:com|org|net)|://|/", lower):
        return False  # a documentation domain in a URL says nothing of a secret beside it
    return bool(FILLER.search(value)) or ("example" in lower and lower.strip("._-") != "example")


def is_example(text: str) -> bool:
    return (
        any(value in text for value in DOCUMENTED)
        or bool(PLACEHOLDER_WORDS.search(text) or TEMPLATE.search(text))
        or bool(JWT_IO.search(text) or MRZ_SPECIMEN.search(text))
        or any(_example_value(value) for value in VALUE.findall(text))
    )


def verdict(text: str, kind: str, peer_positive: bool, expect: int = 1) -> tuple[str, int, str]:
    """Our label for a peer's sample, the values a positive holds, and why it departs from the
    peer's verdict ("" when it does not). The rules, applied to every source alike:

    - a documented example or a placeholder anywhere in the text makes the sample an example;
    - an e-mail sample whose address stands in for a person (`src@…`, `john.doe@…`, a mailbox
      that says it is fake) is an example;
    - a NANP 555-01xx number is an example: a phone sample holding no other number is one, and
      such numbers do not count among the values a positive holds;
    - an unencrypted private key block is a positive whatever the peer's detector for another
      kind said (trufflehog's GCP detector wants a `private_key_id` beside it): every peer's
      private-key detector reports it.
    """
    peer = "positive" if peer_positive else "negative"
    if is_example(text):
        return "example", expect, ""
    if kind == "email" and any(STAND_IN_MAILBOX.fullmatch(m) for m in EMAIL.findall(text)):
        return "example", expect, "a stand-in address"
    numbers = PHONE_LIKE.findall(text) if kind == "phone" else []
    fiction = sum(nanp_fiction(number) for number in numbers)
    if fiction:
        if fiction == len(numbers):
            return "example", expect, "NANP 555-01xx numbers only (reserved for fiction)"
        if peer_positive:
            kept = max(1, expect - fiction)
            why = "NANP 555-01xx numbers not counted" if kept != expect else ""
            return peer, kept, why
    if not peer_positive and PRIVATE_KEY.search(text):
        return "positive", 1, "holds an unencrypted private key block"
    return peer, expect, ""


def _note(*parts: str) -> str:
    return "; ".join(part for part in parts if part)


# --- random strings matching a regex (gitleaks' secrets.NewSecret) -----------------------------

_CATEGORIES = {
    "CATEGORY_DIGIT": string.digits,
    "CATEGORY_WORD": string.ascii_letters + string.digits + "_",
    "CATEGORY_SPACE": " ",
    "CATEGORY_NOT_DIGIT": string.ascii_letters,
    "CATEGORY_NOT_WORD": "-.",
    "CATEGORY_NOT_SPACE": string.ascii_letters + string.digits,
}
_PRINTABLE = [chr(c) for c in range(33, 127)]


class RegexGen:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def __call__(self, pattern: str) -> str:
        pattern = pattern.replace(r"\z", r"\Z").replace("(?-i:", "(?:")
        return self._emit(sre_parse.parse(pattern))

    def _class(self, items: list[Any]) -> list[str]:
        chars: list[str] = []
        negate = False
        for op, arg in items:
            name = str(op)
            if name == "NEGATE":
                negate = True
            elif name == "LITERAL":
                chars.append(chr(arg))
            elif name == "RANGE":
                chars += [chr(c) for c in range(arg[0], arg[1] + 1)]
            elif name == "CATEGORY":
                chars += list(_CATEGORIES.get(str(arg), string.ascii_letters))
        if negate:
            banned = set(chars)
            chars = [c for c in _PRINTABLE if c not in banned]
        return chars

    def _emit(self, parsed: Any) -> str:
        out: list[str] = []
        for op, arg in parsed:
            name = str(op)
            if name == "LITERAL":
                out.append(chr(arg))
            elif name == "NOT_LITERAL":
                out.append(self.rng.choice([c for c in string.ascii_letters if ord(c) != arg]))
            elif name == "ANY":
                out.append(self.rng.choice(string.ascii_letters + string.digits))
            elif name == "IN":
                out.append(self.rng.choice(self._class(arg)))
            elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
                low, high, sub = arg
                high = min(high, low + 8) if high != sre_parse.MAXREPEAT else low + 8
                for _ in range(self.rng.randint(low, max(low, high))):
                    out.append(self._emit(sub))
            elif name == "SUBPATTERN":
                out.append(self._emit(arg[-1]))
            elif name == "BRANCH":
                out.append(self._emit(self.rng.choice(arg[1])))
            elif name == "CATEGORY":
                out.append(self.rng.choice(_CATEGORIES.get(str(arg), "a")))
            # AT (anchors) and the rest emit nothing
        return "".join(out)


# --- a small evaluator for the Go expressions that build test cases ----------------------------

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+|//[^\n]*|/\*.*?\*/)
  | (?P<raw>`[^`]*`)
  | (?P<str>"(?:\\.|[^"\\\n])*")
  | (?P<rune>'(?:\\.|[^'\\\n])+')
  | (?P<num>\d+)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\.\.\.|:=|\+=|==|!=|&&|\|\||[-+*/%(){}\[\],.;:=!<>&|^])
    """,
    re.VERBOSE | re.DOTALL,
)


def go_tokens(source: str) -> list[tuple[str, str]]:
    tokens = []
    pos = 0
    while pos < len(source):
        match = _TOKEN.match(source, pos)
        if match is None:
            pos += 1
            continue
        pos = match.end()
        kind = match.lastgroup or ""
        if kind == "ws":
            if "\n" in match.group():
                tokens.append(("nl", "\n"))
            continue
        tokens.append((kind, match.group()))
    return tokens


def go_string(token: str) -> str:
    if token.startswith("`"):
        return token[1:-1]
    return str(ast.literal_eval(token))


class Unsupported(Exception):
    pass


class GoEval:
    """Evaluates a Go expression of literals, `+`, composite literals and known functions."""

    def __init__(self, tokens: list[tuple[str, str]], env: dict[str, Any], funcs: Any) -> None:
        self.tokens = [t for t in tokens if t[0] != "nl"]
        self.pos = 0
        self.env = env
        self.funcs = funcs

    def peek(self, offset: int = 0) -> str:
        at = self.pos + offset
        return self.tokens[at][1] if at < len(self.tokens) else ""

    def take(self, expected: str | None = None) -> str:
        value = self.peek()
        if expected is not None and value != expected:
            raise Unsupported(f"expected {expected!r}, got {value!r}")
        self.pos += 1
        return value

    def expr(self) -> Any:
        value = self.term()
        while self.peek() == "+":
            self.take()
            right = self.term()
            value = value + right
        return value

    def term(self) -> Any:
        kind, text = self.tokens[self.pos] if self.pos < len(self.tokens) else ("", "")
        if kind in ("str", "raw"):
            self.pos += 1
            return go_string(text)
        if kind == "num":
            self.pos += 1
            return int(text)
        if text == "(":
            self.take()
            value = self.expr()
            self.take(")")
            return value
        if text == "[":  # []string{...} or []struct{...}{...}
            self.take("[")
            self.take("]")
            if self.peek() == "struct":
                self._skip_braces_after("struct")
            else:
                self.take()  # element type
            if self.peek() == "(":  # a conversion: []byte(x)
                return self.call_args()[0]
            return self.composite()
        if text == "{":
            return self.composite()
        if kind == "ident":
            name = self.take()
            while self.peek() == "." and self.tokens[self.pos + 1][0] == "ident":
                self.take(".")
                name += "." + self.take()
            if self.peek() == "(":
                args = self.call_args()
                return self.funcs(name, args)
            if name in ("nil",):
                return []
            if name in self.env:
                return self.env[name]
            raise Unsupported(f"unknown name {name}")
        raise Unsupported(f"unexpected {text!r}")

    def _skip_braces_after(self, word: str) -> None:
        self.take(word)
        self.take("{")
        depth = 1
        while depth:
            token = self.take()
            depth += {"{": 1, "}": -1}.get(token, 0)

    def call_args(self) -> list[Any]:
        self.take("(")
        args: list[Any] = []
        while self.peek() != ")":
            value = self.expr()
            if self.peek() == "...":
                self.take()
                args.extend(value)
            else:
                args.append(value)
            if self.peek() == ",":
                self.take()
        self.take(")")
        return args

    def composite(self) -> Any:
        """`{a, b}` as a list; `{name: x, ...}` as a dict; nested."""
        self.take("{")
        items: list[Any] = []
        fields: dict[str, Any] = {}
        while self.peek() != "}":
            if self.tokens[self.pos][0] == "ident" and self.peek(1) == ":":
                key = self.take()
                self.take(":")
                try:
                    fields[key] = self.expr()
                except Unsupported:
                    fields[key] = Unsupported
                    self._skip_value()
            else:
                items.append(self.expr())
            if self.peek() == ",":
                self.take()
        self.take("}")
        return fields if fields else items

    def _skip_value(self) -> None:
        depth = 0
        while True:
            token = self.peek()
            if depth == 0 and token in (",", "}"):
                return
            depth += {"{": 1, "(": 1, "[": 1, "}": -1, ")": -1, "]": -1}.get(token, 0)
            self.take()


def go_sprintf(fmt: str, args: list[Any]) -> str:
    values = iter(args)

    def one(match: re.Match[str]) -> str:
        if match.group() == "%%":
            return "%"
        value = next(values)
        return str(value) if match.group()[-1] in "sdv" else repr(value)

    return re.sub(r"%%|%[-+# 0-9.]*[sdvq]", one, fmt)


# --- gitleaks ----------------------------------------------------------------------------------

# Rule files of the kinds this scanner claims (and the issue asks for), with the kind each
# reports under. Functions left out are named in SOURCES.md.
GITLEAKS_FILES = {
    "generic.go": "generic-assignment",
    "privatekey.go": "private-key",
    "aws.go": "aws",
    "github.go": "github",
    "gitlab.go": "gitlab",
    "slack.go": "slack",
    "stripe.go": "stripe",
    "gcp.go": "gcp",
    "npm.go": "npm",
    "sendgrid.go": "sendgrid",
    "twilio.go": "twilio",
    "openai.go": "openai",
    "pypi.go": "pypi",
    "shopify.go": "shopify",
    "jwt.go": "jwt",
    "curl.go": "curl",
    "azure.go": "azure",
    "anthropic.go": "anthropic",
    "huggingface.go": "huggingface",
    "databricks.go": "databricks",
    "digitalocean.go": "digitalocean",
    "heroku.go": "heroku",
    "mailgun.go": "mailgun",
    "datadog.go": "datadog",
    "sentry.go": "sentry",
    "telegram.go": "telegram",
    "discord.go": "discord",
    "hashicorp.go": "hashicorp",
    "hashicorp_vault.go": "hashicorp",
    "age.go": "age",
}
# Not claimed: AWS Bedrock keys; PKCS#12 files (binary); Discord client ids (public); the
# Shopify shared secret and Mailgun's public validation key (published on purpose);
# HashiCorp's `HashicorpField` (a password field of any value, covered by the generic kind).
GITLEAKS_SKIP = {
    "AmazonBedrockAPIKeyLongLived",
    "AmazonBedrockAPIKeyShortLived",
    "PrivateKeyPKCS12File",
    "DiscordClientID",
    "MailGunPubAPIToken",
    "generateTestValues",
}


def gitleaks_funcs(rng: random.Random) -> Callable[[str, list[Any]], Any]:
    gen = RegexGen(rng)
    shapes = {
        "utils.Numeric": "[0-9]{%s}",
        "utils.Hex": "[a-f0-9]{%s}",
        "utils.AlphaNumeric": "[a-z0-9]{%s}",
        "utils.AlphaNumericExtendedShort": "[a-z0-9_-]{%s}",
        "utils.AlphaNumericExtended": "[a-z0-9=_\\-]{%s}",
        "utils.AlphaNumericExtendedLong": "[a-z0-9\\/=_\\+\\-]{%s}",
    }
    stop = ("example", "test", "sample", "xxx")

    def plausible(regex: str) -> str:
        while True:
            value = gen(regex)
            if re.search("[1-9]", value) and not any(w in value.lower() for w in stop):
                return value

    def call(name: str, args: list[Any]) -> Any:
        if name in shapes:
            return shapes[name] % args[0]
        if name == "utils.Hex8_4_4_4_12":
            return "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
        if name == "secrets.NewSecret":
            return gen(args[0])
        if name == "newPlausibleSecret":
            return plausible(args[0])
        if name == "utils.GenerateSampleSecret":
            return f'{args[0]}_api_token = "{args[1]}"'
        if name == "utils.GenerateSampleSecrets":
            return [t.format(i=args[0], I=args[0].upper(), s=args[1]) for t in SAMPLE_TEMPLATES]
        if name == "append":
            return list(args[0]) + list(args[1:])
        if name == "fmt.Sprintf":
            return go_sprintf(args[0], args[1:])
        if name == "strings.Repeat":
            return args[0] * args[1]
        if name == "strings.ToUpper":
            return args[0].upper()
        if name == "strings.ToLower":
            return args[0].lower()
        if name == "string":
            return args[0]
        if name == "base64.StdEncoding.EncodeToString":
            return base64.b64encode(args[0].encode()).decode()
        if name == "base64.RawURLEncoding.EncodeToString":
            return base64.urlsafe_b64encode(args[0].encode()).decode().rstrip("=")
        if name == "[]byte":
            return args[0]
        raise Unsupported(f"function {name}")

    return call


# utils.GenerateSampleSecrets' templates (cmd/generate/config/utils/generate.go), `{i}` the
# identifier, `{I}` it upper-cased, `{s}` the secret; braces of the text doubled.
SAMPLE_TEMPLATES = [
    '{i}Token="{s}"',
    '{i}Token = "{s}"',
    "{i}Token={s}",
    "{i}Token = {s}",
    '{{\n    "{i}_token": "{s}"\n}}',
    '{{"config.ini": "{I}_TOKEN={s}\\nBACKUP_ENABLED=true"}}',
    "<{i}Token>\n    {s}\n</{i}Token>",
    "{i}_token: {s}",
    "{i}_token: '{s}'",
    '{i}_token: "{s}"',
    'string {i}Token = "{s}";',
    'var {i}Token string = "{s}"',
    '{i}Token := "{s}"',
    "{i}Token := `{s}`",
    'String {i}Token = "{s}";',
    'var {i}Token = "{s}"',
    '${i}Token .= "{s}"',
    "{i}Token = '{s}'",
    '{i}Token = "{s}"',
    'System.setProperty("{I}_TOKEN", "{s}")',
    '  "{i}Token" => "{s}"',
    '{I}_TOKEN = "{s}"',
    '{I}_TOKEN := "{s}"',
    '{I}_TOKEN ::= "{s}"',
    '{I}_TOKEN :::= "{s}"',
    '{I}_TOKEN ?= "{s}"',
]


def go_functions(source: str) -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """(name, body tokens) of each top-level func."""
    tokens = go_tokens(source)
    i = 0
    while i < len(tokens):
        if tokens[i] == ("ident", "func") and tokens[i + 1][0] == "ident":
            name = tokens[i + 1][1]
            j = i + 2
            while tokens[j][1] != "{":
                j += 1
            depth, k = 0, j
            while True:
                depth += {"{": 1, "}": -1}.get(tokens[k][1], 0)
                k += 1
                if depth == 0:
                    break
            yield name, tokens[j + 1 : k - 1]
            i = k
        else:
            i += 1


def statements(tokens: list[tuple[str, str]]) -> Iterator[list[tuple[str, str]]]:
    """Top-level statements of a body: split at newlines outside brackets."""
    depth = 0
    current: list[tuple[str, str]] = []
    for token in tokens:
        if token[0] == "nl" and depth == 0:
            if current:
                yield current
            current = []
            continue
        if token[0] == "op":
            depth += {"{": 1, "(": 1, "[": 1, "}": -1, ")": -1, "]": -1}.get(token[1], 0)
        current.append(token)
    if current:
        yield current


def run_assignments(
    tokens: list[tuple[str, str]], env: dict[str, Any], funcs: Any, problems: list[str]
) -> None:
    for stmt in statements(tokens):
        words = [t[1] for t in stmt]
        if words[:2] == ["var", "("]:  # a block: one assignment a line
            run_assignments(stmt[2:-1], env, funcs, problems)
            continue
        if words and words[0] == "var":
            stmt, words = stmt[1:], words[1:]
        if len(words) < 3 or stmt[0][0] != "ident" or words[1] not in (":=", "="):
            if len(words) > 3 and words[1] == "string" and words[2] == "=":  # var x string = …
                stmt, words = [stmt[0], *stmt[2:]], [words[0], *words[2:]]
            else:
                continue
        name = words[0]
        try:
            env[name] = GoEval(stmt[2:], env, funcs).expr()
        except (Unsupported, StopIteration, IndexError, ValueError, re.error) as exc:
            env.pop(name, None)
            problems.append(f"{name}: {exc}")


def gitleaks_samples(git: Git, rng: random.Random, source: Source) -> list[Sample]:
    samples: list[Sample] = []
    funcs = gitleaks_funcs(rng)
    folder = "cmd/generate/config/rules/"
    for filename, kind in GITLEAKS_FILES.items():
        text = git.show(folder + filename)
        source.read.append(folder + filename)
        env: dict[str, Any] = {}
        for name, body in go_functions(text):
            if name in GITLEAKS_SKIP:
                source.skipped.append(f"{filename} {name}: not a kind this scanner claims")
                continue
            problems: list[str] = []
            run_assignments(body, env, funcs, problems)
            validate = _validate_args(body)
            if validate is None:
                continue
            tps_name, fps_name = validate
            env["nil"] = []
            for peer, var in (("tp", tps_name), ("fp", fps_name)):
                values = env.get(var)
                if values is None:
                    why = "; ".join(p for p in problems if p.startswith(("tps", "fps", var)))
                    source.skipped.append(f"{filename} {name} {var}: not evaluated ({why})")
                    continue
                for n, value in enumerate(values):
                    ours, expect, why = verdict(value, kind, peer == "tp")
                    samples.append(
                        Sample(
                            f"gitleaks/{filename}/{name}/{peer}/{n}",
                            "gitleaks",
                            kind,
                            ours,
                            peer,
                            value,
                            expect=expect,
                            note=why,
                        )
                    )
            for var in (tps_name, fps_name):
                env.pop(var, None)
    return samples


def _validate_args(body: list[tuple[str, str]]) -> tuple[str, str] | None:
    words = [t[1] for t in body if t[0] != "nl"]
    for i in range(len(words) - 6):
        if words[i : i + 4] == ["utils", ".", "Validate", "("] and words[i + 5] == ",":
            return words[i + 6], words[i + 8]
    return None


# --- detect-secrets ----------------------------------------------------------------------------

DETECT_SECRETS_FILES = {
    "keyword_test.py": "generic-assignment",
    "aws_key_test.py": "aws",
    "basic_auth_test.py": "url-credentials",
    "github_token_test.py": "github",
    "gitlab_token_test.py": "gitlab",
    "jwt_test.py": "jwt",
    "npm_test.py": "npm",
    "openai_test.py": "openai",
    "private_key_test.py": "private-key",
    "pypi_token_test.py": "pypi",
    "sendgrid_test.py": "sendgrid",
    "slack_test.py": "slack",
    "stripe_key_test.py": "stripe",
    "telegram_token_test.py": "telegram",
    "twilio_test.py": "twilio",
    "discord_test.py": "discord",
    "azure_storage_key_test.py": "azure",
}


def detect_secrets_samples(git: Git, source: Source) -> list[Sample]:
    samples: list[Sample] = []
    for filename, kind in DETECT_SECRETS_FILES.items():
        path = f"tests/plugins/{filename}"
        tree = _python_file(git, source, path)
        env: dict[str, Any] = {"base64": base64, "textwrap": textwrap, "randint": lambda a, b: a}
        for node in tree.body:  # module-level constants: COMMON_SECRET, *_TEST_CASES, …
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                if isinstance(target, ast.Name):
                    with contextlib.suppress(Exception):  # helpers we do not need
                        env[target.id] = eval(
                            compile(ast.Expression(node.value), path, "eval"), env
                        )
        cases: list[tuple[str, bool]] = []
        for node, columns in _parametrized(tree):
            try:
                rows = eval(compile(ast.Expression(node.args[1]), path, "eval"), env)
            except Exception as exc:
                source.skipped.append(f"{path} line {node.lineno}: {exc}")
                continue
            cases += _detect_secrets_rows(columns, rows)
        for name, value in env.items():  # CONFIG_TEST_CASES etc. used through a loop
            if name.endswith("TEST_CASES") and isinstance(value, list):
                cases += _detect_secrets_rows(["line", "expected"], value)
        seen: set[str] = set()
        for n, (line, flagged) in enumerate(cases):
            if line in seen or not line.strip() or len(line) > 4000:
                continue
            seen.add(line)
            note, peer = "", "tp" if flagged else "fp"
            # detect-secrets leaves these out for one language's quoting rules (C wants double
            # quotes) or token format (npm's legacy UUID tokens); a person would want each
            # reported, so they are positives here.
            if not flagged and (
                "m{{h}o)p${e]nob(ody[finds>-_$#thisone}}" in line
                or re.search(r"_authToken=[0-9a-f]{8}-", line)
            ):
                flagged, note = True, "detect-secrets: not flagged for this language or format"
            ours, expect, why = verdict(line, kind, flagged)
            samples.append(
                Sample(
                    f"detect-secrets/{filename}/{n}",
                    "detect-secrets",
                    kind,
                    ours,
                    peer,
                    line,
                    expect=expect,
                    note=_note(note, why),
                )
            )
    return samples


def _python_file(git: Git, source: Source, path: str) -> ast.Module:
    """A peer's Python test file, parsed (and noted as read)."""
    source.read.append(path)
    return ast.parse(git.show(path))


def _parametrized(tree: ast.Module) -> Iterator[tuple[ast.Call, list[str]]]:
    """Each `pytest.mark.parametrize("a, b", rows)` call in the file, with its column names."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not _is_parametrize(node):
            continue
        names = node.args[0]
        if isinstance(names, ast.Constant) and isinstance(names.value, str):
            yield node, [c.strip() for c in names.value.split(",")]


def _is_parametrize(node: ast.Call) -> bool:
    func = node.func
    return isinstance(func, ast.Attribute) and func.attr == "parametrize" and len(node.args) >= 2


def _detect_secrets_rows(columns: list[str], rows: Any) -> list[tuple[str, bool]]:
    out: list[tuple[str, bool]] = []
    if not isinstance(rows, list | tuple):
        return out
    text_col = next((i for i, c in enumerate(columns) if c in ("line", "payload", "text")), None)
    if text_col is None:
        return out
    for row in rows:
        if not isinstance(row, list | tuple) or len(row) <= text_col:
            continue
        line = row[text_col]
        if not isinstance(line, str):
            continue
        rest = [v for i, v in enumerate(row) if i != text_col]
        flag = rest[0] if rest else True
        flagged = bool(flag) if not isinstance(flag, str) else True
        out.append((line, flagged))
    return out


# --- trufflehog --------------------------------------------------------------------------------

TRUFFLEHOG_DETECTORS = {
    "stripe/stripe_test.go": "stripe",
    "slack/slack_test.go": "slack",
    "slackwebhook/slackwebhook_test.go": "slack",
    "github/v2/github_test.go": "github",
    "gitlab/v2/gitlab_v2_test.go": "gitlab",
    "sendgrid/sendgrid_test.go": "sendgrid",
    "twilioapikey/twilioapikey_test.go": "twilio",
    "openai/openai_test.go": "openai",
    "anthropic/anthropic_test.go": "anthropic",
    "huggingface/huggingface_test.go": "huggingface",
    "databrickstoken/databrickstoken_test.go": "databricks",
    "digitaloceanv2/digitaloceanv2_test.go": "digitalocean",
    "mailgun/mailgun_test.go": "mailgun",
    "telegrambottoken/telegrambottoken_test.go": "telegram",
    "discordbottoken/discordbottoken_test.go": "discord",
    "npmtokenv2/npmtokenv2_test.go": "npm",
    "pypi/pypi_test.go": "pypi",
    "shopify/shopify_test.go": "shopify",
    "privatekey/privatekey_test.go": "private-key",
    "jwt/jwt_test.go": "jwt",
    "azure_storage/storage_test.go": "azure",
    "uri/uri_test.go": "url-credentials",
    "ftp/ftp_test.go": "url-credentials",
    "datadogtoken/datadogtoken_test.go": "datadog",
    "sentrytoken/v2/sentrytoken_test.go": "sentry",
    "gcp/gcp_test.go": "gcp",
    "heroku/v2/heroku_test.go": "heroku",
    "aws/access_keys/accesskey_test.go": "aws",
}


def trufflehog_samples(git: Git, source: Source) -> list[Sample]:
    samples: list[Sample] = []
    funcs = gitleaks_funcs(random.Random(SEED))
    for rel, kind in TRUFFLEHOG_DETECTORS.items():
        path = f"pkg/detectors/{rel}"
        try:
            text = git.show(path)
        except subprocess.CalledProcessError:
            source.skipped.append(f"{path}: not in this commit")
            continue
        source.read.append(path)
        tokens = go_tokens(text)
        env: dict[str, Any] = {}
        problems: list[str] = []
        # Package-level var/const blocks: `var ( name = expr ... )`.
        for block in _go_blocks(tokens):
            run_assignments(block, env, funcs, problems)
        for name, body in go_functions(text):
            if not name.endswith("_Pattern"):
                continue
            run_assignments(body, env, funcs, problems)
            cases = env.get("tests")
            if not isinstance(cases, list):
                source.skipped.append(f"{path} {name}: {'; '.join(problems[-3:])}")
                continue
            for n, case in enumerate(cases):
                if not isinstance(case, dict) or not isinstance(case.get("input"), str):
                    source.skipped.append(f"{path} {name} case {n}: input not evaluated")
                    continue
                want = case.get("want")
                if want is Unsupported:
                    source.skipped.append(f"{path} {name} case {n}: want not evaluated")
                    continue
                wanted = len(want or [])
                value = case["input"]
                ours, expect, why = verdict(value, kind, wanted > 0, max(1, wanted))
                samples.append(
                    Sample(
                        f"trufflehog/{rel}/{n}",
                        "trufflehog",
                        kind,
                        ours,
                        "tp" if wanted else "fp",
                        value,
                        expect=expect,
                        note=_note(str(case.get("name", "")), why),
                    )
                )
    return samples


def _go_blocks(tokens: list[tuple[str, str]]) -> Iterator[list[tuple[str, str]]]:
    """The bodies of top-level `var (...)` and `const (...)` blocks, and single var lines."""
    i = 0
    depth = 0
    while i < len(tokens):
        kind, text = tokens[i]
        if text in ("{", "(") and kind == "op":
            depth += 1
        elif text in ("}", ")") and kind == "op":
            depth -= 1
        elif depth == 0 and text in ("var", "const") and kind == "ident":
            if tokens[i + 1][1] == "(":
                j, level = i + 1, 0
                while True:
                    level += {"(": 1, ")": -1}.get(tokens[j][1], 0)
                    j += 1
                    if level == 0:
                        break
                yield tokens[i + 2 : j - 1]
                i = j
                continue
            j = i + 1
            while j < len(tokens) and tokens[j][0] != "nl":
                j += 1
            yield tokens[i + 1 : j]
            i = j
            continue
        i += 1


# --- Presidio ----------------------------------------------------------------------------------

PRESIDIO_FILES = {
    "test_email_recognizer.py": "email",
    "test_credit_card_recognizer.py": "credit-card",
    "test_us_ssn_recognizer.py": "us-ssn",
    "test_phone_recognizer.py": "phone",
    "test_iban_recognizer.py": "iban",
}


def presidio_samples(git: Git, source: Source) -> list[Sample]:
    samples: list[Sample] = []
    for filename, kind in PRESIDIO_FILES.items():
        path = f"presidio-analyzer/tests/{filename}"
        tree = _python_file(git, source, path)
        seen: set[str] = set()
        for node, columns in _parametrized(tree):
            if "expected_len" not in columns:
                continue
            try:
                rows = ast.literal_eval(node.args[1])
            except ValueError:
                source.skipped.append(f"{path} line {node.lineno}: not literal")
                continue
            text_col = 0
            len_col = columns.index("expected_len")
            for row in rows:
                value, count = row[text_col], row[len_col]
                if value in seen:
                    continue
                seen.add(value)
                ours, expect, why = verdict(value, kind, count > 0, max(1, count))
                samples.append(
                    Sample(
                        f"presidio/{filename}/{len(seen)}",
                        "presidio",
                        kind,
                        ours,
                        "tp" if count else "fp",
                        value,
                        expect=expect,
                        note=why,
                    )
                )
    return samples


# --- our own hard negatives, documented examples and MRZ lines ---------------------------------


# ICAO Doc 9303's specimen data lines (Anna Maria Eriksson of Utopia).
SPECIMEN_TD3 = "L898902C36UTO7408122F1204159ZE184226B<<<<<10"
SPECIMEN_TD1 = "7408122F1204159UTO<<<<<<<<<<<6\nERIKSSON<<ANNA<MARIA<<<<<<<<<<"


def own_samples(rng: random.Random) -> list[Sample]:
    hexd = "0123456789abcdef"
    alnum = string.ascii_letters + string.digits

    def pick(chars: str, n: int) -> str:
        return "".join(rng.choice(chars) for _ in range(n))

    negatives: list[tuple[str, str]] = []
    for _ in range(20):
        u = pick(hexd, 32)
        uuid = f"{u[:8]}-{u[8:12]}-4{u[13:16]}-a{u[17:20]}-{u[20:]}"
        negatives += [
            ("generic-assignment", f'request_id = "{uuid}"'),
            ("generic-assignment", f"commit: {pick(hexd, 40)}"),
            ("generic-assignment", f'"sha256": "{pick(hexd, 64)}"'),
            (
                "generic-assignment",
                f"integrity sha512-{base64.b64encode(rng.randbytes(64)).decode()}",
            ),
            ("generic-assignment", f'etag: W/"{pick(hexd, 32)}"'),
        ]
    negatives += [
        ("generic-assignment", "password = ${DB_PASSWORD}"),
        ("generic-assignment", 'api_key: "{{ .Values.apiKey }}"'),
        ("generic-assignment", "secret_key = os.environ['SECRET_KEY']"),
        ("generic-assignment", 'token = getenv("API_TOKEN")'),
        ("generic-assignment", "client_secret: !vault |"),
        ("generic-assignment", "password_hash = bcrypt.hashpw(password, salt)"),
        ("generic-assignment", "token_type=Bearer expires_in=3600"),
        ("generic-assignment", "max_tokens: 4096"),
        ("generic-assignment", 'secretName: "app-decryption-secret"'),
        ("generic-assignment", "keyboard_layout = us-intl"),
        ("generic-assignment", 'passwordPolicy: "min-length-12"'),
        ("generic-assignment", "SECRET_KEY_BASE_LENGTH=64"),
        ("generic-assignment", 'apiVersion: "apps/v1"'),
        ("url-credentials", "redis://:${REDIS_PASSWORD}@redis:6379/0"),
        ("url-credentials", "https://user@git.example.com/repo.git"),
        ("url-credentials", "postgres://app:%s@db/orders"),
        ("jwt", "header.payload.signature"),
        ("private-key", "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"),
        ("private-key", "ssh-keygen writes -----BEGIN OPENSSH PRIVATE KEY----- files"),
        ("email", "see icon@2x.png and user@localhost"),
        ("phone", "build 1.0.0+20240101123456 took 1e+10 ns"),
        ("credit-card", "order 4111111111111112 shipped"),
        ("us-ssn", "ISBN 978-3-16-148410-0"),
    ]
    examples = [
        ("aws", "aws_access_key_id = AKIAIOSFODNN7EXAMPLE"),
        ("aws", "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        ("aws", "key = AKIAXXXXXXXXXXXXXXXX"),
        ("github", "GITHUB_TOKEN=ghp_" + "x" * 36),
        ("github", "token: ghp_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
        ("stripe", "Stripe.api_key = 'sk_test_4eC39HqLyjWDarjtT1zdp7dc'"),
        ("slack", "SLACK_BOT_TOKEN=xoxb-XXXXXXXXXXXX-XXXXXXXXXXXXX-XXXXXXXXXXXXXXXXXXXXXXXX"),
        (
            "jwt",
            "Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3"
            "ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6"
            "yJV_adQssw5c",
        ),
        ("generic-assignment", 'api_key = "YOUR_API_KEY"'),
        ("generic-assignment", "client_secret=<your-client-secret>"),
        ("generic-assignment", "password: changeme"),
        ("generic-assignment", 'secret = "xxxxxxxxxxxxxxxxxxxxxxxx"'),
        ("credit-card", "test card 4242 4242 4242 4242 exp 12/34"),
        (
            "mrz",
            "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10",
        ),
        (
            "mrz",
            "I<UTOD231458907<<<<<<<<<<<<<<<\n7408122F1204159UTO<<<<<<<<<<<6\nERIKSSON<<ANNA<MARIA<<<<<<<<<<",
        ),
    ]
    bech32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l".upper()
    positives: list[tuple[str, str]] = []
    for _ in range(5):
        word = pick(alnum, 14)
        header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').decode().rstrip("=")
        claims = base64.urlsafe_b64encode(
            json.dumps(
                {"sub": pick(alnum, 8), "exp": rng.randint(1_700_000_000, 1_900_000_000)}
            ).encode()
        )
        body = base64.b64encode(rng.randbytes(48)).decode()
        positives += [
            ("age", f"AGE-SECRET-KEY-1{pick(bech32, 58)}"),
            ("url-credentials", f'secret: "postgres://app:{word}@db:5432/orders"'),
            ("url-credentials", f"curl -u deploy:{word} https://api.acme.test/v1/builds"),
            ("private-key", f'private_key: "-----BEGIN RSA PRIVATE KEY-----\\n{body}\\n"'),
            ("jwt", f"id_token={header}.{claims.decode().rstrip('=')}."),
            (
                "us-ssn",
                f"applicant ssn={rng.choice([536, 412, 227])}{rng.randint(10, 99)}"
                f"{rng.randint(1000, 9999)} verified",
            ),
            (
                "phone",
                f"call me on ({rng.randint(201, 989)}) {rng.randint(200, 999)}-"
                f"{rng.randint(1000, 9999)} after 5",
            ),
            ("credit-card", f"pan {luhn_complete('1' + pick(string.digits, 13))}"),
            ("credit-card", f"dankort {luhn_complete('5019' + pick(string.digits, 11))}"),
            ("generic-assignment", f'"accessToken": "{pick(alnum, 32)}"'),
            ("generic-assignment", f'dbPassword := "{word}$x"'),
            ("generic-assignment", f'setProperty("SERVICE_TOKEN", "{pick(alnum, 28)}")'),
        ]
    samples = [
        Sample(f"own/positive/{n}", "own", kind, "positive", "-", text)
        for n, (kind, text) in enumerate(positives)
    ]
    samples += [
        Sample(f"own/negative/{n}", "own", kind, "negative", "-", text)
        for n, (kind, text) in enumerate(negatives)
    ]
    samples += [
        Sample(f"own/example/{n}", "own", kind, "example", "-", text)
        for n, (kind, text) in enumerate(examples)
    ]
    for n in range(20):
        td1, td3 = random_mrz(rng, "I"), random_mrz(rng, "P")
        samples.append(Sample(f"own/mrz-td3/{n}", "own", "mrz", "positive", "-", td3))
        samples.append(Sample(f"own/mrz-td1/{n}", "own", "mrz", "positive", "-", td1))
        broken = td3[:-1] + str((int(td3[-1]) + 1) % 10)  # a wrong composite check digit
        samples.append(Sample(f"own/mrz-broken/{n}", "own", "mrz", "negative", "-", broken))
    return samples


def luhn_complete(partial: str) -> str:
    """`partial` with the Luhn check digit appended."""
    return partial + luhn_digit(partial)


def random_mrz(rng: random.Random, doc: str) -> str:
    states = ["D<<", "FRA", "GBR", "NLD", "USA", "ITA", "ESP", "POL", "SWE", "CAN"]
    state = rng.choice(states)
    surname = "".join(rng.choice(string.ascii_uppercase) for _ in range(rng.randint(4, 9)))
    given = "".join(rng.choice(string.ascii_uppercase) for _ in range(rng.randint(3, 7)))
    number = "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(9))
    birth = f"{rng.randint(50, 99):02d}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    expiry = f"{rng.randint(27, 35):02d}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    sex = rng.choice("MF<")
    if doc == "P":
        names = f"{surname}<<{given}".ljust(39, "<")[:39]
        line1 = f"P<{state}{names}"
        personal = "".ljust(14, "<")
        body = (
            number
            + mrz_digit(number)
            + state
            + birth
            + mrz_digit(birth)
            + sex
            + expiry
            + mrz_digit(expiry)
            + personal
            + "<"
        )
        composite = body[0:10] + body[13:20] + body[21:43]
        line2 = body + mrz_digit(composite)
        return f"{line1}\n{line2}"
    line1 = f"I<{state}{number}{mrz_digit(number)}".ljust(30, "<")
    line2 = f"{birth}{mrz_digit(birth)}{sex}{expiry}{mrz_digit(expiry)}{state}".ljust(29, "<")
    composite = line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29]
    line2 += mrz_digit(composite)
    line3 = f"{surname}<<{given}".ljust(30, "<")[:30]
    return f"{line1}\n{line2}\n{line3}"


# --- writing -----------------------------------------------------------------------------------

LICENCES = {
    "gitleaks": ("gitleaks/gitleaks", "MIT"),
    "detect-secrets": ("Yelp/detect-secrets", "Apache-2.0"),
    "trufflehog": ("trufflesecurity/trufflehog", "AGPL-3.0"),
    "presidio": ("microsoft/presidio", "MIT"),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gitleaks", required=True, help="git directory of gitleaks/gitleaks")
    parser.add_argument("--detect-secrets", required=True, help="… of Yelp/detect-secrets")
    parser.add_argument("--trufflehog", required=True, help="… of trufflesecurity/trufflehog")
    parser.add_argument("--presidio", required=True, help="… of microsoft/presidio")
    parser.add_argument("--out", type=Path, default=ROOT / "tests" / "data" / "scan-corpus")
    args = parser.parse_args()
    rng = random.Random(SEED)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    sources: list[Source] = []
    samples: list[Sample] = []
    builders: dict[str, Callable[[Git, Source], list[Sample]]] = {
        "gitleaks": lambda g, s: gitleaks_samples(g, rng, s),
        "detect-secrets": detect_secrets_samples,
        "trufflehog": trufflehog_samples,
        "presidio": presidio_samples,
    }
    for name, build in builders.items():
        git = Git(getattr(args, name.replace("-", "_")))
        repo, licence = LICENCES[name]
        source = Source(name, repo, git.commit, licence, git.show("LICENSE"))
        samples += build(git, source)
        sources.append(source)
    samples += own_samples(rng)
    (out / "samples.jsonl").unlink(missing_ok=True)  # one file for all sources, before the split
    for name in [*builders, "own"]:
        with (out / f"samples-{name}.jsonl").open("w", encoding="utf-8") as handle:
            for sample in samples:
                if sample.source == name:
                    handle.write(json.dumps(asdict(sample), ensure_ascii=False) + "\n")
    write_sources(out, sources, samples)
    counts: dict[str, int] = {}
    for sample in samples:
        counts[sample.label] = counts.get(sample.label, 0) + 1
    print(f"{len(samples)} samples {counts} -> {out}/samples-*.jsonl")
    for source in sources:
        print(
            f"  {source.name} {source.repo}@{source.commit}: {len(source.read)} files read, "
            f"{len(source.skipped)} parts skipped"
        )
    return 0


def write_sources(out: Path, sources: list[Source], samples: list[Sample]) -> None:
    lines = [
        "# Where the external corpus comes from",
        "",
        "Built by `scripts/build_scan_corpus.py` (read it for how each source is parsed and",
        "labelled). Each sample is a test input published with a peer's rules; the label is ours",
        "(`positive`: a person would want it reported; `example`: a placeholder or documented",
        "example, to be reported as suppressed; `negative`: neither), the peer's own verdict is",
        "kept in `peer`. Where ours departs from the peer's by one of the builder's rules (its",
        "`verdict` function: documented examples and placeholders, stand-in addresses, NANP",
        "555-01xx numbers, unencrypted private keys), the sample's `note` says which.",
        "",
        "The peers' test inputs are reproduced here for measurement only. Each source's samples",
        "are in a file of their own, `samples-<source>.jsonl`, which is under that source's",
        "licence (its text is `LICENSE.<source>` beside it) and holds nothing from any other",
        "source; `samples-own.jsonl` is this project's own.",
        "",
        "## Labelling rules",
        "",
        "Applied to every source alike (`verdict` in the builder):",
        "",
        "- a documented example (AWS's `AKIAIOSFODNN7EXAMPLE` and its example secret key, by its",
        "  start; Stripe's documented test key; card networks' test numbers; the jwt.io sample's",
        "  claims; Azurite's development account key; ICAO specimens) or a placeholder (a filler:",
        "  one character repeated, `x`s, the alphabet in order; `your_api_key`, `<token>`,",
        "  `changeme`, `EXAMPLE` in a value) makes a sample an `example`;",
        "- an e-mail sample whose address stands in for a person (`src@…`, `john.doe@…`, a",
        "  mailbox that says it is fake) is an `example`;",
        "- North American numbers 555-0100 to 555-0199 are kept for fiction in every area: a phone",
        "  sample holding no other number is an `example`, and such numbers do not count among",
        "  the values a positive holds (`expect`);",
        "- an unencrypted private key block (a PEM header with key material after it) is a",
        "  `positive` whatever a peer's detector for another kind said: trufflehog's GCP detector",
        "  leaves out a key file without `private_key_id`, but every peer's private-key detector",
        "  reports the key;",
        "- detect-secrets leaves out some lines for one language's quoting rules or npm's legacy",
        "  token format; a person would want each reported, so they are `positive`.",
        "",
    ]
    for source in sources:
        own = [s for s in samples if s.source == source.name]
        lines += [
            f"## {source.name}: {source.repo} @ {source.commit}",
            "",
            f"Licence: {source.licence}. {len(own)} samples from {len(source.read)} files:",
            "",
            *[f"- `{path}`" for path in source.read],
            "",
        ]
        if source.skipped:
            lines += ["Not taken (with why):", "", *[f"- {s}" for s in source.skipped], ""]
        (out / f"LICENSE.{source.name}").write_text(source.licence_text, encoding="utf-8")
        lines += [
            f"Samples: `samples-{source.name}.jsonl`, under {source.licence}; licence text:",
            f"`LICENSE.{source.name}`.",
            "",
        ]
    own = [s for s in samples if s.source == "own"]
    lines += [
        "## own",
        "",
        f"{len(own)} samples in `samples-own.jsonl`, made by the builder (no text from the peers):",
        "hard negatives (UUIDs, hashes, template and environment references), documentation",
        "examples and placeholders, and ICAO 9303 machine-readable zones made with valid check",
        "digits (the specimens' state `UTO` marks an example; a wrong check digit a negative).",
        "",
    ]
    (out / "SOURCES.md").write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
