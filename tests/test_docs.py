"""The docs cannot drift from the code (as sqlite-utils' tests/test_docs.py).

- every configuration key the code accepts (the public constants of ``rollout.config``,
  ``rollout.access`` and the secrets' readers, which the parsers check every key against) is in a
  table of docs/configuration.md (as code, ``key``), and every key in those tables is one the code
  accepts;
- every command and flag of ``rollout.cli.build_parser()`` is in docs/command-line.md, and
  nothing else is;
- every Markdown link of the README and docs/ points to a file and heading that exist, and so
  does every «vedi …» reference in the docs, in the code's messages and in the example files.
"""

from __future__ import annotations

import argparse
import ast
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import ROOT
from data_sources import gsecrets
from rollout import access, cli, config
from rollout.reminder_texts import REASONS
from rollout.reminders import imap_settings, mail_settings

DOCS = ROOT / "docs"
README = ROOT / "README.md"
CONFIG_PAGE = DOCS / "configuration.md"
CLI_PAGE = DOCS / "command-line.md"
GUIDE = DOCS / "guida.md"
MARKDOWN = [README, *sorted(DOCS.glob("*.md"))]
# Where the code's messages and the example files refer to the docs.
CODE = [ROOT / "dashboard.py", ROOT / "server.py"] + [
    p for d in ("rollout", "ui", "data_sources", "pages", "tools", "bench") for p in sorted((ROOT / d).rglob("*.py"))
]
EXAMPLES = [ROOT / ".streamlit" / "config.toml", ROOT / ".streamlit" / "secrets.toml.example", *sorted((ROOT / "data").glob("*/rollout.toml")), ROOT / "bench" / "rollout.toml"]  # fmt: skip

FENCE = re.compile(r"^\s*(```|~~~)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
CODE_SPAN = re.compile(r"`([^`]+)`")


# --- reading Markdown -------------------------------------------------------------------------


def prose_lines(text: str) -> list[str]:
    """The lines outside fenced code blocks (a fence's lines become empty, so numbers stay)."""
    out, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
            out.append("")
        else:
            out.append("" if fenced else line)
    return out


def headings(path: Path) -> list[tuple[int, str]]:
    """(level, text) of every heading, outside code blocks."""
    found = [HEADING.match(line) for line in prose_lines(path.read_text(encoding="utf-8"))]
    return [(len(m[1]), m[2]) for m in found if m]


def plain(heading: str) -> str:
    """A heading as a reference quotes it: without the code marks."""
    return heading.replace("`", "").strip()


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    out = set()
    for _, text in headings(path):
        base = slug(text)
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.add(base if n == 0 else f"{base}-{n}")
    return out


def tables(path: Path, first: tuple[str, ...] = ("key", "variable", "flag")) -> dict[tuple[str, str], set[str]]:
    """(level-2 heading, level-3 heading) -> the code spans in the first column of the tables under it
    whose first column is headed by one of ``first``."""
    out: dict[tuple[str, str], set[str]] = {}
    h2 = h3 = ""
    in_table = wanted = False
    for line in prose_lines(path.read_text(encoding="utf-8")):
        if m := HEADING.match(line):
            if len(m[1]) <= 2:
                h2, h3 = m[2], ""
            elif len(m[1]) == 3:
                h3 = m[2]
            in_table = False
            continue
        if not line.startswith("|"):
            in_table = False
            continue
        cells = line.split("|")
        if not in_table:  # the header row
            in_table, wanted = True, cells[1].strip() in first
            continue
        if not wanted or set(cells[1].strip()) <= {"-", ":"}:
            continue
        out.setdefault((h2, h3), set()).update(CODE_SPAN.findall(cells[1]))
    return out


def section(found: dict[tuple[str, str], set[str]], h2: str, marker: str) -> set[str]:
    """The keys of the one section under ``h2`` whose heading contains ``marker``."""
    matches = [keys for (two, three), keys in found.items() if two == h2 and marker in three]
    assert len(matches) == 1, f"{CONFIG_PAGE.name}: {len(matches)} sections «{marker}» under «{h2}»"
    return matches[0]


# --- configuration keys -----------------------------------------------------------------------


ROLLOUT_TOML = "`rollout.toml`"
SECRETS = "`.streamlit/secrets.toml`"
# (part of the page, section heading, the keys the code accepts or reads, whether the docs may list more)
CONFIG_SECTIONS: list[tuple[str, str, Callable[[], set[str]], bool]] = [
    (ROLLOUT_TOML, "Top-level keys", lambda: set(config.TOP_KEYS), False),
    (ROLLOUT_TOML, "Source tables", lambda: set(config.SOURCE_KEYS), False),
    (ROLLOUT_TOML, "`[columns.comuni]`", lambda: set(config.COLUMN_KEYS["comuni"]), False),
    (ROLLOUT_TOML, "`[columns.submissions]`", lambda: set(config.COLUMN_KEYS["submissions"]), False),
    (ROLLOUT_TOML, "`[columns.contacts]`", lambda: set(config.COLUMN_KEYS["contacts"]), False),
    (ROLLOUT_TOML, "`[columns.submissions.permissions]`", lambda: set(config.PERMISSION_COLUMN_KEYS), False),
    (ROLLOUT_TOML, "`[cache]`", lambda: set(config.CACHE_KEYS), False),
    (ROLLOUT_TOML, "`[reminders]`", lambda: set(config.REMINDERS_KEYS), False),
    *[(ROLLOUT_TOML, f"`[reminders.{r}]`", lambda: set(config.TEMPLATE_KEYS), False) for r in REASONS],
    (ROLLOUT_TOML, "`[accounts]`", lambda: set(config.ACCOUNTS_KEYS), False),
    (ROLLOUT_TOML, "`[access]`", lambda: set(config.ACCESS_KEYS), False),
    (ROLLOUT_TOML, "`[weekly]`", lambda: set(config.WEEKLY_KEYS), False),
    # The other fields of a service account's JSON key are copied as they are: the docs name a few more.
    (SECRETS, "`[connections.gsheets]`", lambda: set(gsecrets._NOT_KEY_FIELDS) | set(gsecrets._REQUIRED), True),
    (SECRETS, "`[smtp]`", lambda: set(mail_settings.SMTP_KEYS), False),
    (SECRETS, "`[imap]`", lambda: set(imap_settings.IMAP_KEYS), False),
    (SECRETS, "`[access]`", lambda: set(access.ACCESS_SECRET_KEYS), False),
    (SECRETS, "`[auth]`", lambda: {*access.AUTH_KEYS, *access.PROVIDER_KEYS, *access.PROVIDER_OPTIONAL_KEYS}, False),
]  # fmt: skip


@pytest.mark.parametrize(("part", "marker", "code_keys", "open_ended"), CONFIG_SECTIONS, ids=[f"{p} {m}" for p, m, *_ in CONFIG_SECTIONS])  # fmt: skip
def test_every_configuration_key_is_in_the_reference(part, marker, code_keys, open_ended):
    documented = section(tables(CONFIG_PAGE), part, marker)
    expected = code_keys()
    assert sorted(expected - documented) == [], f"keys of {marker} missing from {CONFIG_PAGE.name}"
    if not open_ended:
        assert sorted(documented - expected) == [], f"keys of {marker} in {CONFIG_PAGE.name} that the code ignores"


def test_the_configuration_sections_are_all_checked():
    """A new section of the reference gets a line in CONFIG_SECTIONS (its keys then come from the code)."""
    checked = {(part, marker) for part, marker, *_ in CONFIG_SECTIONS}
    for (part, heading), _ in tables(CONFIG_PAGE).items():
        if part in (ROLLOUT_TOML, SECRETS):
            assert any(p == part and m in heading for p, m in checked), f"unchecked section «{heading}»"


def env_variables() -> set[str]:
    """The environment variables the code reads: string literals ``"ROLLOUT_…"``."""
    return {v for path in CODE for v in re.findall(r"""["'](ROLLOUT_[A-Z_]+)["']""", path.read_text(encoding="utf-8"))}


def test_every_environment_variable_is_in_the_reference():
    assert env_variables() >= {"ROLLOUT_CONFIG", "ROLLOUT_SECRETS"}
    assert tables(CONFIG_PAGE)[("Environment variables", "")] == env_variables()


# --- commands and flags -----------------------------------------------------------------------


def commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """(words after ``python3 -m rollout``, parser) of every command that takes no sub-command."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield path, parser
    for action in subs:
        for name, sub in action.choices.items():
            yield from commands(sub, (*path, name))


def flags(parser: argparse.ArgumentParser) -> set[str]:
    """A parser's long options and positional arguments (not ``--help``)."""
    out = set()
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
            continue
        out |= {o for o in action.option_strings if o.startswith("--")} if action.option_strings else {action.dest}
    return out


def shared_flags() -> set[str]:
    parser = argparse.ArgumentParser()
    cli.add_source_flags(parser)
    return flags(parser)


def cli_sections() -> dict[str, str]:
    """Level-2 heading -> its text, in docs/command-line.md."""
    out, current = {}, ""
    for line in prose_lines(CLI_PAGE.read_text(encoding="utf-8")):
        if (m := HEADING.match(line)) and len(m[1]) <= 2:
            current = m[2]
            out[current] = ""
        elif current:
            out[current] += line + "\n"
    return out


COMMANDS = {" ".join(path): parser for path, parser in commands(cli.build_parser())}


def test_the_command_line_has_the_commands_the_docs_describe():
    assert {"report", "reminders send", "reminders receipts", "accounts notes"} <= COMMANDS.keys()
    prefix = "`python3 -m rollout "
    documented = {h.removeprefix(prefix).strip("`") for h in cli_sections() if h.startswith(prefix)}
    assert sorted(documented) == sorted(COMMANDS)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_flag_of_every_command_is_described(command):
    own = flags(COMMANDS[command])
    shared = shared_flags()
    heading = f"`python3 -m rollout {command}`"
    assert heading in cli_sections(), f"no section {heading} in {CLI_PAGE.name}"
    documented = tables(CLI_PAGE).get((heading, ""), set())
    assert sorted(documented) == sorted(own - shared)
    takes_shared = "[shared flags](#shared-flags)" in cli_sections()[heading]
    assert takes_shared == (shared <= own)


def test_the_shared_flags_are_described():
    assert "--config" in shared_flags()
    assert tables(CLI_PAGE)[("Shared flags", "")] == shared_flags()


# --- links and references ---------------------------------------------------------------------

LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
# A file of the project named in a text, and the heading it points to: «…», "…", or bare words.
REFERENCE = re.compile(
    r"(?P<file>README(?:\.md)?|docs/[\w-]+\.md|(?<=[Vv]edi )la guida)"
    r"(?:,\s*(?:sezione\s+)?(?:«(?P<quoted>[^»]+)»|\"(?P<double>[^\"]+)\"|(?P<bare>[A-Z][\w']*(?:[ \t]+[A-Z][\w']*)*)))?"
)
GUIDE_WORDS = "la guida"


def markdown_links() -> list[tuple[str, str]]:
    """(file, link target) of every relative link in the README and docs/ (code blocks and spans aside)."""
    out = []
    for path in MARKDOWN:
        text = CODE_SPAN.sub("", "\n".join(prose_lines(path.read_text(encoding="utf-8"))))
        out += [(path.relative_to(ROOT).as_posix(), t) for t in LINK.findall(text) if not re.match(r"[a-z]+:", t)]
    return out


def link_problem(source: str, target: str) -> str:
    """Why ``target`` (in the file ``source``) leads nowhere, or ""."""
    file, _, anchor = target.partition("#")
    path = (ROOT / source).parent / file if file else ROOT / source
    if not path.is_file():
        return f"{source}: {target}: no such file"
    if anchor and path.suffix == ".md" and anchor not in anchors(path):
        return f"{source}: {target}: no heading with that anchor in {path.name}"
    return ""


def test_every_link_in_the_docs_leads_somewhere():
    links = markdown_links()
    assert len(links) > 30
    assert [p for s, t in links if (p := link_problem(s, t))] == []


def test_the_guide_has_no_relative_links():
    """The dashboard shows docs/guida.md: a link to a file beside it would lead nowhere in a browser."""
    assert [t for s, t in markdown_links() if s == "docs/guida.md"] == []


def messages(path: Path) -> list[str]:
    """The texts of a Python file that reach people: string literals (adjacent ones joined) and
    f-strings with ``{}`` for their fields."""
    nodes = list(ast.walk(ast.parse(path.read_text(encoding="utf-8"))))
    parts = {id(v) for n in nodes if isinstance(n, ast.JoinedStr) for v in n.values}  # inside an f-string
    out = []
    for node in nodes:
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in parts:
            out.append(node.value)
        elif isinstance(node, ast.JoinedStr):
            out.append("".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values))
    return out


def texts() -> list[tuple[str, str]]:
    """(file, text) of everything whose references are checked."""
    out = [(p.relative_to(ROOT).as_posix(), m) for p in CODE for m in messages(p)]
    out += [(p.relative_to(ROOT).as_posix(), p.read_text(encoding="utf-8")) for p in [*EXAMPLES, *MARKDOWN]]
    return out


def references(text: str) -> list[tuple[str, str]]:
    """(file, heading or "") of every reference to the README, a page of docs/ or the guide."""
    out = []
    for m in REFERENCE.finditer(text):
        file = {GUIDE_WORDS: "docs/guida.md", "README": "README.md"}.get(m["file"], m["file"])
        heading = m["quoted"] or m["double"] or m["bare"] or ""
        out.append((file, re.sub(r"\s+", " ", heading)))
    return out


def reference_problem(file: str, heading: str) -> str:
    path = ROOT / file
    if not path.is_file():
        return f"{file}: no such file"
    if heading and heading not in {plain(h) for _, h in headings(path)}:
        return f"{file}: no heading «{heading}»"
    return ""


def test_every_reference_to_the_docs_leads_somewhere():
    found = [(source, ref) for source, text in texts() for ref in references(text)]
    assert len(found) > 20
    assert [f"{source}: {p}" for source, (file, heading) in found if (p := reference_problem(file, heading))] == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(vedi README, sezione Configurazione).", [("README.md", "Configurazione")]),
        ("(vedi README, Google Sheets).", [("README.md", "Google Sheets")]),
        ("(vedi README).", [("README.md", "")]),
        ('(README, "Sending reminders")', [("README.md", "Sending reminders")]),
        ("(vedi docs/deploying.md,\n«Who gets\nin»)", [("docs/deploying.md", "Who gets in")]),
        ("premi «Ricarica ora» (vedi la guida, «Quando un caricamento non riesce»).", [("docs/guida.md", "Quando un caricamento non riesce")]),
        ("vedi la tabella; vedi form_prefill_field", []),
    ],
)  # fmt: skip
def test_references_are_recognised_in_every_form_the_code_used(text, expected):
    assert references(text) == expected


def test_a_reference_to_a_heading_that_does_not_exist_is_reported():
    assert reference_problem("README.md", "Configurazione") == "README.md: no heading «Configurazione»"
    assert reference_problem("docs/nowhere.md", "") == "docs/nowhere.md: no such file"
    assert reference_problem("docs/deploying.md", "Who gets in") == ""
    assert link_problem("README.md", "docs/guida.md#non-esiste") == (
        "README.md: docs/guida.md#non-esiste: no heading with that anchor in guida.md"
    )


# --- the README -------------------------------------------------------------------------------


def test_the_readme_is_short():
    assert README.stat().st_size <= 15 * 1024


def test_ci_runs_the_readme_test_command_as_written():
    blocks = re.findall(r"```sh\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    run, test = blocks[0].strip(), blocks[1].strip()
    for command in (run, test):  # a virtual environment: the system Python's pip refuses (PEP 668)
        assert command.startswith("python3 -m venv .venv && .venv/bin/pip install -r requirements")
    assert test in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
