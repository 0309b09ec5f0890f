"""The ADF/Synapse expression language: ``@expression`` values and ``@{...}`` string interpolation.

A JSON string that starts with ``@`` is one expression and keeps its value's type; ``@@`` at the start
is a literal ``@``; anywhere else, ``@{expression}`` is evaluated and spliced in as text. An object
``{"value": "...", "type": "Expression"}`` stands for its value. Expressions are function calls
(``concat('a', pipeline().parameters.x)``), literals (``'text'`` with ``''`` for a quote, numbers,
``true``, ``false``, ``null``) and accessors (``.name``, ``['name']``, ``[0]``, and ``?.``/``?[`` that
give ``null`` instead of failing). Functions live in :mod:`lakebox.expressions.functions`; the
run-time ones (``pipeline()``, ``activity()``, ``item()``, ``variables()``, ...) come from a
:class:`Scope`. A syntax error names the position; an evaluation error names the expression.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lakebox.errors import ValidationError
from lakebox.expressions import functions

Value = Any


class ExpressionError(ValidationError):
    """An expression that does not parse, or cannot be evaluated."""


# Syntax tree.


@dataclass(frozen=True)
class Literal:
    value: Value


@dataclass(frozen=True)
class Call:
    name: str
    arguments: tuple[Node, ...]
    position: int


@dataclass(frozen=True)
class Access:
    target: Node
    key: Node
    safe: bool
    position: int


Node = Literal | Call | Access


# Parsing.

_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<number>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<punct>\?\.|\?\[|[().,\[\]]))"
)


@dataclass
class _Token:
    kind: str
    text: str
    position: int


def _tokens(source: str, offset: int) -> list[_Token]:
    tokens, position = [], 0
    while position < len(source):
        if source[position:].strip() == "":
            break
        match = _TOKEN.match(source, position)
        if match is None or match.lastgroup is None:
            column = position + len(source[position:]) - len(source[position:].lstrip())
            raise ExpressionError(f"unexpected character {source[column]!r} at position {offset + column + 1}")
        kind = match.lastgroup
        tokens.append(_Token(kind, match.group(kind), offset + match.start(kind)))
        position = match.end()
    tokens.append(_Token("end", "", offset + len(source)))
    return tokens


@dataclass
class _Parser:
    tokens: list[_Token]
    index: int = 0

    @property
    def current(self) -> _Token:
        return self.tokens[self.index]

    def take(self, text: str | None = None, kind: str | None = None) -> _Token:
        token = self.current
        if (text is not None and token.text != text) or (kind is not None and token.kind != kind):
            wanted = repr(text) if text is not None else f"a {kind}"
            found = repr(token.text) if token.kind != "end" else "the end"
            raise ExpressionError(f"expected {wanted} at position {token.position + 1}, found {found}")
        self.index += 1
        return token

    def expression(self) -> Node:
        node = self.primary()
        while self.current.text in (".", "?.", "[", "?["):
            token = self.take()
            safe = token.text.startswith("?")
            if token.text.endswith("."):
                key: Node = Literal(self.take(kind="name").text)
            else:
                key = self.expression()
                self.take("]")
            node = Access(node, key, safe, token.position)
        return node

    def primary(self) -> Node:
        token = self.current
        if token.kind == "string":
            self.index += 1
            return Literal(token.text[1:-1].replace("''", "'"))
        if token.kind == "number":
            self.index += 1
            is_float = any(c in token.text for c in ".eE")
            return Literal(float(token.text) if is_float else int(token.text))
        if token.kind == "name":
            self.index += 1
            if token.text in _KEYWORDS and self.current.text != "(":
                return Literal(_KEYWORDS[token.text])
            self.take("(")
            arguments: list[Node] = []
            while self.current.text != ")":
                if arguments:
                    self.take(",")
                arguments.append(self.expression())
            self.take(")")
            return Call(token.text, tuple(arguments), token.position)
        found = repr(token.text) if token.kind != "end" else "the end"
        raise ExpressionError(f"expected a value or a function call at position {token.position + 1}, found {found}")


_KEYWORDS = {"true": True, "false": False, "null": None}


def parse(source: str, offset: int = 0) -> Node:
    """One expression (without its leading ``@``); ``offset`` is where it starts in the enclosing text."""
    parser = _Parser(_tokens(source, offset))
    node = parser.expression()
    if parser.current.kind != "end":
        raise ExpressionError(f"unexpected {parser.current.text!r} at position {parser.current.position + 1}")
    return node


@dataclass(frozen=True)
class Template:
    """A parsed string value: text parts and expressions, or one whole expression."""

    parts: tuple[str | Node, ...]
    whole: bool


def parse_template(text: str) -> Template:
    if text.startswith("@@"):
        return Template((text[1:],), whole=False)
    if text.startswith("@") and not text.startswith("@{"):
        return Template((parse(text[1:], offset=1),), whole=True)
    parts: list[str | Node] = []
    position = 0
    while (start := text.find("@{", position)) >= 0:
        end = _closing_brace(text, start + 2)
        if start > position:
            parts.append(text[position:start])
        parts.append(parse(text[start + 2 : end], offset=start + 2))
        position = end + 1
    if position < len(text):
        parts.append(text[position:])
    return Template(tuple(parts), whole=False)


def _closing_brace(text: str, position: int) -> int:
    quoted = False
    for index in range(position, len(text)):
        char = text[index]
        if char == "'":
            quoted = not quoted
        elif char == "}" and not quoted:
            return index
    raise ExpressionError(f"'@{{' at position {position - 1} is never closed with '}}'")


def is_dynamic(value: Value) -> bool:
    """Whether ``value`` (a JSON value) holds an expression anywhere."""
    if isinstance(value, str):
        return value.startswith("@") or "@{" in value
    if isinstance(value, dict):
        return any(is_dynamic(item) for item in value.values())
    if isinstance(value, list):
        return any(is_dynamic(item) for item in value)
    return False


# Evaluation.

Function = Callable[..., Value]


@dataclass
class Scope:
    """What run-time functions see: ``pipeline()``, ``activity()``, ``item()``, ``variables()``, and the
    parameters of the dataset or linked service being resolved."""

    pipeline: Mapping[str, Value] = field(default_factory=dict)
    activities: Mapping[str, Value] = field(default_factory=dict)
    variables: Mapping[str, Value] = field(default_factory=dict)
    item: Value = None
    has_item: bool = False
    dataset: Mapping[str, Value] | None = None
    linked_service: Mapping[str, Value] | None = None
    trigger: Mapping[str, Value] = field(default_factory=dict)
    clock: Callable[[], Any] | None = None

    def child(self, **changes: Any) -> Scope:
        values = {name: getattr(self, name) for name in self.__dataclass_fields__}
        return Scope(**(values | changes))


def evaluate(value: Value, scope: Scope) -> Value:
    """``value`` (any JSON value) with every expression in it evaluated."""
    if isinstance(value, str):
        return render(parse_template(value), scope) if is_dynamic(value) else value
    if isinstance(value, dict):
        if value.get("type") == "Expression" and set(value) == {"type", "value"}:
            return evaluate(value["value"], scope)
        return {key: evaluate(item, scope) for key, item in value.items()}
    if isinstance(value, list):
        return [evaluate(item, scope) for item in value]
    return value


def render(template: Template, scope: Scope) -> Value:
    if template.whole:
        node = template.parts[0]
        assert not isinstance(node, str)
        return _evaluate(node, scope)
    out = []
    for part in template.parts:
        out.append(part if isinstance(part, str) else to_text(_evaluate(part, scope)))
    return "".join(out)


def to_text(value: Value) -> str:
    """How a value is spliced into a string: JSON for objects and arrays, ``True``/``False`` as ADF writes them."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "True" if value else "False"
    if value is None:
        return ""
    return functions.json_text(value) if isinstance(value, dict | list) else str(value)


def _evaluate(node: Node, scope: Scope) -> Value:
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Access):
        return _access(node, scope)
    key = node.name.lower()
    try:
        if key in functions.LAZY:
            return functions.LAZY[key](*(_thunk(argument, scope) for argument in node.arguments))
        if key in functions.CLOCKED:
            now = scope.clock() if scope.clock else functions.utc_now()
            return functions.CLOCKED[key](now, *(_evaluate(argument, scope) for argument in node.arguments))
        if key in _SCOPE_FUNCTIONS:
            return _SCOPE_FUNCTIONS[key](scope, *(_evaluate(argument, scope) for argument in node.arguments))
        if key in functions.FUNCTIONS:
            return functions.FUNCTIONS[key](*(_evaluate(argument, scope) for argument in node.arguments))
    except ExpressionError:
        raise
    except TypeError as exc:
        raise ExpressionError(f"{node.name}() at position {node.position + 1}: {_arguments_message(exc)}") from None
    except (ValueError, ArithmeticError, KeyError, IndexError, OverflowError) as exc:
        raise ExpressionError(f"{node.name}() at position {node.position + 1}: {exc}") from None
    raise ExpressionError(f"unknown function {node.name!r} at position {node.position + 1}")


def _thunk(node: Node, scope: Scope) -> Callable[[], Value]:
    return lambda: _evaluate(node, scope)


def _arguments_message(exc: TypeError) -> str:
    text = str(exc)
    return re.sub(r"^\w+\(\) ", "", text) if "argument" in text else text


def _access(node: Access, scope: Scope) -> Value:
    target = _evaluate(node.target, scope)
    key = _evaluate(node.key, scope)
    if target is None:
        if node.safe:
            return None
        raise ExpressionError(f"cannot read {key!r} of null at position {node.position + 1}")
    if isinstance(target, list) and isinstance(key, int) and not isinstance(key, bool):
        if -len(target) <= key < len(target):
            return target[key]
        if node.safe:
            return None
        raise ExpressionError(f"index {key} is out of range (the array has {len(target)} items)")
    if isinstance(target, Mapping) and isinstance(key, str):
        if key in target:
            return target[key]
        folded = {str(name).lower(): name for name in target}
        if key.lower() in folded:
            return target[folded[key.lower()]]
        if node.safe:
            return None
        names = ", ".join(sorted(map(str, target))) or "none"
        raise ExpressionError(f"property {key!r} does not exist at position {node.position + 1} (it has: {names})")
    if node.safe:
        return None
    raise ExpressionError(f"cannot read {key!r} of a {type(target).__name__} at position {node.position + 1}")


def _pipeline(scope: Scope) -> Value:
    return scope.pipeline


def _activity(scope: Scope, name: str) -> Value:
    if name not in scope.activities:
        raise ExpressionError(f"activity {name!r} has not run (or is not upstream of this one)")
    return scope.activities[name]


def _item(scope: Scope) -> Value:
    if not scope.has_item:
        raise ExpressionError("item() is only defined inside a ForEach or a Filter")
    return scope.item


def _variables(scope: Scope, name: str) -> Value:
    if name not in scope.variables:
        raise ExpressionError(f"variable {name!r} is not declared in the pipeline")
    return scope.variables[name]


def _dataset(scope: Scope) -> Value:
    if scope.dataset is None:
        raise ExpressionError("dataset() is only defined inside a dataset")
    return scope.dataset


def _linked_service(scope: Scope) -> Value:
    if scope.linked_service is None:
        raise ExpressionError("linkedService() is only defined inside a linked service")
    return scope.linked_service


def _trigger(scope: Scope) -> Value:
    return scope.trigger


def _trigger_body(scope: Scope) -> Value:
    """``triggerBody()``: a storage event's ``fileName`` and ``folderPath``."""
    outputs = scope.trigger.get("outputs")
    return outputs.get("body") if isinstance(outputs, dict) else None


def _trigger_outputs(scope: Scope) -> Value:
    return scope.trigger.get("outputs")


_SCOPE_FUNCTIONS: dict[str, Callable[..., Value]] = {
    "pipeline": _pipeline,
    "activity": _activity,
    "item": _item,
    "variables": _variables,
    "dataset": _dataset,
    "linkedservice": _linked_service,
    "trigger": _trigger,
    "triggerbody": _trigger_body,
    "triggeroutputs": _trigger_outputs,
}
