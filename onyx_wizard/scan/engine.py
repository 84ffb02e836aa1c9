"""The matching engine: the rules compiled into two RE2 automata run over large chunks of bytes.

RE2 matches in time linear in the input whatever the pattern, so a hostile log line cannot
stall a scan. Each automaton runs over a whole chunk (megabytes) at a time, not line by line,
so Python's overhead is paid per chunk and per candidate, never per line. Validators (Luhn, SSN
ranges, JWT header, entropy floors) run on the candidates alone.

Each candidate takes three steps, each in a small or capture-free automaton:

1. the union of the automaton's rules (see `_group`), with their capturing groups made
   non-capturing, finds where the next candidate starts. Without groups RE2 answers from its
   DFA alone; asking a large automaton for groups costs tens of microseconds a candidate
   (measured here: a union with groups ran at 38 MB/s on a typical log, without at 360 MB/s);
2. an RE2 set of the same patterns, anchored there, names every rule that matches at that
   start, so each gets its chance in rule-file order (a rejected candidate never hides another
   rule's match);
3. the rule's own regex, anchored there, gives the value's span from its groups.

When every rule at a start is rejected, the search goes on from the next byte, so a match that
starts inside the rejected one (`secret: "postgres://u:p@h/db"`) is found; a candidate that
starts inside a rejected one gets no such second search, which keeps a line of nested
candidates linear. Known secret values, when given, are one more automaton, of literal strings,
so no other match can hide one.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import quote

import re2

from onyx_wizard.scan.rules import Category, Rule, capture_free
from onyx_wizard.scan.validators import entropy

# A known secret shorter than this is not searched for: a short value matches by chance.
MIN_SECRET_LENGTH = 8
KNOWN_SECRET = "known-secret"
# RE2's budget for an automaton's cached DFA states; past it RE2 falls back to a slower engine.
_MAX_MEM = 64 << 20
# Bytes before a value looked at for a rule's `not_after` and `stopwords` key names, and for the
# start of a key's name (`client_secret=` matches from `secret`).
_KEY_WINDOW = 40
# Bytes after a candidate's start shown to the set of rules (at least the union's whole match):
# every rule's shortest match fits in it.
_SET_REACH = 1024
# What may stand between a key's name and its value (`id": `, `ts=`).
_KEY_END = b"\"':= \t"
_NAME_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
# google-re2's own (undocumented) handles on unanchored and anchored search; see `_next`.
_ANCHOR = getattr(re2, "_Anchor", None)
_UNANCHORED = getattr(_ANCHOR, "UNANCHORED", None)
_ANCHOR_START = getattr(_ANCHOR, "ANCHOR_START", None)


@dataclass(frozen=True, order=True)
class Hit:
    """What a rule (or a known secret) matched: the match's start, and the value's byte span."""

    start: int  # the value
    end: int
    rule: str
    category: Category
    begin: int = -1  # the whole match (for key=value rules, from the key's keyword)
    rank: int = 0  # the rule's place in the rule file: the earlier wins a tie
    example: str = ""  # why the value is a placeholder or documented example (then no finding)


def _options() -> Any:
    options = re2.Options()
    options.max_mem = _MAX_MEM
    return options


@dataclass(frozen=True)
class _Entry:
    rule: Rule | None  # None: a known secret literal
    label: str
    rank: int
    regexp: Any  # the pattern with its own groups
    values: tuple[int, ...]  # its value groups, alternatives: the first that took part is the value
    check: Check  # the rule's checks of a candidate (see `_checker`)


# A candidate's checks: (text, match start, value start, value end) → the hit, or None.
Check = Callable[[bytes, int, int, int], "Hit | None"]
Refine = Callable[[bytes, int, int], "Hit | None"]


# google-re2's public API wraps every match in a Python object and has no anchored search
# from an offset; its compiled RE2 object (which `finditer` itself uses) does both at half the
# cost per candidate. The public calls stay the fallback should that object change.


def _next_fast(regexp: Any, text: bytes, pos: int, size: int) -> tuple[int, int]:
    return regexp._regexp.Match(_UNANCHORED, text, pos, size)[0]  # type: ignore[no-any-return]


def _anchored_fast(regexp: Any, text: bytes, pos: int) -> list[tuple[int, int]]:
    return regexp._regexp.Match(_ANCHOR_START, text, pos, len(text))  # type: ignore[no-any-return]


def _set_match_fast(rules: Any, text: bytes, start: int, end: int) -> list[int]:
    return rules._set.Match(text[start:end]) or []


def _next_public(regexp: Any, text: bytes, pos: int, size: int) -> tuple[int, int]:
    match = regexp.search(text, pos, size)
    return match.span() if match is not None else (-1, -1)


def _anchored_public(regexp: Any, text: bytes, pos: int) -> list[tuple[int, int]]:
    match = regexp.match(text, pos)
    if match is None:
        return [(-1, -1)]
    return [match.span(group) for group in range(regexp.groups + 1)]


def _set_match_public(rules: Any, text: bytes, start: int, end: int) -> list[int]:
    return rules.Match(text[start:end]) or []


def _api() -> tuple[Callable[..., Any], Callable[..., Any], Callable[..., Any]]:
    """The search functions: google-re2's internals when they look as expected, else public."""
    probe = re2.compile(b"a(b)")
    rules = re2.Set.MatchSet()
    fast = _UNANCHORED is not None and _ANCHOR_START is not None
    fast = fast and hasattr(getattr(probe, "_regexp", None), "Match")
    fast = fast and hasattr(getattr(rules, "_set", None), "Match")
    if fast:
        return _next_fast, _anchored_fast, _set_match_fast
    return _next_public, _anchored_public, _set_match_public


_next, _anchored, _set_match = _api()


class _Union:
    """Patterns compiled three ways: a capture-free union, an anchored set, one regex each."""

    def __init__(
        self,
        patterns: Sequence[tuple[Rule | None, str, int, bytes]],
        refine: Refine | None = None,
    ) -> None:
        self.entries: list[_Entry] = []
        parts: list[bytes] = []
        self.set = re2.Set.MatchSet(_options())
        for rule, label, rank, pattern in patterns:
            # Each rule's own regex runs anchored on one candidate at a time: RE2's default
            # memory is enough, and the rules' loading compiled it so already (re2 caches it).
            regexp = re2.compile(pattern)
            check = _checker(rule, rank, refine) if rule is not None else _literal
            groups = tuple(range(1, regexp.groups + 1))
            self.entries.append(_Entry(rule, label, rank, regexp, groups, check))
            free = capture_free(pattern.decode()).encode()
            parts.append(b"(?:" + free + b")")
            self.set.Add(free)
        if parts:
            self.set.Compile()
        self.regexp = re2.compile(b"|".join(parts), _options()) if parts else None
        # Per entry, for the search loop: its check when its match is the union's (no groups).
        self.plain: list[Check | None] = [
            None if entry.values else entry.check for entry in self.entries
        ]


def _literal(text: bytes, begin: int, start: int, end: int) -> Hit | None:
    """A known secret's literal has no checks: `Matcher.hits` reports it as found."""
    raise AssertionError("known-secret literals are not checked")  # pragma: no cover


def _checker(rule: Rule, rank: int, refine: Refine | None) -> Check:
    """The checks a candidate of `rule` must pass, cheapest first, as one closure.

    It runs for every candidate: only the checks the rule has are in it, and the rule's
    fields are read once here, not per candidate.
    """
    rule_id, category, generic = rule.id, rule.category, rule.generic
    shortest, before, after = rule.min_length, rule.not_preceded_by, rule.not_followed_by
    after_tails, after_words = rule.after_tails, rule.after_words
    validator, key_check = rule.check, rule.key_check
    stopwords = tuple(word.encode() for word in rule.stopwords)
    example_reason, floor = rule.example_reason, rule.entropy
    if generic and refine is None:
        raise ValueError(f"rule {rule_id}: a context rule needs the specific rules")

    def check(text: bytes, begin: int, start: int, end: int) -> Hit | None:
        if end - start < shortest:
            return None
        if before and start and text[start - 1] in before:
            return None
        if after and end < len(text) and text[end] in after:
            return None
        if after_tails:
            # A value right after a `not_after` key name (`trace_id=`): the key's last two
            # characters first, a cheap test that runs for most card-like numbers.
            key = text[start - _KEY_WINDOW if start > _KEY_WINDOW else 0 : start].rstrip(_KEY_END)
            if key[-2:].lower() in after_tails and _after_word(after_words, key.lower()):
                return None
        value = text[start:end]
        if validator is not None:
            kept = validator(value)
            if not kept:
                return None
            end = start + kept
            value = value[:kept]
        if key_check is not None and not key_check(text[_key_start(text, begin) : start], value):
            return None
        if stopwords and _has_stopword(stopwords, text, begin, end):
            return None
        if generic:
            # A context rule's value may be a more specific token (`Bearer ghp_…`): then that
            # rule names the finding. Looked for last, after the cheap rejections.
            specific = refine(text, start, end)  # type: ignore[misc]
            if specific is not None:
                s, e = specific.start, specific.end
                return Hit(s, e, specific.rule, specific.category, begin, rank, specific.example)
        example = example_reason(value)
        if not example and floor is not None and entropy(value) < floor:
            if generic:
                return None
            # A vendor's prefix with too little randomness after it: a placeholder.
            example = "placeholder (too little randomness for this kind of token)"
        return Hit(start, end, rule_id, category, begin, rank, example)

    return check


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


@dataclass(frozen=True)
class _Automata:
    rules: tuple[Rule, ...]
    groups: tuple[_Union, ...]  # each searched on its own (see `_group`)


def _rule_patterns(ranked: Iterable[tuple[int, Rule]]) -> list[tuple[Rule | None, str, int, bytes]]:
    return [(rule, rule.id, rank, rule.regex.encode()) for rank, rule in ranked]


def _group(rule: Rule) -> int:
    """Which automaton a rule runs in.

    One union of every rule is slow on text it has not seen: RE2 builds its DFA's states as
    it meets them, and a union's states are products of its rules' (measured on a fresh typical
    log, without groups: the union of all rules 16 MB/s; personal data with the context rules
    115 MB/s and vendor tokens 265 MB/s, each alone; on text seen before 260 and 490 MB/s).
    Each automaton costs a pass over the text (RE2's DFA does no better than about 600 MB/s
    on patterns without a literal prefix), so there are two: the rules with no distinctive
    keyword (personal data) with the context rules (key=value, Bearer), and the rest.
    """
    if rule.generic or not any(len(keyword) > 1 for keyword in rule.keywords):
        return 0
    return 1


@lru_cache(maxsize=8)
def _automata(rules: tuple[Rule, ...], wanted: frozenset[Category]) -> _Automata:
    """The rules' automata, compiled once per rule set (compiling takes milliseconds)."""
    ranked = [(rank, rule) for rank, rule in enumerate(rules) if rule.category in wanted]
    specific = _Union(_rule_patterns((r, rule) for r, rule in ranked if not rule.generic))

    def refine(text: bytes, start: int, end: int) -> Hit | None:
        """The specific rule a context rule's value satisfies (e.g. `Bearer ghp_…`), if any."""
        value = text[start:end]
        hits = _search(specific, value, 0, len(value), len(value), inner=False)
        if not hits:
            return None
        hit = hits[0]
        return Hit(start + hit.start, start + hit.end, hit.rule, hit.category, example=hit.example)

    groups = [[item for item in ranked if _group(item[1]) == group] for group in range(2)]
    return _Automata(
        rules=tuple(rule for _, rule in ranked),
        groups=tuple(_Union(_rule_patterns(group), refine) for group in groups if group),
    )


class Matcher:
    """The rules and known secrets of one scan, compiled once and used on every chunk."""

    def __init__(
        self,
        rules: Sequence[Rule],
        secrets: Mapping[str, str] | Iterable[str] = (),
        categories: Iterable[Category] | None = None,
    ) -> None:
        wanted = frozenset(categories) if categories is not None else frozenset(Category)
        automata = _automata(tuple(rules), wanted)
        self.rules = automata.rules
        self._groups = automata.groups
        literals: list[tuple[str, bytes]] = []
        self.short_secrets = 0
        if Category.KNOWN_SECRET in wanted:
            for label, value in secret_items(secrets):
                if len(value.encode()) < MIN_SECRET_LENGTH:
                    self.short_secrets += 1
                    continue
                literals += [(label, form) for form in sorted(_variants(value))]
        # Longest literal first: at one position the first listed wins.
        literals.sort(key=lambda item: -len(item[1]))
        self._literals = _Union([(None, label, -1, re2.escape(form)) for label, form in literals])

    def hits(self, text: bytes, own_end: int | None = None, start: int = 0) -> list[Hit]:
        """Validated hits whose match starts in `text[start:own_end]` (default: anywhere), in order.

        The text before `start` is context only (a word boundary, a key's name).

        A known secret outranks any pattern hit over the same bytes; pattern hits do not
        overlap: a match starting inside an accepted one is not looked at. Hits of placeholders
        and documented examples carry the reason (`Hit.example`).
        """
        limit = len(text) if own_end is None else own_end
        found: list[Hit] = []
        for union in self._groups:
            found += _search(union, text, start, len(text), limit, inner=True)
        known: list[Hit] = []
        union, size, pos = self._literals, len(text), start
        while union.regexp is not None and pos <= size:
            begin, end = _next(union.regexp, text, pos, size)
            if begin < 0 or begin >= limit:
                break
            # Literals match no context: the longest at `begin` is the union's match.
            matched = _set_match(union.set, text, begin, end)
            label = union.entries[min(matched)].label if matched else KNOWN_SECRET
            known.append(Hit(begin, end, label, Category.KNOWN_SECRET, begin, -1))
            pos = max(end, begin + 1)
        return _resolve(known, found)


def _search(
    union: _Union, text: bytes, pos: int, size: int, limit: int, *, inner: bool
) -> list[Hit]:
    """The hits of `union`'s rules in `text[pos:size]` whose match starts before `limit`.

    With `inner`, a candidate every rule rejects is searched again from its next byte, once.
    This loop runs for every candidate: it is written for speed (no generator, few calls).
    """
    found: list[Hit] = []
    regexp = union.regexp
    if regexp is None:
        return found
    inner_until = -1 if inner else size + 1
    entries, rules, anchored = union.entries, union.set, _anchored
    find: Callable[..., Any]
    names: Callable[[bytes], Any]
    if _next is _next_fast:  # the compiled objects' own methods: no wrapper call per candidate
        find, names, unanchored = regexp._regexp.Match, rules._set.Match, _UNANCHORED
    else:  # the public API, behind the same call shapes

        def find(_: Any, text: bytes, pos: int, size: int) -> list[tuple[int, int]]:
            return [_next(regexp, text, pos, size)]

        def names(piece: bytes) -> list[int]:
            indexes: list[int] = _set_match(rules, piece, 0, len(piece))
            return indexes

        unanchored = None
    plain, reach = union.plain, _SET_REACH
    while pos <= size:
        begin, end = find(unanchored, text, pos, size)[0]
        if begin < 0 or begin >= limit:
            break
        far = begin + reach
        matched: list[int] = names(text[begin : end if end > far else far]) or []
        hit = None
        if len(matched) == 1 and (check := plain[matched[0]]) is not None:
            # One rule with no groups: its match is the union's.
            hit = check(text, begin, begin, end)
            stop = end
        else:
            for index in sorted(matched):
                entry = entries[index]
                spans = anchored(entry.regexp, text, begin)
                if spans[0][0] < 0:
                    continue  # matched the slice, not the text (context at its edges)
                start, stop = spans[0]
                for group in entry.values:
                    if spans[group][0] >= 0:
                        start, stop = spans[group]
                        break
                hit = entry.check(text, begin, start, stop)
                if hit is not None:
                    stop = spans[0][1]
                    break
        if hit is not None:
            found.append(hit)
            pos = stop if stop > begin else begin + 1
        elif begin < inner_until:
            pos = end if end > begin else begin + 1  # inside a rejected one: no second look
        else:
            inner_until, pos = end, begin + 1
    return found


def _resolve(known: list[Hit], found: list[Hit]) -> list[Hit]:
    """Known secrets first; then pattern hits that overlap nothing kept before them.

    Of two overlapping pattern hits (from different automata), the one whose match starts
    first is kept, then the one whose rule comes first.
    """
    found.sort(key=lambda h: (h.begin, h.rank))
    kept: list[Hit] = []
    reach = -1
    for hit in found:
        if hit.begin < reach or hit.start < reach:
            continue
        if known and any(k.start < hit.end and hit.start < k.end for k in known):
            continue
        kept.append(hit)
        reach = hit.end
    return sorted(kept + known) if known else kept


def _key_start(text: bytes, begin: int) -> int:
    """Where the key name around a match's start begins (`client_secret` from `secret`)."""
    first = begin
    while first > max(0, begin - _KEY_WINDOW) and text[first - 1] in _NAME_BYTES:
        first -= 1
    return first


def _after_word(words: Sequence[bytes], before: bytes) -> bool:
    """Whether lower-cased `before` ends with one of `words`, as a whole key name."""
    for word in words:
        # A whole key name (`trace_id`, `span.id`), not the end of a word (`paid`).
        if before.endswith(word) and (
            not word[:1].isalnum() or not before[-len(word) - 1 : -len(word)].isalnum()
        ):
            return True
    return False


def _has_stopword(words: Sequence[bytes], text: bytes, begin: int, end: int) -> bool:
    # The key name may begin before the match (`next_page_token=` matches at `_token`).
    around = text[_key_start(text, begin) : end].lower()
    return any(word in around for word in words)
