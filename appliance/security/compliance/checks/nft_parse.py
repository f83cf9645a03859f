"""Just enough of the nftables language to know a ruleset's tables, base chains (hook,
policy) and rules, from /etc/nftables.conf (and what it includes) or `nft list ruleset`."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|#[^\n]*|\n|[{};]|[^\s{};"#]+')
# Table-level blocks that hold no rules of a chain (named sets, maps, objects).
_BLOCK_WORDS = {"set", "map", "flowtable", "counter", "quota", "limit", "ct", "secmark", "synproxy"}


@dataclass
class Rule:
    text: str
    line: int
    source: str

    @property
    def words(self) -> list[str]:
        return self.text.replace("{", " ").replace("}", " ").replace(",", " ").split()

    @property
    def verdict(self) -> str | None:
        for word in reversed(self.words):
            if word in ("accept", "drop", "reject", "queue", "continue", "return", "jump", "goto"):
                return word
        return None


@dataclass
class Chain:
    family: str
    table: str
    name: str
    source: str
    line: int
    hook: str | None = None
    policy: str | None = None
    rules: list[Rule] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.family} {self.table} {self.name}"


@dataclass
class Ruleset:
    chains: list[Chain] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def base_chains(self, hook: str) -> list[Chain]:
        return [c for c in self.chains if c.hook == hook]


class _Tokens:
    def __init__(self, text: str) -> None:
        self.items: list[tuple[str, int]] = []
        line = 1
        for match in _TOKEN.finditer(text):
            piece = match.group()
            if piece == "\n":
                self.items.append((";", line))  # a newline ends a statement like `;` does
                line += 1
            elif not piece.startswith("#"):
                self.items.append((piece, line))
        self.pos = 0

    def statement(self) -> tuple[list[str], int, bool]:
        """Tokens up to `;`/newline at this depth, their line, and whether a block `{`
        opens at the end (inline sets `{ 80, 443 }` inside a statement are kept)."""
        words: list[str] = []
        line = self.items[self.pos][1] if self.pos < len(self.items) else 0
        while self.pos < len(self.items):
            piece, _ = self.items[self.pos]
            if piece == ";":
                self.pos += 1
                if words:
                    return words, line, False
                line = self.items[self.pos][1] if self.pos < len(self.items) else line
                continue
            if piece == "}":
                return words, line, False
            if piece == "{":
                if words and (words[0] in ("table", "chain") or (words[0] in _BLOCK_WORDS and len(words) == 2)):
                    self.pos += 1
                    return words, line, True
                words.append(self._inline())
                continue
            words.append(piece)
            self.pos += 1
        return words, line, False

    def _inline(self) -> str:
        depth, parts = 0, []
        while self.pos < len(self.items):
            piece, _ = self.items[self.pos]
            self.pos += 1
            if piece == ";":
                continue
            parts.append(piece)
            depth += piece == "{"
            depth -= piece == "}"
            if depth == 0:
                break
        return " ".join(parts)

    def close(self) -> bool:
        if self.pos < len(self.items) and self.items[self.pos][0] == "}":
            self.pos += 1
            return True
        return False

    def done(self) -> bool:
        return self.pos >= len(self.items)


def parse(text: str, source: str, include: Callable[[str], list[tuple[str, str]]] | None = None) -> Ruleset:
    """Parses a ruleset; include(pattern) gives (path, text) for each file an `include` names."""
    ruleset = Ruleset(files=[source])
    _parse_into(ruleset, text, source, include, depth=0)
    return ruleset


def _parse_into(
    ruleset: Ruleset, text: str, source: str, include: Callable[[str], list[tuple[str, str]]] | None, depth: int
) -> None:
    tokens = _Tokens(text)
    while not tokens.done():
        if tokens.close():
            continue
        words, _, opens = tokens.statement()
        if not words:
            continue
        if words[0] == "include" and len(words) > 1 and include is not None and depth < 8:
            for path, content in include(words[1].strip('"')):
                ruleset.files.append(path)
                _parse_into(ruleset, content, path, include, depth + 1)
        elif words[0] == "table" and opens:
            family, name = (words[1], words[2]) if len(words) > 2 else ("ip", words[-1])
            _table(ruleset, tokens, family, name, source)
        elif opens:
            _skip(tokens)


def _skip(tokens: _Tokens) -> None:
    while not tokens.done():
        if tokens.close():
            return
        _, _, opens = tokens.statement()
        if opens:
            _skip(tokens)


def _table(ruleset: Ruleset, tokens: _Tokens, family: str, name: str, source: str) -> None:
    while not tokens.done():
        if tokens.close():
            return
        words, line, opens = tokens.statement()
        if opens and words[0] == "chain":
            chain = Chain(family, name, words[-1], source, line)
            ruleset.chains.append(chain)
            _chain(chain, tokens)
        elif opens:
            _skip(tokens)


def _chain(chain: Chain, tokens: _Tokens) -> None:
    while not tokens.done():
        if tokens.close():
            return
        words, line, opens = tokens.statement()
        if opens:
            _skip(tokens)
        elif words and words[0] == "type":
            if "hook" in words and words.index("hook") + 1 < len(words):
                chain.hook = words[words.index("hook") + 1]
            if "policy" in words and words.index("policy") + 1 < len(words):
                chain.policy = words[words.index("policy") + 1]
        elif words and words[0] == "policy" and len(words) > 1:
            chain.policy = words[1]
        elif words:
            chain.rules.append(Rule(" ".join(words), line, chain.source))
