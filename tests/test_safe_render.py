"""Text from the inputs is never rendered as HTML or live markdown: it shows literally."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT
from ui.format import md_escape

IMG = "<img src=x onerror=alert(1)>"
LINK = "[clic](javascript:alert(1))"
HOSTILE = (IMG, LINK, "<script>alert(1)</script>", ":red[rosso]", "$x^2$", "**Anna**", "`codice`", "~~barrato~~")
FILE_NAME = "elenco [x](javascript:alert(2)).csv"
CAMPAIGN = "Campagna <b>2023</b> [clic](javascript:alert(3)) :material/home:"
MARKDOWN_ELEMENTS = ("markdown", "caption", "error", "warning", "info", "success", "title", "header", "subheader")


def write_campaign(folder: Path) -> Path:
    (folder / FILE_NAME).write_text(
        "Comune,Provincia,Referente,Email referente\n"
        f'"{IMG}",SA,"{LINK}",x@comune.it\n'
        f'"{LINK}",SA,<script>alert(1)</script>,\n'
        "Montecorvino Rovella,SA,**Anna**,\n"
        "Montecorvino Rovella,SA,**Anna**,\n",  # a duplicate: the list's notes are shown too
        encoding="utf-8",
    )
    (folder / "risposte.csv").write_text(
        "Informazioni cronologiche,Comune,Nome e cognome,Permessi\n"
        f'1/9/2023 10.00.00,Montecorvino Rovella,"{IMG}","Editor Sito Web, :red[rosso]"\n'
        f"2/9/2023 10.00.00,$x^2$,`codice`,Editor Newsletter\n"
        f'3/9/2023 10.00.00,"{LINK}",~~barrato~~,"Altro: {IMG}"\n',
        encoding="utf-8",
    )
    config = folder / "rollout.toml"
    config.write_text(
        f'campaign = "{CAMPAIGN}"\ndeadline = 2023-09-13\nas_of = 2023-09-29\n'
        f'comuni = "{FILE_NAME}"\nsubmissions = "risposte.csv"\n',
        encoding="utf-8",
    )
    return config


def markdown_texts(at: AppTest) -> list[str]:
    """The markdown source of every element that renders markdown, and every label."""
    texts = [e.value for kind in MARKDOWN_ELEMENTS for e in at.get(kind)]
    texts += [n.label for n in at if isinstance(getattr(n, "label", None), str)]
    return texts


def assert_inert(at: AppTest) -> str:
    """No hostile text, raw, in anything rendered as markdown; returns all of it for more checks."""
    assert not at.exception
    texts = markdown_texts(at)
    raw = [(h, t) for t in texts for h in (*HOSTILE, "<b>", "](javascript") if h in t]
    # The app's own Material icons (issue 12) are fine; the one the campaign title smuggles is not.
    raw += [(":material/home:", t) for t in texts if re.search(r"(?<!\\):material/home:", t)]
    assert raw == []
    return "\n".join(texts)


@pytest.fixture
def campaign(tmp_path, monkeypatch):
    monkeypatch.setenv("ROLLOUT_CONFIG", str(write_campaign(tmp_path)))


def test_md_escape_makes_every_construct_literal():
    assert md_escape(IMG) == r"\<img src=x onerror=alert\(1\)\>"
    assert md_escape(LINK) == "\\[clic\\]\\(javascript\u2060\\:alert\\(1\\)\\)"
    assert md_escape(":red[rosso] $x$ **b** `c` ~~d~~ # e") == (
        "\u2060\\:red\\[rosso\\] \\$x\\$ \\*\\*b\\*\\* \\`c\\` \\~\\~d\\~\\~ \\# e"
    )


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        # GitHub-flavoured markdown autolinks these even when every character is escaped: an
        # invisible word joiner (U+2060) before "@" and ":" and after "www" stops it.
        ("www.evil.example", "www\u2060\\.evil\\.example"),
        ("vai su WWW.evil.example/x", "vai su WWW\u2060\\.evil\\.example/x"),
        ("https://evil.example/c", "https\u2060\\://evil\\.example/c"),
        ("a@evil.example", "a\u2060@evil\\.example"),
        ("mailto:b@x.it", "mailto\u2060\\:b\u2060@x\\.it"),
        ("elenco 2023.csv", "elenco 2023\\.csv"),  # no joiner where nothing could become a link
    ],
)
def test_md_escape_stops_autolinks(text, escaped):
    assert md_escape(text) == escaped
    assert md_escape(text).replace("\u2060", "").replace("\\", "") == text.replace("\\", "")


def test_overview_shows_hostile_names_literally(campaign):
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run()
    shown = assert_inert(at)
    assert md_escape(CAMPAIGN) in at.header[0].value
    assert f"**{md_escape(CAMPAIGN)}**" in shown  # the sidebar's title
    assert f"Comuni: {md_escape(FILE_NAME)}" in shown
    todo = next(m.value for m in at.markdown if "comuni mancanti" in m.value)
    assert md_escape(IMG) in todo and md_escape(LINK) in todo


def test_comuni_page_and_drill_down(campaign):
    at = AppTest.from_file(str(ROOT / "pages" / "comuni.py"), default_timeout=60).run()
    assert_inert(at)
    assert IMG in at.dataframe[0].value["Comune"].tolist()  # tables show the text as it is
    box = at.selectbox(key="detail_comune")
    box.select(next(o for o in box.options if o.startswith("<img"))).run()
    caption = next(c.value for c in at.caption if c.value.startswith("Stato:"))
    assert f"Referente: {md_escape(LINK)}" in caption
    assert_inert(at)


@pytest.mark.parametrize("page", ["copertura", "promemoria", "qualita"])
def test_other_pages(campaign, page):
    at = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=60).run()
    assert_inert(at)
    if page == "qualita":
        assert [i.value for i in at.info] == [
            md_escape("1 riga duplicata nell'elenco dei comuni, conteggiata una volta sola: riga 5 (= riga 4).")
        ]
        unknown = at.dataframe[3].value
        assert unknown["text"].tolist() == [":red[rosso]", f"Altro: {IMG}"]


def test_error_messages_quoting_the_inputs_are_escaped(tmp_path, monkeypatch):
    config = write_campaign(tmp_path)
    (tmp_path / "risposte.csv").write_text(f'"{IMG}","{LINK}"\n1,2\n', encoding="utf-8")
    monkeypatch.setenv("ROLLOUT_CONFIG", str(config))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run()
    assert_inert(at)
    assert md_escape(f"Colonne trovate nella riga 1: '{IMG}', '{LINK}'.") in at.error[0].value
