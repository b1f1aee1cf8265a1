"""A safe arithmetic evaluator for question formulas: `ast` parsing and a whitelist walk, no eval.

Allowed: numbers, variable names, + - * / // % **, unary + and -, parentheses, comparisons (1.0 or 0.0),
`a if cond else b`, and calls to min, max, abs, round, sqrt, log, log2, log10, exp, ceil, floor; the
constants pi and e. Everything is computed in floats; every intermediate result must be finite,
exponents are bounded (|exponent| <= 100) and division by zero is an error.
"""

import ast
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from quizsite.questions.grading.errors import SpecError

MAX_SOURCE_CHARS = 1_000
MAX_DEPTH = 64
MAX_EXPONENT = 100
CONSTANTS = {"pi": math.pi, "e": math.e}


class ExprError(SpecError):
    """A formula that is not allowed, or that cannot be evaluated with the given variables."""


def _round(x: float, digits: float = 0) -> float:
    if digits != int(digits) or abs(digits) > 15:
        raise ExprError("round(): the number of digits must be a whole number between -15 and 15")
    return float(round(x, int(digits)))


def _sqrt(x: float) -> float:
    if x < 0:
        raise ExprError(f"sqrt() of a negative number ({x:g})")
    return math.sqrt(x)


def _log(x: float, base: float | None = None) -> float:
    if x <= 0:
        raise ExprError(f"log() of a number that is not positive ({x:g})")
    if base is None:
        return math.log(x)
    if base <= 0 or base == 1:
        raise ExprError(f"log() with base {base:g}")
    return math.log(x, base)


def _log_of(function: Callable[[float], float], name: str) -> Callable[[float], float]:
    def checked(x: float) -> float:
        if x <= 0:
            raise ExprError(f"{name}() of a number that is not positive ({x:g})")
        return function(x)

    return checked


def _exp(x: float) -> float:
    if x > 700:
        raise ExprError("exp() result too large")
    return math.exp(x)


# name: (fewest arguments, most arguments or None for any, implementation)
FUNCTIONS: dict[str, tuple[int, int | None, Callable[..., float]]] = {
    "min": (1, None, lambda *values: min(values)),
    "max": (1, None, lambda *values: max(values)),
    "abs": (1, 1, abs),
    "round": (1, 2, _round),
    "sqrt": (1, 1, _sqrt),
    "log": (1, 2, _log),
    "log2": (1, 1, _log_of(math.log2, "log2")),
    "log10": (1, 1, _log_of(math.log10, "log10")),
    "exp": (1, 1, _exp),
    "ceil": (1, 1, lambda x: float(math.ceil(x))),
    "floor": (1, 1, lambda x: float(math.floor(x))),
}

_BINARY = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)
_UNARY = (ast.UAdd, ast.USub)
_COMPARE = (ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Eq, ast.NotEq)
_REFUSED = {
    ast.Attribute: "attribute access",
    ast.Subscript: "subscripts",
    ast.Lambda: "lambda",
    ast.Starred: "starred arguments",
    ast.JoinedStr: "strings",
    ast.List: "lists",
    ast.Tuple: "tuples",
    ast.Dict: "dicts",
    ast.Set: "sets",
    ast.ListComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.NamedExpr: "assignment",
    ast.BoolOp: "and/or",
}


@dataclass(frozen=True)
class Expression:
    """A parsed, checked formula and the variable names it reads."""

    source: str
    tree: ast.expr
    names: frozenset[str]

    def evaluate(self, variables: Mapping[str, float]) -> float:
        return _evaluate(self.tree, variables)


def parse_expression(source: str) -> Expression:
    """Parse and check a formula; ExprError describes the first thing that is not allowed."""
    if not isinstance(source, str) or not source.strip():
        raise ExprError("the formula is empty")
    return _parse(source)


@lru_cache(maxsize=1024)
def _parse(source: str) -> Expression:
    if len(source) > MAX_SOURCE_CHARS:
        raise ExprError(f"the formula is longer than {MAX_SOURCE_CHARS:,} characters")
    try:
        tree = ast.parse(source.strip(), mode="eval").body
    except (SyntaxError, ValueError) as error:
        raise ExprError(f"the formula is not valid arithmetic ({getattr(error, 'msg', error)})") from None
    except (RecursionError, MemoryError):
        raise ExprError("the formula is nested too deeply") from None
    names: set[str] = set()
    _check(tree, names, 0)
    return Expression(source, tree, frozenset(names))


def evaluate(formula: str | Expression, variables: Mapping[str, float]) -> float:
    """The formula's value as a finite float; ExprError when it is not allowed or cannot be computed."""
    expression = parse_expression(formula) if isinstance(formula, str) else formula
    return expression.evaluate(variables)


def _where(node: ast.AST) -> str:
    column = getattr(node, "col_offset", None)
    return f" (column {column + 1})" if column is not None else ""


def _check(node: ast.AST, names: set[str], depth: int) -> None:
    """Raise ExprError unless every node of the tree is on the whitelist."""
    if depth > MAX_DEPTH:
        raise ExprError("the formula is nested too deeply")
    match node:
        case ast.Constant(value=value):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                kind = "strings" if isinstance(value, (str, bytes)) else f"the constant {value!r}"
                raise ExprError(f"not allowed in a formula: {kind}{_where(node)}")
        case ast.Name(id=name):
            if name.startswith("_"):
                raise ExprError(f"the name {name!r} is not allowed{_where(node)}")
            names.add(name)
        case ast.BinOp(left=left, op=op, right=right) if isinstance(op, _BINARY):
            _check(left, names, depth + 1)
            _check(right, names, depth + 1)
        case ast.UnaryOp(op=op, operand=operand) if isinstance(op, _UNARY):
            _check(operand, names, depth + 1)
        case ast.Compare(left=left, ops=ops, comparators=comparators) if all(
            isinstance(o, _COMPARE) for o in ops
        ):
            for child in (left, *comparators):
                _check(child, names, depth + 1)
        case ast.IfExp(test=test, body=body, orelse=orelse):
            for child in (test, body, orelse):
                _check(child, names, depth + 1)
        case ast.Call(func=ast.Name(id=name), args=args, keywords=keywords) if name in FUNCTIONS:
            low, high, _ = FUNCTIONS[name]
            if keywords or any(isinstance(a, ast.Starred) for a in args):
                raise ExprError(f"{name}() takes plain arguments only{_where(node)}")
            if len(args) < low or (high is not None and len(args) > high):
                raise ExprError(f"{name}() takes {_arity(low, high)}, got {len(args)}{_where(node)}")
            for child in args:
                _check(child, names, depth + 1)
        case ast.Call(func=ast.Name(id=name)):
            allowed = ", ".join(sorted(FUNCTIONS))
            raise ExprError(f"the function {name!r} is not allowed (allowed: {allowed}){_where(node)}")
        case ast.Call():
            raise ExprError(f"only calls to named functions are allowed{_where(node)}")
        case _:
            kind = _REFUSED.get(type(node), f"the syntax {type(node).__name__!r}")
            if isinstance(node, (ast.BinOp, ast.UnaryOp)):
                kind = f"the operator {type(node.op).__name__!r}"
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitXor):
                kind = "^ (use ** for powers)"
            if isinstance(node, ast.Compare):
                kind = "'in' and 'is'"
            raise ExprError(f"not allowed in a formula: {kind}{_where(node)}")


def _arity(low: int, high: int | None) -> str:
    if high is None:
        return f"at least {low} argument{'s' if low > 1 else ''}"
    if low == high:
        return f"{low} argument{'s' if low > 1 else ''}"
    return f"{low} to {high} arguments"


def _finite(value: float, what: str = "result") -> float:
    if isinstance(value, complex) or not math.isfinite(value):
        raise ExprError(f"the {what} is not a finite number")
    return value


def _power(base: float, exponent: float) -> float:
    if abs(exponent) > MAX_EXPONENT:
        raise ExprError(f"exponent {exponent:g} is larger than {MAX_EXPONENT}")
    if base == 0 and exponent < 0:
        raise ExprError("division by zero (0 raised to a negative power)")
    if base < 0 and exponent != int(exponent):
        raise ExprError("a negative number raised to a fractional power")
    try:
        return _finite(base**exponent)
    except OverflowError:
        raise ExprError("the result is too large") from None


def _divide(op: ast.operator, left: float, right: float) -> float:
    if right == 0:
        raise ExprError("division by zero")
    if isinstance(op, ast.Div):
        return left / right
    if isinstance(op, ast.FloorDiv):
        return float(left // right)
    return left % right


def _evaluate(node: ast.expr, variables: Mapping[str, float]) -> float:
    match node:
        case ast.Constant(value=value):
            try:
                return _finite(float(value), "constant")
            except OverflowError:
                raise ExprError("a constant in the formula is too large") from None
        case ast.Name(id=name):
            if name in variables:
                return _variable(name, variables[name])
            if name in CONSTANTS:
                return CONSTANTS[name]
            raise ExprError(f"missing variable {name!r}")
        case ast.UnaryOp(op=op, operand=operand):
            value = _evaluate(operand, variables)
            return -value if isinstance(op, ast.USub) else value
        case ast.BinOp(left=left, op=op, right=right):
            a, b = _evaluate(left, variables), _evaluate(right, variables)
            if isinstance(op, ast.Pow):
                return _power(a, b)
            if isinstance(op, (ast.Div, ast.FloorDiv, ast.Mod)):
                return _finite(_divide(op, a, b))
            if isinstance(op, ast.Add):
                return _finite(a + b)
            if isinstance(op, ast.Sub):
                return _finite(a - b)
            return _finite(a * b)
        case ast.Compare(left=left, ops=ops, comparators=comparators):
            values = [_evaluate(left, variables), *(_evaluate(c, variables) for c in comparators)]
            return float(all(_compare(op, a, b) for op, a, b in zip(ops, values, values[1:])))
        case ast.IfExp(test=test, body=body, orelse=orelse):
            return _evaluate(body if _evaluate(test, variables) else orelse, variables)
        case ast.Call(func=ast.Name(id=name), args=args):
            function = FUNCTIONS[name][2]
            try:
                return _finite(float(function(*(_evaluate(a, variables) for a in args))))
            except (OverflowError, ValueError):
                raise ExprError(f"{name}() result is not a finite number") from None
    raise ExprError(f"not allowed in a formula: the syntax {type(node).__name__!r}")


def _variable(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ExprError(f"variable {name!r} must be a number, got {value!r}")
    try:
        return _finite(float(value), f"variable {name!r}")
    except OverflowError:
        raise ExprError(f"variable {name!r} is too large") from None


def _compare(op: ast.cmpop, a: float, b: float) -> bool:
    match op:
        case ast.Lt():
            return a < b
        case ast.LtE():
            return a <= b
        case ast.Gt():
            return a > b
        case ast.GtE():
            return a >= b
        case ast.Eq():
            return a == b
    return a != b
