"""Go text/template, as Prometheus expands alert labels and annotations and Alertmanager its fields.

`problem(text)` says why a string is not a template Prometheus can expand (unbalanced actions,
an unknown function or variable, a character the template lexer rejects) -- the checks
`promtool check rules` makes when it parses rule templates, plus the fields of the data an alert
template can read. `literal(text)` makes text that must stay as written (a service label, a
runbook URL) safe to put where it will be expanded: every `{{` becomes an action printing `{{`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# text/template's builtins and Prometheus' template functions (the same set in 2.42 and 3.5,
# checked against both promtools).
FUNCTIONS = frozenset({
    "and", "call", "html", "index", "slice", "js", "len", "not", "or", "print", "printf", "println", "urlquery",
    "eq", "ge", "gt", "le", "lt", "ne",
    "query", "first", "label", "value", "strvalue", "args", "reReplaceAll", "safeHtml", "match", "title",
    "toUpper", "toLower", "graphLink", "tableLink", "sortByLabel", "humanize", "humanize1024",
    "humanizeDuration", "humanizePercentage", "humanizeTimestamp", "toTime", "pathPrefix", "externalURL",
    "parseDuration", "stripPort", "stripDomain",
})
# What an alert template can read: the variables Prometheus defines and the fields of its data.
VARIABLES = frozenset({"$", "$labels", "$externalLabels", "$externalURL", "$value"})
FIELDS = frozenset({"Labels", "ExternalLabels", "ExternalURL", "Value"})
_BLOCKS = ("if", "with", "range")
_UNSUPPORTED = ("define", "template", "block")


class TemplateError(ValueError):
    """Why a string is not a template Prometheus can expand."""


def literal(text: str) -> str:
    """`text` as a template that expands to exactly `text`."""
    return text.replace("{{", '{{ "{{" }}') if "{{" in text else text


def problem(text: str) -> str | None:
    """None when `text` parses as an alert template; else the reason, naming the action."""
    if "{{" not in text:
        return None
    try:
        _Checker().run(text)
    except TemplateError as error:
        return str(error)
    return None


# --- lexing --------------------------------------------------------------------------------------

_SPACE = " \t\r\n"
_TOKEN = re.compile(
    r"""
    (?P<space>[ \t\r\n]+)
  | (?P<declare>:=)
  | (?P<assign>=)
  | (?P<pipe>\|)
  | (?P<open>\()
  | (?P<close>\))
  | (?P<comma>,)
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<raw>`[^`]*`)
  | (?P<char>'(?:[^'\\\n]|\\.)+')
  | (?P<variable>\$[A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)
  | (?P<field>(?:\.[A-Za-z0-9_]+)+)
  | (?P<dot>\.)
  | (?P<number>[+-]?(?:0[xXoObB][0-9a-fA-F_]+|[0-9][0-9_]*(?:\.[0-9_]*)?(?:[eEpP][+-]?[0-9]+)?|\.[0-9]+)i?)
  | (?P<identifier>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    kind: str
    text: str


def _actions(text: str) -> list[str]:
    """The inside of every action, comments dropped; TemplateError for an unclosed one."""
    found: list[str] = []
    position = 0
    while True:
        start = text.find("{{", position)
        if start < 0:
            return found
        inner_start = start + 2
        if text.startswith("-", inner_start) and text[inner_start + 1 : inner_start + 2] in tuple(_SPACE):
            inner_start += 2
        if text.startswith("/*", inner_start):  # a comment follows the delimiter directly, as Go's lexer wants
            comment_end = text.find("*/", inner_start)
            if comment_end < 0:
                raise TemplateError("unclosed comment {{/* ... */}}")
            close = _close_after(text, comment_end + 2)
            if close is None:
                raise TemplateError("a comment must end right before }}")
            position = close
            continue
        end = _action_end(text, inner_start)
        inner = text[inner_start:end]
        if inner.endswith(tuple(f"{s}-" for s in _SPACE)):
            inner = inner[:-2]
        found.append(inner)
        position = end + 2


def _close_after(text: str, index: int) -> int | None:
    """Index after the `}}` (with an optional ` -` trim marker) that follows `index` directly."""
    rest = text[index:]
    stripped = rest.lstrip(_SPACE)
    if stripped.startswith("-}}") and len(stripped) < len(rest):
        return index + (len(rest) - len(stripped)) + 3
    if rest.startswith("}}"):
        return index + 2
    return None


def _action_end(text: str, start: int) -> int:
    """Index of the `}}` closing the action that starts at `start` (strings may hold `}}`)."""
    index = start
    while index < len(text):
        char = text[index]
        if text.startswith("}}", index):
            return index
        if char in "\"'":
            closing = index + 1
            while closing < len(text) and text[closing] != char:
                if text[closing] == "\n":
                    raise TemplateError("unterminated quoted string in action")
                closing += 2 if text[closing] == "\\" else 1
            index = closing + 1
            continue
        if char == "`":
            closing = text.find("`", index + 1)
            if closing < 0:
                raise TemplateError("unterminated raw string in action")
            index = closing + 1
            continue
        index += 1
    raise TemplateError("unclosed action: a {{ without its }}")


def _tokens(action: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while position < len(action):
        match = _TOKEN.match(action, position)
        if match is None or match.end() == position:
            raise TemplateError(f"unexpected {action[position]!r} in {{{{ {action.strip()} }}}}")
        kind = match.lastgroup or ""
        if kind != "space":
            tokens.append(Token(kind, match.group()))
        position = match.end()
    return tokens


# --- parsing -------------------------------------------------------------------------------------


@dataclass
class _Checker:
    blocks: list[str] = field(default_factory=list)  # open if/with/range, innermost last
    variables: set[str] = field(default_factory=lambda: set(VARIABLES))

    def run(self, text: str) -> None:
        for action in _actions(text):
            self.action(action)
        if self.blocks:
            raise TemplateError(f"{{{{ {self.blocks[-1]} }}}} is never closed with {{{{ end }}}}")

    @property
    def dot_is_root(self) -> bool:
        return not any(block in ("with", "range") for block in self.blocks)

    def action(self, action: str) -> None:
        shown = f"{{{{ {action.strip()} }}}}"
        tokens = _tokens(action)
        if not tokens:
            raise TemplateError(f"missing value for command in {shown}")
        head = tokens[0].text if tokens[0].kind == "identifier" else ""
        if head in _UNSUPPORTED:
            raise TemplateError(f"{shown}: {head} is not available in a one-line alert template")
        if head in _BLOCKS:
            self.pipeline(tokens[1:], shown, declare=True)
            self.blocks.append(head)
        elif head == "else":
            if not self.blocks:
                raise TemplateError(f"unexpected {shown} outside if, with or range")
            if len(tokens) > 1:
                if tokens[1].text not in ("if", "with"):
                    raise TemplateError(f"unexpected {tokens[1].text!r} after else in {shown}")
                self.pipeline(tokens[2:], shown, declare=True)
        elif head == "end":
            if len(tokens) > 1:
                raise TemplateError(f"unexpected {tokens[1].text!r} in {shown}")
            if not self.blocks:
                raise TemplateError(f"unexpected {shown}: nothing is open to end")
            self.blocks.pop()
        elif head in ("break", "continue"):
            if "range" not in self.blocks or len(tokens) > 1:
                raise TemplateError(f"{shown} belongs inside {{{{ range }}}}")
        else:
            self.pipeline(tokens, shown, declare=True)

    def pipeline(self, tokens: list[Token], shown: str, *, declare: bool) -> None:
        if not tokens:
            raise TemplateError(f"missing value in {shown}")
        assigns = [i for i, t in enumerate(tokens) if t.kind in ("declare", "assign")]
        if assigns and declare:
            split = assigns[0]
            names = [t for t in tokens[:split] if t.kind != "comma"]
            if not names or len(names) > 2 or any(t.kind != "variable" or "." in t.text for t in names):
                raise TemplateError(f"only variables can be declared in {shown}")
            for name in names:
                if tokens[split].kind == "assign" and name.text not in self.variables:
                    raise TemplateError(f"undefined variable {name.text!r} in {shown}")
                self.variables.add(name.text)
            tokens = tokens[split + 1 :]
            if not tokens:
                raise TemplateError(f"missing value to declare in {shown}")
        commands: list[list[Token]] = [[]]
        depth = 0
        for token in tokens:
            if token.kind == "open":
                depth += 1
            elif token.kind == "close":
                depth -= 1
                if depth < 0:
                    raise TemplateError(f"unexpected ) in {shown}")
            if token.kind == "pipe" and depth == 0:
                commands.append([])
            else:
                commands[-1].append(token)
        if depth:
            raise TemplateError(f"unclosed ( in {shown}")
        for index, command in enumerate(commands):
            if not command:
                raise TemplateError(f"missing command around | in {shown}")
            self.command(command, shown, piped=index > 0)

    def command(self, tokens: list[Token], shown: str, *, piped: bool) -> None:
        first = tokens[0]
        if piped and first.kind not in ("identifier", "field", "variable"):
            raise TemplateError(f"{first.text} cannot take piped input in {shown}")
        if first.kind == "identifier" and first.text in ("nil",) and len(tokens) == 1:
            raise TemplateError(f"nil is not a command in {shown}")
        index = 0
        while index < len(tokens):
            token = tokens[index]
            if token.kind == "open":
                depth, end = 1, index + 1
                while end < len(tokens) and depth:
                    depth += {"open": 1, "close": -1}.get(tokens[end].kind, 0)
                    end += 1
                self.pipeline(tokens[index + 1 : end - 1], shown, declare=False)
                index = end
                continue
            self.operand(token, shown)
            index += 1

    def operand(self, token: Token, shown: str) -> None:
        if token.kind == "identifier":
            name = token.text.split(".", 1)[0]
            if name in ("true", "false", "nil"):
                return
            if name in _BLOCKS or name in ("else", "end", "break", "continue", *_UNSUPPORTED):
                raise TemplateError(f"unexpected {name!r} in {shown}")
            if name not in FUNCTIONS:
                raise TemplateError(f'function "{name}" not defined in {shown}')
        elif token.kind == "variable":
            name = token.text.split(".", 1)[0]
            if name not in self.variables:
                raise TemplateError(f'undefined variable "{name}" in {shown}')
        elif token.kind == "field":
            name = token.text.split(".")[1]
            if self.dot_is_root and name not in FIELDS:
                raise TemplateError(
                    f"an alert template has no field .{name} in {shown} (it has .{', .'.join(sorted(FIELDS))})"
                )
        elif token.kind in ("declare", "assign", "comma", "close"):
            raise TemplateError(f"unexpected {token.text!r} in {shown}")
