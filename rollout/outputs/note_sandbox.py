"""The Jinja sandbox of the note's template: a template may compute, never escape, hang or exhaust memory.

The project manager may replace the note's template with any DOCX; whatever its tags do, rendering
ends quickly with the note or with one Italian line naming the problem (``TemplateProblem``):

- Jinja's immutable sandbox (no private attributes, no mutation of lists and dicts), without a
  loader: ``{% include %}``, ``{% extends %}`` and ``{% import %}`` are refused when the template
  is compiled, before any note is rendered;
- every value a template builds is bounded: ``*``, ``**``, ``+`` and ``%`` are intercepted and
  refused when their result would exceed ``MAX_TEXT`` characters or items (or ``MAX_BITS`` bits
  for a whole number), and so are ``~``, the filters that can grow a text (``center``,
  ``indent``, ``replace``, ``join``, ``format``, ``batch``…) and the string methods that can
  (``ljust``, ``zfill``, ``format``…); ``range`` gives at most ``MAX_RANGE`` numbers;
- the output of a part of the document is bounded (``MAX_OUTPUT`` characters);
- calls nest at most ``MAX_DEPTH`` deep (a macro that calls itself), and every loop step, call,
  attribute and operator checks the note's time budget (``budget``): nothing can run longer.
"""

from __future__ import annotations

import functools
import inspect
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from jinja2.visitor import NodeTransformer
from markupsafe import Markup

from rollout.italian import number

MAX_TEXT = 1_000_000  # characters (or items) of one value a template builds
MAX_OUTPUT = 10_000_000  # characters of one rendered part (a note's document.xml is about 10,000)
MAX_BITS = 14_000  # a whole number stays printable (Python prints at most 4,300 digits)
MAX_RANGE = 100_000
MAX_WIDTH = 10_000  # a width or precision in a %-format
MAX_DEPTH = 100  # nested calls (macros, loop(), functions)
NOTE_SECONDS = 5.0  # one note (all its parts); the default template takes a few milliseconds

_FORBIDDEN = {
    nodes.Include: "{% include %}",
    nodes.Extends: "{% extends %}",
    nodes.Import: "{% import %}",
    nodes.FromImport: "{% from … import %}",
}
# String methods whose result can be much larger than the text they are called on.
_GROWING_METHODS = frozenset(
    {"center", "ljust", "rjust", "zfill", "expandtabs", "format", "format_map", "join", "replace", "translate",
     "maketrans"}
)  # fmt: skip
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?")


class TemplateProblem(jinja2.TemplateError):
    """What is wrong with a template, in Italian (one line, without the template's name)."""


def _size(value: object) -> int:
    return len(value) if isinstance(value, str | list | tuple | dict | set | frozenset) else 0


def _too_long(what: str, size: int) -> TemplateProblem:
    return TemplateProblem(
        f"{what} produrrebbe un testo o un elenco di {number(size)} elementi (al massimo {number(MAX_TEXT)})"
    )


def _check_percent(fmt: str) -> None:
    """A %-format whose widths or precisions could make a huge text is refused before formatting."""
    for width, precision in _PERCENT_SPEC.findall(fmt):
        for spec in (width, precision):
            if spec == "*" or (spec and int(spec) > MAX_WIDTH):
                raise TemplateProblem(f"un formato «%» chiede una larghezza oltre {number(MAX_WIDTH)} caratteri")


class NoteSandbox(ImmutableSandboxedEnvironment):
    """The environment every note's template is compiled and rendered in (see the module's text).

    Compiled parts are kept by source: docxtpl compiles every part of every note again, and the
    parts are the same for all the notes. ``clock`` is injectable (tests)."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, *, seconds: float = NOTE_SECONDS, clock: Callable[[], float] = time.monotonic, **options):
        super().__init__(undefined=jinja2.StrictUndefined, autoescape=True, **options)
        self.seconds, self.clock = seconds, clock
        self._state = threading.local()
        self._compiled: dict[str, jinja2.Template] = {}
        self._lock = threading.Lock()
        self.globals["range"] = self._range
        self.globals.pop("lipsum", None)  # lipsum(n) writes n paragraphs
        self.filters = {name: _guarded_filter(self, name, f) for name, f in self.filters.items()}

    # -- the budget of one note --------------------------------------------------------------------------

    @contextmanager
    def budget(self) -> Iterator[None]:
        """Render one note within ``seconds`` (every part of it)."""
        self._state.deadline = self.clock() + self.seconds
        self._state.depth = 0
        try:
            yield
        finally:
            self._state.deadline = None

    def tick(self) -> None:
        deadline = getattr(self._state, "deadline", None)
        if deadline is not None and self.clock() > deadline:
            seconds = f"{self.seconds:g}".replace(".", ",")
            raise TemplateProblem(f"una nota richiede più di {seconds} secondi (cicli troppo lunghi o annidati?)")

    # -- compiling -------------------------------------------------------------------------------------------

    def from_string(self, source, globals=None, template_class=None):  # type: ignore[override]
        if globals or template_class or not isinstance(source, str):
            raise TypeError("NoteSandbox compiles template text only")
        with self._lock:
            template = self._compiled.get(source)
        if template is None:
            tree = self.parse(source)
            for kind, tag in _FORBIDDEN.items():
                if next(tree.find_all(kind), None) is not None:
                    raise TemplateProblem(
                        f"{tag} non è ammesso (un modello della nota è un solo documento, senza altri modelli)"
                    )
            template = super().from_string(_Guard().visit(tree))
            with self._lock:
                self._compiled[source] = template
        return template

    # -- what a template may do ------------------------------------------------------------------------------

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if isinstance(obj, str) and attr in _GROWING_METHODS:
            return False
        return super().is_safe_attribute(obj, attr, value)

    def wrap_str_format(self, value: Any) -> None:
        """No ``str.format``: a width in its format (``{:>999999999}``) makes any text (refused by
        ``is_safe_attribute`` instead of being wrapped by the sandbox)."""
        return None

    def getattr(self, obj: Any, attribute: str) -> Any:
        self.tick()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        self.tick()
        return super().getitem(obj, argument)

    def call(__self, __context, __obj, *args, **kwargs):  # Jinja's own signature (names that cannot clash)
        __self.tick()
        state = __self._state
        state.depth = getattr(state, "depth", 0) + 1
        try:
            if state.depth > MAX_DEPTH:
                raise TemplateProblem(
                    f"una macro o un ciclo richiama se stesso più di {MAX_DEPTH} volte (una ricorsione senza fine?)"
                )
            return super().call(__context, __obj, *args, **kwargs)
        finally:
            state.depth -= 1

    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any) -> Any:
        self.tick()
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(times, int) and len(seq) * times > MAX_TEXT:
                    raise _too_long("«*»", len(seq) * times)
            if _whole(left) and _whole(right) and left.bit_length() + right.bit_length() > MAX_BITS:
                raise TemplateProblem(f"«*» produrrebbe un numero oltre {number(MAX_BITS)} bit")
        elif operator == "**":
            if _whole(left) and _whole(right) and right > 0 and abs(left) > 1 and left.bit_length() * right > MAX_BITS:
                raise TemplateProblem(f"«**» produrrebbe un numero oltre {number(MAX_BITS)} bit")
        elif operator == "+" and _size(left) + _size(right) > MAX_TEXT:
            raise _too_long("«+»", _size(left) + _size(right))
        elif operator == "%" and isinstance(left, str):
            _check_percent(left)
        return super().call_binop(context, operator, left, right)

    def _range(self, *args: int) -> range:
        numbers = range(*args)
        if len(numbers) > MAX_RANGE:
            raise TemplateProblem(f"range() darebbe {number(len(numbers))} numeri (al massimo {number(MAX_RANGE)})")
        return numbers

    def guard_iter(self, iterable: Iterable[Any]) -> Iterator[Any]:
        """Every loop of a template goes through here: each step checks the time budget."""
        for item in iterable:
            self.tick()
            yield item

    def guard_concat(self, *parts: Any) -> str:
        """``a ~ b``, bounded."""
        texts = [p if hasattr(p, "__html__") else str(p) for p in parts]
        total = sum(len(t) for t in texts)
        if total > MAX_TEXT:
            raise _too_long("«~»", total)
        if any(hasattr(t, "__html__") for t in texts):
            return Markup("").join(texts)
        return "".join(texts)

    def concat(self, parts: Iterable[str]) -> str:  # type: ignore[override]
        """The output of a template, a block or a macro, bounded (Jinja joins every output with this)."""
        collected, total = [], 0
        for i, part in enumerate(parts):
            total += len(part)
            if total > MAX_OUTPUT:
                raise TemplateProblem(f"il testo prodotto supera {number(MAX_OUTPUT)} caratteri")
            if not i % 256:
                self.tick()
            collected.append(part)
        return "".join(collected)


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class _Guard(NodeTransformer):
    """Rewrites a parsed template: every loop's iterable through ``guard_iter``, every ``~`` through
    ``guard_concat`` (both reached as attributes of the environment, like Jinja's own helpers)."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        node = self.generic_visit(node)
        node.iter = nodes.Call(nodes.EnvironmentAttribute("guard_iter"), [node.iter], [], None, None)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        node = self.generic_visit(node)
        return nodes.Call(nodes.EnvironmentAttribute("guard_concat"), list(node.nodes), [], None, None)


# -- filters -------------------------------------------------------------------------------------------------


def _growth(name: str, params: dict[str, Any]) -> int:
    """The largest size the filter ``name`` could produce with these arguments."""
    if name == "center":
        return max(int(params["width"]), len(str(params["value"])))
    if name == "indent":
        text, width = str(params["s"]), params["width"]
        return len(text) + (text.count("\n") + 1) * (len(width) if isinstance(width, str) else max(int(width), 0))
    if name == "replace":
        text, old, new, count = str(params["s"]), str(params["old"]), str(params["new"]), params["count"]
        hits = len(text) + 1 if old == "" else text.count(old)
        hits = min(hits, count) if isinstance(count, int) and count >= 0 else hits
        return len(text) + hits * max(len(new) - len(old), 0)
    if name == "wordwrap":
        text, width, wrap = str(params["s"]), max(int(params["width"]), 1), params["wrapstring"]
        return len(text) + (len(text) // width + text.count("\n") + 1) * (len(wrap) if wrap else 1)
    if name == "batch":
        return len(params["value"]) + max(int(params["linecount"]), 0)
    if name == "slice":
        return len(params["value"]) + max(int(params["slices"]), 0)
    if name == "join":
        items = params["value"]
        return sum(_size(i) or len(str(i)) for i in items) + len(str(params["d"])) * len(items)
    if name == "sum":
        return sum(_size(i) for i in params["iterable"])
    if name == "format":
        _check_percent(str(params["value"]))
    return 0


_GROWING_FILTERS = frozenset({"center", "indent", "replace", "wordwrap", "batch", "slice", "join", "sum", "format"})
_ITERABLE = {"batch": "value", "slice": "value", "join": "value", "sum": "iterable"}  # materialised to be measured


def _signature(func: Callable[..., Any], passes: int) -> inspect.Signature:
    """The filter's own parameters, without the context or environment Jinja passes first (a filter
    made with Jinja's ``async_variant`` gets one even when its own function has none)."""
    signature = inspect.signature(func)
    params = list(signature.parameters.values())
    if passes and params and params[0].name in ("eval_ctx", "environment", "context"):
        params = params[1:]
    return signature.replace(parameters=params)


def _guarded_filter(env: NoteSandbox, name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` with the time budget checked, a size bound before (filters that can grow a text)
    and after (every filter), and any failure turned into one line naming the filter."""
    passes = 1 if getattr(func, "jinja_pass_arg", None) is not None else 0  # context or environment first
    signature = _signature(func, passes) if name in _GROWING_FILTERS else None

    @functools.wraps(func)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        env.tick()
        try:
            if signature is not None:
                bound = signature.bind(*args[passes:], **kwargs)
                bound.apply_defaults()
                if name in _ITERABLE:
                    bound.arguments[_ITERABLE[name]] = list(bound.arguments[_ITERABLE[name]])
                size = _growth(name, bound.arguments)
                if size > MAX_TEXT:
                    raise _too_long(f"il filtro «{name}»", size)
                args, kwargs = (*args[:passes], *bound.args), bound.kwargs
            result = func(*args, **kwargs)
        except (TemplateProblem, jinja2.UndefinedError, SecurityError):
            raise
        except Exception as err:  # noqa: BLE001 -- any failure of a filter is the template's problem
            raise TemplateProblem(
                f"il filtro «{name}» non si può applicare a questo valore con questi argomenti ({_brief(err)})"
            ) from None
        if _size(result) > MAX_TEXT:
            raise _too_long(f"il filtro «{name}»", _size(result))
        return result

    return guarded


def _brief(err: BaseException) -> str:
    text = " ".join(str(err).split())[:120]
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


def describe(err: BaseException) -> str:
    """The Italian words for what went wrong while a template was rendered (any exception)."""
    if isinstance(err, TemplateProblem):
        return str(err.message)
    if isinstance(err, ZeroDivisionError):
        return "contiene una divisione per zero"
    if isinstance(err, RecursionError):
        return f"una macro o un ciclo richiama se stesso troppe volte ({_brief(err)})"
    if isinstance(err, MemoryError):
        return "produce un testo troppo grande per la memoria"
    if isinstance(err, OverflowError):
        return f"produce un numero troppo grande ({_brief(err)})"
    return f"un'espressione del modello non si può calcolare ({_brief(err)})"
