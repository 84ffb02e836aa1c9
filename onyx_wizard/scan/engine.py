"""The matching engine: the rules compiled into RE2 automata and run over large chunks of bytes.

RE2 matches in time linear in the input whatever the pattern, so a hostile log line cannot
stall a scan. Each automaton runs over a whole chunk (megabytes) at a time, not line by line,
so Python's overhead is paid per chunk and per candidate, never per line. Validators (Luhn, SSN
ranges, JWT header, entropy floors) run on the candidates alone.

The rules are split in two automata by their keywords. Rules with a distinctive keyword
(`whsec_`, `bearer`, `password`, …) sit in one; rules that have none (card numbers, IBANs) or
only a one-character one (`@`, `+`) sit in the other. The second kind produces most candidates
in ordinary logs, and RE2 works out a match's capture groups by re-running a slower engine at
a cost that grows with the automaton: measured here, keeping that automaton small took the
cost per candidate from about 5.3 to 2.6 µs. Known secret values, when given, are a third
automaton of literal strings, so no other match can hide one.

The keyword prefilter (skip the keyword rules a chunk cannot match) is available but off by
default: measured here, finding which keywords a chunk holds costs as much as running the
keyword automaton itself (`in` tests ~60 MB/s for 39 keywords; an RE2 set of them ~750 MB/s;
the automaton ~300-800 MB/s). benchmarks/scan.py measures both.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import quote

import re2

from onyx_wizard.scan.rules import Category, Rule
from onyx_wizard.scan.validators import entropy

# A known secret shorter than this is not searched for: a short value matches by chance.
MIN_SECRET_LENGTH = 8
KNOWN_SECRET = "known-secret"
# RE2's budget for an automaton's cached DFA states; past it RE2 falls back to a slower engine.
_MAX_MEM = 32 << 20
# Bytes before a value looked at for a rule's `not_after` and `stopwords` key names.
_KEY_WINDOW = 40
# How far past a rejected context match its inner matches are looked for (see `_inside`).
_INSIDE_REACH = 1024
_NAME_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
# google-re2's own (undocumented) handle on unanchored search; see `_spans`.
_UNANCHORED = getattr(getattr(re2, "_Anchor", None), "UNANCHORED", None)


@dataclass(frozen=True, order=True)
class Hit:
    """What a rule (or a known secret) matched: the match's start, and the value's byte span."""

    start: int  # the value
    end: int
    rule: str
    category: Category
    begin: int = -1  # the whole match (key name included), for overlap between automata
    rank: int = 0  # the rule's place in the rule file: the earlier wins a tie
    example: str = ""  # why the value is a placeholder or documented example (then no finding)


@dataclass(frozen=True)
class _Slot:
    rule: Rule | None  # None: a known secret literal
    label: str
    group: int  # the alternative's whole match
    values: tuple[int, ...]  # its value groups, alternatives: the first that took part is the value
    rank: int


def _options() -> Any:
    options = re2.Options()
    options.max_mem = _MAX_MEM
    return options


def _spans(
    regexp: Any, text: bytes, pos: int = 0, endpos: int | None = None
) -> Iterator[list[tuple[int, int]]]:
    """The group spans of each successive match of `regexp` in `text[pos:endpos]`.

    The text around the span still counts as context (`\\b` at its edges).

    google-re2's finditer wraps every match in a Python object; calling the compiled RE2
    object directly (as finditer itself does) halves the cost per candidate. The public
    finditer stays the fallback should that object change.
    """
    size = len(text) if endpos is None else endpos
    raw = getattr(regexp, "_regexp", None)
    if raw is None or _UNANCHORED is None or not hasattr(raw, "Match"):
        for match in regexp.finditer(text, pos, size):
            yield [match.span(g) for g in range(regexp.groups + 1)]
        return
    while pos <= size:
        spans = raw.Match(_UNANCHORED, text, pos, size)
        start, end = spans[0]
        if start < 0:
            return
        yield spans
        pos = end if end > pos else pos + 1


class _Alternation:
    """Rules (and literals) compiled into one regex, with where each one's groups are."""

    def __init__(
        self, rules: Sequence[tuple[int, Rule]], literals: Sequence[tuple[str, bytes]] = ()
    ) -> None:
        self.slots: list[_Slot] = []
        parts: list[bytes] = []
        group = 1
        # Longest literal first: at one position the first alternative listed wins.
        for label, literal in sorted(literals, key=lambda item: -len(item[1])):
            self.slots.append(_Slot(None, label, group, (), -1))
            parts.append(b"(" + re2.escape(literal) + b")")
            group += 1
        for rank, rule in rules:
            inner = re2.compile(rule.regex.encode()).groups
            values = tuple(range(group + 1, group + 1 + inner))
            self.slots.append(_Slot(rule, rule.id, group, values, rank))
            parts.append(b"(" + rule.regex.encode() + b")")
            group += 1 + inner
        self.regexp = re2.compile(b"|".join(parts), _options()) if parts else None

    def candidates(
        self, text: bytes, pos: int = 0, endpos: int | None = None
    ) -> Iterator[tuple[_Slot, int, int, int]]:
        """Each leftmost match: its slot, where the match starts, and the value's span."""
        if self.regexp is None:
            return
        slots = self.slots
        for spans in _spans(self.regexp, text, pos, endpos):
            # One top-level alternative took part in the match: the one whose group is set.
            for slot in slots:
                begin = spans[slot.group][0]
                if begin >= 0:
                    start, end = spans[slot.group]
                    for value in slot.values:
                        if spans[value][0] >= 0:
                            start, end = spans[value]
                            break
                    yield slot, begin, start, end
                    break


def _variants(secret: str) -> set[bytes]:
    """The forms a secret takes in logs: as is, URL-encoded, JSON-escaped, inside base64.

    A base64 blob (`Authorization: Basic …`) encodes the secret differently depending on where
    it starts modulo 3; each alignment has a stretch of characters fixed by the secret alone.
    """
    raw = secret.encode()
    forms = {raw, quote(secret, safe="").encode(), json.dumps(secret)[1:-1].encode()}
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw)
        size = shift + len(raw)
        end = 4 * (size // 3) + size % 3
        core = encoded[(0, 2, 3)[shift] : end]
        if len(core) >= 16:
            forms.add(core)
            forms.add(core.translate(bytes.maketrans(b"+/", b"-_")))
    return {form for form in forms if len(form) >= MIN_SECRET_LENGTH}


def secret_items(secrets: Mapping[str, str] | Iterable[str]) -> list[tuple[str, str]]:
    """(rule id, value) for known secrets: `known-secret:<label>`, or `known-secret`."""
    if isinstance(secrets, Mapping):
        return [(f"{KNOWN_SECRET}:{label}", value) for label, value in secrets.items() if value]
    return [(KNOWN_SECRET, value) for value in secrets if value]


def _is_keyword_rule(rule: Rule) -> bool:
    return any(len(keyword) > 1 for keyword in rule.keywords)


@dataclass(frozen=True)
class _Automata:
    rules: tuple[Rule, ...]
    keyword_rules: tuple[tuple[int, Rule], ...]
    plain: _Alternation
    keyword: _Alternation
    specific: _Alternation  # names what a context rule (Bearer …, key=…) holds


@lru_cache(maxsize=8)
def _automata(rules: tuple[Rule, ...], wanted: frozenset[Category]) -> _Automata:
    """The rules' automata, compiled once per rule set (compiling takes milliseconds)."""
    ranked = [(rank, rule) for rank, rule in enumerate(rules) if rule.category in wanted]
    keyword_rules = tuple((rank, rule) for rank, rule in ranked if _is_keyword_rule(rule))
    return _Automata(
        rules=tuple(rule for _, rule in ranked),
        keyword_rules=keyword_rules,
        plain=_Alternation([(r, rule) for r, rule in ranked if not _is_keyword_rule(rule)]),
        keyword=_Alternation(keyword_rules),
        specific=_Alternation([(r, rule) for r, rule in ranked if not rule.generic]),
    )


class Matcher:
    """The rules and known secrets of one scan, compiled once and used on every chunk."""

    def __init__(
        self,
        rules: Sequence[Rule],
        secrets: Mapping[str, str] | Iterable[str] = (),
        categories: Iterable[Category] | None = None,
        *,
        prefilter: bool = False,
    ) -> None:
        wanted = frozenset(categories) if categories is not None else frozenset(Category)
        automata = _automata(tuple(rules), wanted)
        self.rules = automata.rules
        self._plain, self._keyword = automata.plain, automata.keyword
        self._specific = automata.specific
        literals: list[tuple[str, bytes]] = []
        self.short_secrets = 0
        if Category.KNOWN_SECRET in wanted:
            for label, value in secret_items(secrets):
                if len(value.encode()) < MIN_SECRET_LENGTH:
                    self.short_secrets += 1
                    continue
                literals += [(label, form) for form in sorted(_variants(value))]
        self._literals = _Alternation([], literals)
        self._prefilter = _KeywordSet(automata.keyword_rules) if prefilter else None

    def hits(self, text: bytes, own_end: int | None = None) -> list[Hit]:
        """Validated hits whose value starts before `own_end` (default: anywhere), in order.

        A known secret outranks any pattern hit over the same bytes; of two overlapping
        pattern hits, the one whose match starts first (then the earlier rule) is kept. Hits
        of placeholders and documented examples carry the reason (`Hit.example`).
        """
        limit = len(text) if own_end is None else own_end
        keyword = self._keyword
        if self._prefilter is not None:
            keyword = self._prefilter.alternation_for(text)
        found: list[Hit] = []
        for alternation in (self._plain, keyword):
            for slot, begin, start, end in alternation.candidates(text):
                if start >= limit:
                    break
                assert slot.rule is not None
                hit = self._validate(slot.rule, slot.rank, text, begin, start, end)
                if hit is not None:
                    found.append(hit)
                elif slot.rule.generic:
                    found += self._inside(text, begin, begin + 1, end, limit)
        known = [
            Hit(start, end, slot.label, Category.KNOWN_SECRET, begin, -1)
            for slot, begin, start, end in self._literals.candidates(text)
            if start < limit
        ]
        return _resolve(known, found)

    def _inside(self, text: bytes, begin: int, pos: int, end: int, limit: int) -> list[Hit]:
        """Hits that start inside a rejected context match (`secret: "postgres://u:p@h"`).

        A rejected candidate must not hide another rule's match that starts within it. The
        search is bounded (the match plus `_INSIDE_REACH` bytes), so a line of repeated
        candidates stays linear.
        """
        found: list[Hit] = []
        endpos = min(len(text), end + _INSIDE_REACH)
        for alternation in (self._plain, self._keyword):
            for slot, b, s, e in alternation.candidates(text, pos, endpos):
                if b >= end or s >= limit:
                    break
                assert slot.rule is not None
                hit = self._validate(slot.rule, slot.rank, text, b, s, e)
                if hit is not None:
                    found.append(hit)
        return found

    def _validate(
        self, rule: Rule, rank: int, text: bytes, begin: int, start: int, end: int
    ) -> Hit | None:
        if rule.generic:
            specific = self._refine(text, start, end)
            if specific is not None:
                s, e = specific.start, specific.end
                return Hit(s, e, specific.rule, specific.category, begin, rank, specific.example)
        value = text[start:end]
        if len(value) < rule.min_length:
            return None
        if rule.not_preceded_by and start and text[start - 1] in rule.not_preceded_by:
            return None
        if rule.not_followed_by and end < len(text) and text[end] in rule.not_followed_by:
            return None
        check = rule.check
        if check is not None:
            kept = check(value)
            if not kept:
                return None
            end = start + kept
            value = value[:kept]
        if rule.key_check is not None and not rule.key_check(text[begin:start], value):
            return None
        if rule.not_after and _after_key(rule.not_after, text, start):
            return None
        if rule.stopwords and _has_stopword(rule.stopwords, text, begin, end):
            return None
        example = rule.example_reason(value)
        if not example and rule.entropy is not None and entropy(value) < rule.entropy:
            if rule.generic:
                return None
            # A vendor's prefix with too little randomness after it: a placeholder.
            example = "placeholder (too little randomness for this kind of token)"
        return Hit(start, end, rule.id, rule.category, begin, rank, example)

    def _refine(self, text: bytes, start: int, end: int) -> Hit | None:
        """The specific rule a context rule's value satisfies (e.g. `Bearer ghp_…`), if any."""
        value = text[start:end]
        for slot, b, s, e in self._specific.candidates(value):
            assert slot.rule is not None
            hit = self._validate(slot.rule, slot.rank, value, b, s, e)
            if hit is not None:
                return Hit(
                    start + hit.start, start + hit.end, hit.rule, hit.category, example=hit.example
                )
        return None


def _resolve(known: list[Hit], found: list[Hit]) -> list[Hit]:
    """Known secrets first; then pattern hits that overlap nothing kept before them."""
    if not found:
        return known
    found.sort(key=lambda h: (h.begin, h.rank))
    kept: list[Hit] = []
    reach = -1
    for hit in found:
        if hit.begin < reach or hit.start < reach:
            continue  # inside a match that starts earlier (the other automaton found it)
        if known and any(k.start < hit.end and hit.start < k.end for k in known):
            continue
        kept.append(hit)
        reach = hit.end
    if known:
        kept = sorted(kept + known)
    return kept


def _after_key(keys: Sequence[str], text: bytes, start: int) -> bool:
    before = text[max(0, start - _KEY_WINDOW) : start]
    before = before.rsplit(b"\n", 1)[-1].lower().rstrip(b"\"':= \t")
    for key in keys:
        word = key.encode()
        # A whole key name (`trace_id`, `span.id`), not the end of a word (`paid`).
        whole = not word[:1].isalnum() or not before[: -len(word)][-1:].isalnum()
        if before.endswith(word) and whole:
            return True
    return False


def _has_stopword(words: Sequence[str], text: bytes, begin: int, end: int) -> bool:
    # The key name may begin before the match (`next_page_token=` matches at `_token`).
    first = begin
    while first > max(0, begin - _KEY_WINDOW) and text[first - 1] in _NAME_BYTES:
        first -= 1
    around = text[first:end].lower()
    return any(word.encode() in around for word in words)


class _KeywordSet:
    """Which keyword rules a chunk can match, from one pass of an RE2 set of their keywords."""

    def __init__(self, rules: Sequence[tuple[int, Rule]]) -> None:
        self._rules = list(rules)
        self._keywords = sorted({k for _, rule in rules for k in rule.keywords})
        options = _options()
        options.case_sensitive = False
        options.literal = True
        self._set = re2.Set.SearchSet(options)
        for keyword in self._keywords:
            self._set.Add(keyword.encode())
        self._set.Compile()

    def alternation_for(self, text: bytes) -> _Alternation:
        present = {self._keywords[i] for i in self._set.Match(text) or ()}
        chosen = tuple(
            index
            for index, (_, rule) in enumerate(self._rules)
            if any(k in present for k in rule.keywords)
        )
        return self._compiled(chosen)

    @lru_cache(maxsize=64)  # noqa: B019 - one per Matcher, which lives for one scan
    def _compiled(self, chosen: tuple[int, ...]) -> _Alternation:
        return _Alternation([self._rules[i] for i in chosen])
