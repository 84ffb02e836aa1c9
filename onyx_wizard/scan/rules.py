"""The scanner's rules, loaded from `rules.toml` (data, not code) and checked on load."""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass
from enum import StrEnum
from functools import cache, cached_property, lru_cache
from importlib import resources
from typing import Any

import re2

from onyx_wizard.errors import OnyxError
from onyx_wizard.scan.validators import KEY_CHECKS, VALIDATORS, KeyCheck, Validator, placeholder


class Category(StrEnum):
    """What kind of sensitive data a finding is. `known-secret` outranks every other kind."""

    KNOWN_SECRET = "known-secret"
    SECRET = "secret"
    TOKEN = "token"
    PII = "pii"


class RuleError(OnyxError, ValueError):
    """A rule file that does not load; the message names the rule and the field."""


@dataclass(frozen=True)
class Rule:
    """One detection rule: its keywords, a regex, and the checks its candidates must pass."""

    id: str
    category: Category
    title: str
    regex: str
    keywords: tuple[str, ...] = ()
    entropy: float | None = None
    min_length: int = 0
    validator: str | None = None
    not_preceded_by: bytes = b""
    not_followed_by: bytes = b""
    not_after: tuple[str, ...] = ()
    stopwords: tuple[str, ...] = ()
    generic: bool = False
    key: str | None = None  # a check of the key's name and the value (context rules)
    # Documented example values (a substring of the value, and where it is published).
    examples: tuple[tuple[bytes, str], ...] = ()

    @cached_property
    def check(self) -> Validator | None:
        """The validator function (looked up once: it runs for every candidate)."""
        return VALIDATORS[self.validator] if self.validator else None

    @cached_property
    def key_check(self) -> KeyCheck | None:
        """The key-name check, called with the text before the value and the value."""
        return KEY_CHECKS[self.key] if self.key else None

    @cached_property
    def after_words(self) -> tuple[bytes, ...]:
        """`not_after` as bytes (looked at for every candidate)."""
        return tuple(word.encode() for word in self.not_after)

    @cached_property
    def after_tails(self) -> frozenset[bytes]:
        """The last two characters of each `not_after` word (a quick first test)."""
        return frozenset(word[-2:] for word in self.after_words)

    def example_reason(self, value: bytes) -> str:
        """Why `value` is a documented example or a placeholder, or "" for a real-looking one."""
        for example, source in self.examples:
            if example in value:
                return f"documented example ({source})"
        return placeholder(value)


_FIELDS = {
    "id",
    "category",
    "title",
    "regex",
    "keywords",
    "entropy",
    "min_length",
    "validator",
    "not_preceded_by",
    "not_followed_by",
    "not_after",
    "stopwords",
    "generic",
    "key",
}
_EXAMPLE_FIELDS = {"rules", "values", "source"}


def _rule(entry: dict[str, Any], index: int) -> Rule:
    where = f"rule {entry.get('id', f'#{index + 1}')!s}"
    unknown = set(entry) - _FIELDS
    if unknown:
        raise RuleError(f"{where}: unknown field {sorted(unknown)[0]!r}")
    try:
        rule = Rule(
            id=str(entry["id"]),
            category=Category(entry["category"]),
            title=str(entry.get("title", "")),
            regex=str(entry["regex"]),
            keywords=tuple(str(k) for k in entry.get("keywords", ())),
            entropy=float(entry["entropy"]) if "entropy" in entry else None,
            min_length=int(entry.get("min_length", 0)),
            validator=entry.get("validator"),
            not_preceded_by=str(entry.get("not_preceded_by", "")).encode(),
            not_followed_by=str(entry.get("not_followed_by", "")).encode(),
            not_after=tuple(str(k) for k in entry.get("not_after", ())),
            stopwords=tuple(str(k) for k in entry.get("stopwords", ())),
            generic=bool(entry.get("generic", False)),
            key=entry.get("key"),
        )
    except KeyError as exc:
        raise RuleError(f"{where}: missing field {exc.args[0]!r}") from None
    except ValueError as exc:
        raise RuleError(f"{where}: {exc}") from None
    if rule.category is Category.KNOWN_SECRET:
        raise RuleError(f"{where}: category known-secret is reserved for keyring values")
    if rule.validator is not None and rule.validator not in VALIDATORS:
        raise RuleError(f"{where}: unknown validator {rule.validator!r}")
    if rule.key is not None and rule.key not in KEY_CHECKS:
        raise RuleError(f"{where}: unknown key check {rule.key!r}")
    if any(k != k.lower() or not k for k in (*rule.keywords, *rule.not_after, *rule.stopwords)):
        raise RuleError(f"{where}: keywords, not_after and stopwords must be lower-case words")
    try:
        groups = re2.compile(rule.regex.encode()).groups
    except re2.error as exc:
        raise RuleError(f"{where}: regex does not compile under RE2 ({exc})") from None
    try:
        free = re2.compile(capture_free(rule.regex).encode())
    except re2.error as exc:  # pragma: no cover - capture_free keeps a valid regex valid
        raise RuleError(f"{where}: regex does not compile without its groups ({exc})") from None
    if free.groups:
        raise RuleError(f"{where}: a group the engine cannot make non-capturing")
    # At most one group takes part in a match, as it must; more groups need a closer look.
    if groups > 1 and not _groups_are_alternatives(rule.regex):
        raise RuleError(
            f"{where}: capturing groups are the value, so at most one may take part in a "
            "match (alternatives); use (?:…) for the others"
        )
    return rule


@lru_cache(maxsize=512)
def capture_free(regex: str) -> str:
    """`regex` with every capturing group made non-capturing (`(x)` and `(?P<n>x)` to `(?:x)`)."""
    out: list[str] = []
    index, size, in_class = 0, len(regex), False
    while index < size:
        char = regex[index]
        if char == "\\":
            out.append(regex[index : index + 2])
            index += 2
            continue
        if in_class:
            in_class = char != "]"
            out.append(char)
            index += 1
            continue
        if char == "[":
            # A class: `]` right after `[` or `[^` is a member, not its end.
            close = index + 1 + (regex[index + 1 : index + 2] == "^")
            close += regex[close : close + 1] == "]"
            out.append(regex[index:close])
            index, in_class = close, True
            continue
        if char == "(" and regex[index + 1 : index + 2] != "?":
            out.append("(?:")
        elif char == "(" and regex.startswith(("?P<", "?<"), index + 1):
            out.append("(?:")
            index = regex.index(">", index) + 1
            continue
        else:
            out.append(char)
        index += 1
    return "".join(out)


def _groups_are_alternatives(regex: str) -> bool:
    """Whether no two capturing groups can both take part in one match."""
    try:
        import re._parser as sre  # type: ignore[import-not-found]

        tree = sre.parse(regex.replace(r"\z", r"\Z"))
    except Exception:  # RE2 syntax Python does not know: count groups instead
        return bool(re2.compile(regex.encode()).groups <= 1)

    def most(items: Any) -> int:
        total = 0
        for op, arg in items:
            name = str(op)
            if name == "SUBPATTERN":
                total += (1 if arg[0] is not None else 0) + most(arg[-1])
            elif name == "BRANCH":
                total += max(most(branch) for branch in arg[1])
            elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
                inner = most(arg[2])
                total += inner if arg[1] <= 1 else 2 * inner
        return total

    return most(tree) <= 1


def parse_rules(text: str) -> tuple[Rule, ...]:
    """Rules from TOML text (a list of [[rule]] tables)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(f"rules are not valid TOML: {exc}") from None
    rules = tuple(_rule(entry, i) for i, entry in enumerate(data.get("rule", [])))
    ids = [rule.id for rule in rules]
    examples: dict[str, list[tuple[bytes, str]]] = {}
    for index, entry in enumerate(data.get("example", [])):
        where = f"example #{index + 1}"
        unknown = set(entry) - _EXAMPLE_FIELDS
        if unknown or not {"rules", "values", "source"} <= set(entry):
            raise RuleError(f"{where}: an example has rules, values and source")
        for rule_id in entry["rules"]:
            if rule_id not in ids:
                raise RuleError(f"{where}: no rule {rule_id!r}")
            examples.setdefault(rule_id, []).extend(
                (str(value).encode(), str(entry["source"])) for value in entry["values"]
            )
    rules = tuple(
        dataclasses.replace(rule, examples=tuple(examples[rule.id]))
        if rule.id in examples
        else rule
        for rule in rules
    )
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise RuleError(f"rule {duplicates[0]!r} is defined twice")
    return rules


@cache
def default_rules() -> tuple[Rule, ...]:
    """The packaged rules (`onyx_wizard/scan/rules.toml`)."""
    text = resources.files(__package__).joinpath("rules.toml").read_text(encoding="utf-8")
    return parse_rules(text)
