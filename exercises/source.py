"""A static read of a learner's locustfile with `ast`: what it defines, without running it.

Pure: no Django, no Locust import. `read_source(text)` returns `SourceFacts`; a file that does not parse
gives facts with `syntax_error` set (the message and the learner's line), never an exception.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

USER_BASES = frozenset({"HttpUser", "FastHttpUser", "User"})
SHAPE_BASES = frozenset({"LoadTestShape"})


@dataclass(frozen=True)
class WaitTime:
    """`wait_time = between(1, 2)` (kind "between", args (1.0, 2.0)), `constant(1)`, ...; args None when
    they are not plain numbers."""

    kind: str
    args: tuple[float, ...] | None
    line: int

    def describe(self) -> str:
        if self.args is None:
            return f"{self.kind}(...)"
        return f"{self.kind}({', '.join(f'{a:g}' for a in self.args)})"


@dataclass(frozen=True)
class TaskFacts:
    name: str
    weight: int | None  # None: @task without a plain integer weight
    line: int


@dataclass(frozen=True)
class ClassFacts:
    name: str
    bases: tuple[str, ...]
    line: int
    wait_time: WaitTime | None = None
    tasks: tuple[TaskFacts, ...] = ()
    methods: tuple[str, ...] = ()
    host: str | None = None  # a literal `host = "..."` on the class
    calls: tuple[str, ...] = ()  # client calls made anywhere in the class: "post", "get", ...


@dataclass(frozen=True)
class SourceFacts:
    syntax_error: str = ""
    error_line: int | None = None
    users: tuple[ClassFacts, ...] = ()
    shapes: tuple[ClassFacts, ...] = ()
    uses_catch_response: bool = False
    marks_failure: bool = False  # calls `.failure(...)` somewhere
    absolute_urls: tuple[tuple[str, int], ...] = field(default=())  # ("http://...", line) passed to the client

    @property
    def parses(self) -> bool:
        return not self.syntax_error


def _base_name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _number(node: ast.expr) -> float | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return float(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _number(node.operand)
        return None if inner is None else -inner
    return None


def _wait_time(value: ast.expr, line: int) -> WaitTime | None:
    if isinstance(value, ast.Call):
        kind = _base_name(value.func)
        args = [_number(a) for a in value.args]
        numbers = None if any(a is None for a in args) or value.keywords else tuple(a for a in args if a is not None)
        return WaitTime(kind or "?", numbers, line)
    return WaitTime("?", None, line)


def _task_weight(decorator: ast.expr) -> tuple[bool, int | None]:
    """(is a @task decorator, its weight)."""
    if _base_name(decorator) == "task":
        return True, 1
    if isinstance(decorator, ast.Call) and _base_name(decorator.func) == "task":
        if not decorator.args and not decorator.keywords:
            return True, 1
        arg = decorator.args[0] if decorator.args else decorator.keywords[0].value
        weight = _number(arg)
        return True, int(weight) if weight is not None and weight == int(weight) else None
    return False, None


def _class_facts(node: ast.ClassDef) -> ClassFacts:
    wait_time = None
    host = None
    tasks: list[TaskFacts] = []
    methods: list[str] = []
    for item in node.body:
        targets: list[ast.expr] = []
        value = None
        if isinstance(item, ast.Assign):
            targets, value = item.targets, item.value
        elif isinstance(item, ast.AnnAssign) and item.value is not None:
            targets, value = [item.target], item.value
        for target in targets:
            if isinstance(target, ast.Name) and target.id == "wait_time" and value is not None:
                wait_time = _wait_time(value, item.lineno)
            if isinstance(target, ast.Name) and target.id == "host" and isinstance(value, ast.Constant):
                host = str(value.value)
        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
            methods.append(item.name)
            for decorator in item.decorator_list:
                is_task, weight = _task_weight(decorator)
                if is_task:
                    tasks.append(TaskFacts(item.name, weight, item.lineno))
    calls = sorted({
        sub.func.attr for sub in ast.walk(node)
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute)
        and _base_name(sub.func.value) == "client"
    })
    return ClassFacts(node.name, tuple(_base_name(b) for b in node.bases), node.lineno, wait_time,
                      tuple(tasks), tuple(methods), host, tuple(calls))


def read_source(text: str) -> SourceFacts:
    """What the file defines: user classes (deriving HttpUser/FastHttpUser/User, also through a class of
    the file that does), LoadTestShape classes, their wait_time, @task methods and weights, on_start,
    catch_response use; or the syntax error with its line."""
    try:
        tree = ast.parse(text, filename="locustfile.py")
    except SyntaxError as exc:
        return SourceFacts(syntax_error=f"SyntaxError on line {exc.lineno}: {exc.msg}", error_line=exc.lineno)
    except ValueError as exc:  # e.g. a NUL byte
        return SourceFacts(syntax_error=f"The file cannot be read as Python: {exc}", error_line=None)
    classes = [node for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]
    user_names = set(USER_BASES)
    shape_names = set(SHAPE_BASES)
    changed = True
    while changed:  # classes deriving from the file's own user or shape classes count too
        changed = False
        for node in classes:
            bases = {_base_name(b) for b in node.bases}
            if node.name not in user_names and bases & user_names:
                user_names.add(node.name)
                changed = True
            if node.name not in shape_names and bases & shape_names:
                shape_names.add(node.name)
                changed = True
    users = tuple(_class_facts(n) for n in classes if n.name in user_names and n.name not in USER_BASES)
    shapes = tuple(_class_facts(n) for n in classes if n.name in shape_names and n.name not in SHAPE_BASES)
    catch = False
    failure = False
    absolute: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "catch_response":
            catch = catch or not (isinstance(node.value, ast.Constant) and node.value.value in (False, None))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr == "failure":
                failure = True
            if _base_name(node.func.value) == "client" and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str) and "://" in first.value:
                    absolute.append((first.value, node.lineno))
    return SourceFacts(users=users, shapes=shapes, uses_catch_response=catch, marks_failure=failure,
                       absolute_urls=tuple(absolute))
