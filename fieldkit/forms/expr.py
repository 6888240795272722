"""The expression language of relevance, eligibility and constraints.

A small, safe language parsed by hand (never ``eval``)::

    expr    := or
    or      := and ("or" and)*
    and     := unary ("and" unary)*
    unary   := "not" unary | compare
    compare := primary (("=" | "!=" | "<" | "<=" | ">" | ">=") primary)?
    primary := STRING | NUMBER | "true" | "false" | "null" | "." | ID
             | FUNC "(" ID ["," STRING] ")" | "(" expr ")"
    FUNC    := selected | count | answered

An identifier stands for that question's stored answer; ``.`` for the answer being
checked by a constraint. Reserved answers (don't know, prefer not to answer, skipped)
and missing answers are null, and every comparison with null is false.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping

RESERVED = frozenset({"_dk", "_pna", "_skip"})
FUNCTIONS = ("selected", "count", "answered")
KEYWORDS = frozenset({"and", "or", "not", "true", "false", "null", *FUNCTIONS})
COMPARATORS = ("<=", ">=", "!=", "=", "<", ">")

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<number>\d+(?:\.\d+)?)
  | (?P<string>'[^']*'|"[^"]*")
  | (?P<op><=|>=|!=|==|=|<|>)
  | (?P<punct>[(),])
  | (?P<dot>\.(?![\w]))
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
""", re.VERBOSE)


class ExprSyntaxError(ValueError):
    """A parse error; ``column`` is 1-based within the expression source."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(f"{message} (column {column})")
        self.message = message
        self.column = column


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str
    col: int


def _tokenise(source: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    pos = 0
    while pos < len(source):
        m = _TOKEN.match(source, pos)
        if not m:
            if source[pos] in "'\"":
                raise ExprSyntaxError("this text is not closed with a matching quote", pos + 1)
            raise ExprSyntaxError(f"unexpected character {source[pos]!r}", pos + 1)
        kind = m.lastgroup or ""
        if kind != "ws":
            text = m.group()
            if kind == "op" and text == "==":
                text = "="
            tokens.append(_Tok(kind, text, pos + 1))
        pos = m.end()
    tokens.append(_Tok("end", "", len(source) + 1))
    return tokens


def _describe(tok: _Tok) -> str:
    return "the end of the expression" if tok.kind == "end" else repr(tok.text)


Node = tuple  # ("lit", v) | ("ref", id) | ("cur",) | ("fn", name, id, arg) | ("not", n)
              # | ("and", a, b) | ("or", a, b) | ("cmp", op, a, b)


class _Parser:
    def __init__(self, source: str) -> None:
        self.toks = _tokenise(source)
        self.i = 0
        self.refs: set[str] = set()
        self.uses_current = False

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def expect(self, kind: str, text: str | None, what: str) -> _Tok:
        tok = self.peek()
        if tok.kind != kind or (text is not None and tok.text != text):
            raise ExprSyntaxError(f"expected {what} but found {_describe(tok)}", tok.col)
        return self.take()

    def parse(self) -> Node:
        if self.peek().kind == "end":
            raise ExprSyntaxError("the expression is empty", 1)
        node = self.parse_or()
        tok = self.peek()
        if tok.kind != "end":
            raise ExprSyntaxError(f"unexpected {tok.text!r}; join conditions with 'and' or 'or'",
                                  tok.col)
        return node

    def parse_or(self) -> Node:
        node = self.parse_and()
        while self.peek().kind == "name" and self.peek().text == "or":
            self.take()
            node = ("or", node, self.parse_and())
        return node

    def parse_and(self) -> Node:
        node = self.parse_unary()
        while self.peek().kind == "name" and self.peek().text == "and":
            self.take()
            node = ("and", node, self.parse_unary())
        return node

    def parse_unary(self) -> Node:
        if self.peek().kind == "name" and self.peek().text == "not":
            self.take()
            return ("not", self.parse_unary())
        return self.parse_compare()

    def parse_compare(self) -> Node:
        left = self.parse_primary()
        if self.peek().kind == "op":
            op = self.take().text
            return ("cmp", op, left, self.parse_primary())
        return left

    def parse_primary(self) -> Node:
        tok = self.take()
        if tok.kind == "number":
            return ("lit", float(tok.text) if "." in tok.text else int(tok.text))
        if tok.kind == "string":
            return ("lit", tok.text[1:-1])
        if tok.kind == "dot":
            self.uses_current = True
            return ("cur",)
        if tok.kind == "punct" and tok.text == "(":
            node = self.parse_or()
            self.expect("punct", ")", "')'")
            return node
        if tok.kind == "name":
            if tok.text in ("true", "false"):
                return ("lit", tok.text == "true")
            if tok.text == "null":
                return ("lit", None)
            if tok.text in FUNCTIONS:
                return self.parse_call(tok)
            if tok.text in KEYWORDS:
                raise ExprSyntaxError(f"{tok.text!r} needs a condition before it", tok.col)
            self.refs.add(tok.text)
            return ("ref", tok.text)
        raise ExprSyntaxError(
            f"expected a value, a question id or a function but found {_describe(tok)}", tok.col)

    def parse_call(self, name: _Tok) -> Node:
        self.expect("punct", "(", f"'(' after {name.text}")
        qid = self.expect("name", None, "a question id")
        if qid.text in KEYWORDS:
            raise ExprSyntaxError(f"{qid.text!r} is not a question id", qid.col)
        self.refs.add(qid.text)
        arg = None
        if name.text == "selected":
            self.expect("punct", ",", "',' and an option code")
            arg = self.expect("string", None, "an option code in quotes").text[1:-1]
        self.expect("punct", ")", "')'")
        return ("fn", name.text, qid.text, arg)


def _value(raw: Any) -> Any:
    if raw is None or (isinstance(raw, str) and raw in RESERVED):
        return None
    return raw


def _number(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            return None
    return None


_CMP: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b, "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
}


def _compare(op: str, a: Any, b: Any) -> bool:
    if a is None or b is None or isinstance(a, list) or isinstance(b, list):
        return False
    if isinstance(a, bool) or isinstance(b, bool):
        return op in ("=", "!=") and _CMP[op](a, b)
    if isinstance(a, str) and isinstance(b, str):
        if op in ("=", "!="):
            return _CMP[op](a, b)
    na, nb = _number(a), _number(b)
    if na is not None and nb is not None:
        return _CMP[op](na, nb)
    if isinstance(a, str) and isinstance(b, str):
        return _CMP[op](a, b)
    return False


@dataclass(frozen=True)
class Expr:
    """A parsed expression. ``references`` are the question ids it reads."""

    source: str
    tree: Node
    references: frozenset[str]
    uses_current: bool

    def evaluate(self, answers: Mapping[str, Any], current: Any = None) -> Any:
        return self._eval(self.tree, answers, current)

    def is_true(self, answers: Mapping[str, Any], current: Any = None) -> bool:
        return self.evaluate(answers, current) is True

    def _eval(self, node: Node, answers: Mapping[str, Any], current: Any) -> Any:
        kind = node[0]
        if kind == "lit":
            return node[1]
        if kind == "ref":
            return _value(answers.get(node[1]))
        if kind == "cur":
            return _value(current)
        if kind == "not":
            return not self._eval(node[1], answers, current) is True
        if kind == "and":
            return (self._eval(node[1], answers, current) is True
                    and self._eval(node[2], answers, current) is True)
        if kind == "or":
            return (self._eval(node[1], answers, current) is True
                    or self._eval(node[2], answers, current) is True)
        if kind == "cmp":
            return _compare(node[1], self._eval(node[2], answers, current),
                            self._eval(node[3], answers, current))
        if kind == "fn":
            _, name, qid, arg = node
            value = _value(answers.get(qid))
            if name == "answered":
                return value is not None and value != [] and value != ""
            if name == "count":
                if value is None:
                    return 0
                return len(value) if isinstance(value, list) else 1
            if isinstance(value, list):
                return arg in value
            return value == arg
        raise AssertionError(f"unknown node {kind}")  # pragma: no cover


def parse_expression(source: str) -> Expr:
    """Parse ``source``; raises ExprSyntaxError with a 1-based column."""
    parser = _Parser(source)
    tree = parser.parse()
    return Expr(source, tree, frozenset(parser.refs), parser.uses_current)
