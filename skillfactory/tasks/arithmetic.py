"""A small, bounded parser for the arithmetic that models write in their answers.

Model output is untrusted text, so nothing here calls ``eval``: expressions are read by a recursive-descent parser
over a whitelist of tokens (ASCII digits, ``+ - * /``, parentheses), evaluated with exact ``Fraction`` arithmetic,
and every size is bounded (text length, literal length, nesting depth, size of intermediate values). Every failure
is reported by raising :class:`ArithmeticParseError`, which callers turn into a score of 0.

>>> evaluate_expression("(3 + 7) * 12 / 5")
(Fraction(24, 1), [3, 7, 12, 5])
>>> evaluate_expression("2 ** 8")
Traceback (most recent call last):
...
skillfactory.tasks.arithmetic.ArithmeticParseError: unexpected token '*' (token 2)
"""

from __future__ import annotations

from fractions import Fraction

MAX_EXPRESSION_CHARS = 400
MAX_LITERAL_DIGITS = 12
MAX_DEPTH = 16
MAX_VALUE_BITS = 128

_OPERATORS = "+-*/"


class ArithmeticParseError(ValueError):
    """The text is not a well-formed, bounded arithmetic expression."""


def tokenize(text: str) -> list[str]:
    """Split into integer literals, operators, parentheses and ``=``; reject anything else.

    >>> tokenize("12*(3-1)")
    ['12', '*', '(', '3', '-', '1', ')']
    """
    if len(text) > MAX_EXPRESSION_CHARS:
        raise ArithmeticParseError("expression too long")
    tokens: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in " \t":
            i += 1
        elif ch in "0123456789":
            j = i
            while j < len(text) and text[j] in "0123456789":
                j += 1
            if j - i > MAX_LITERAL_DIGITS:
                raise ArithmeticParseError("number literal too long")
            tokens.append(text[i:j])
            i = j
        elif ch in _OPERATORS or ch in "()=":
            tokens.append(ch)
            i += 1
        else:
            raise ArithmeticParseError(f"unexpected character {ch!r} at position {i}")
    return tokens


def apply_operator(op: str, left: Fraction, right: Fraction) -> Fraction:
    """Exact ``left op right``; division by zero and oversized results are parse errors."""
    if op == "+":
        value = left + right
    elif op == "-":
        value = left - right
    elif op == "*":
        value = left * right
    elif op == "/":
        if right == 0:
            raise ArithmeticParseError("division by zero")
        value = left / right
    else:
        raise ArithmeticParseError(f"unknown operator {op!r}")
    if value.numerator.bit_length() > MAX_VALUE_BITS or value.denominator.bit_length() > MAX_VALUE_BITS:
        raise ArithmeticParseError("value too large")
    return value


class _Parser:
    """expr := term (('+'|'-') term)* ; term := atom (('*'|'/') atom)* ; atom := INT | '(' expr ')'."""

    def __init__(self, tokens: list[str]):
        self.tokens = tokens
        self.pos = 0
        self.literals: list[int] = []

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def fail(self) -> ArithmeticParseError:
        token = self.peek()
        if token is None:
            return ArithmeticParseError("unexpected end of expression")
        return ArithmeticParseError(f"unexpected token {token!r} (token {self.pos})")

    def expr(self, depth: int) -> Fraction:
        value = self.term(depth)
        while self.peek() in ("+", "-"):
            op = self.tokens[self.pos]
            self.pos += 1
            value = apply_operator(op, value, self.term(depth))
        return value

    def term(self, depth: int) -> Fraction:
        value = self.atom(depth)
        while self.peek() in ("*", "/"):
            op = self.tokens[self.pos]
            self.pos += 1
            value = apply_operator(op, value, self.atom(depth))
        return value

    def atom(self, depth: int) -> Fraction:
        token = self.peek()
        if token is not None and token.isdigit():
            self.pos += 1
            self.literals.append(int(token))
            return Fraction(int(token))
        if token == "(":
            if depth >= MAX_DEPTH:
                raise ArithmeticParseError("nesting too deep")
            self.pos += 1
            value = self.expr(depth + 1)
            if self.peek() != ")":
                raise self.fail()
            self.pos += 1
            return value
        raise self.fail()


def evaluate_tokens(tokens: list[str]) -> tuple[Fraction, list[int]]:
    """Value of a whole token list and the integer literals it uses, in order."""
    parser = _Parser(tokens)
    value = parser.expr(0)
    if parser.peek() is not None:
        raise parser.fail()
    return value, parser.literals


def evaluate_expression(text: str) -> tuple[Fraction, list[int]]:
    """Value of an expression and the literals it uses; raises :class:`ArithmeticParseError` on anything else."""
    return evaluate_tokens(tokenize(text))
