"""Headers of the sent mail and of the .eml drafts: any text from a list or the configuration is
literal text on folded lines; addresses are those a server takes (issue 18, section 1)."""

from __future__ import annotations

import datetime as dt
import email
import re
from email import policy
from email.header import decode_header, make_header
from email.utils import parseaddr

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from rollout.reminders.drafts import eml_bytes, usable_address
from rollout.reminders.send import Outcome, build_message

ATTACK = "=?utf-8?q?Avella=0D=0AReply-To:_attacker@evil.example=0D=0A=0D=0AFake_body?="
WHEN = dt.datetime(2023, 9, 20, 10, 0, tzinfo=dt.UTC)
SENT_FIELDS = {"From", "To", "Reply-To", "Subject", "Date", "Message-ID", "Content-Type",
               "Content-Transfer-Encoding", "MIME-Version"}  # fmt: skip
DRAFT_FIELDS = {"From", "To", "Subject", "X-Unsent", "Content-Type", "Content-Transfer-Encoding", "MIME-Version"}


def one_line(text: str) -> str:
    """What a reader must see of a text given on several lines: control characters and line breaks
    as spaces, runs of spaces as one."""
    return " ".join(re.sub("[\x00-\x1f\x7f-\x9f\u2028\u2029]", " ", text).split())


def sent(comune: str, subject: str, sender: str = "Ufficio PNRR <pnrr@azienda.it>", reply_to: str = "") -> bytes:
    item = Outcome("A508", comune, "AV", "segreteria@comune.avella.av.it", "due", "", subject, "Gentile,\nriga\n")
    return build_message(item, sender, "<1.2@azienda.it>", WHEN, reply_to)


def parsed(data: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(data, policy=policy.default)


def display_name(data: bytes, field: str) -> str:
    """A display name decoded as RFC 2047 says (6.2: the space between two encoded words is not text).

    Python's address parser keeps that space (it decodes ``=?utf-8?q?a?= =?utf-8?q?b?=`` as
    «a b» in a display name, «ab» in a Subject), so the phrase is decoded with ``decode_header``:
    everything before the address's ``<``, which an encoded word never holds."""
    raw = email.message_from_bytes(data, policy=policy.compat32)[field].replace("\r\n", "")
    phrase = raw.rpartition(" <")[0]
    return str(make_header(decode_header(phrase)))


def lines(data: bytes) -> list[bytes]:
    return data.split(b"\r\n")


def body(message: email.message.EmailMessage) -> str:
    return message.get_content().replace("\r\n", "\n")


def test_an_encoded_word_in_a_comune_name_stays_literal_text():
    """Before: the name became a Reply-To line, a blank line and a new body on the wire."""
    data = sent(ATTACK, f"Sollecito - Comune di {ATTACK}", reply_to="risposte@azienda.it")
    message = parsed(data)
    assert set(message.keys()) == SENT_FIELDS and len(message.keys()) == len(SENT_FIELDS)
    assert message.get_all("Reply-To") == ["risposte@azienda.it"]
    assert display_name(data, "To") == f"Comune di {ATTACK}"
    assert message["To"].addresses[0].addr_spec == "segreteria@comune.avella.av.it"
    assert message["Subject"] == f"Sollecito - Comune di {ATTACK}"
    assert body(message) == "Gentile,\nriga\n"
    assert b"Fake body" not in data and b"\r\n\r\n" not in data.partition(b"\r\n\r\n")[2]


def test_the_same_name_in_a_draft_stays_literal_text():
    data = eml_bytes("segreteria@comune.avella.av.it", f"Sollecito {ATTACK}", "Gentile,\n", ATTACK,
                     f'"{ATTACK}" <pnrr@azienda.it>')  # fmt: skip
    message = parsed(data)
    assert set(message.keys()) == DRAFT_FIELDS and len(message.keys()) == len(DRAFT_FIELDS)
    assert display_name(data, "To") == f"Comune di {ATTACK}"
    assert display_name(data, "From") == ATTACK
    assert message["Subject"] == f"Sollecito {ATTACK}"
    assert body(message) == "Gentile,\n"


@pytest.mark.parametrize("brk", ["\r\n", "\r", "\n", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"])
def test_no_line_break_splits_a_header(brk):
    name = f"Avella{brk}Bcc: spia@evil.example{brk}{brk}corpo falso"
    for data, fields in ((sent(name, f"Oggetto{brk}X-Spam: si"), SENT_FIELDS - {"Reply-To"}),
                         (eml_bytes("a@comune.it", f"Oggetto{brk}X-Spam: si", "x\n", name), DRAFT_FIELDS - {"From"})):  # fmt: skip
        message = parsed(data)
        assert set(message.keys()) == fields
        assert display_name(data, "To") == "Comune di Avella Bcc: spia@evil.example corpo falso"
        assert message["Subject"] == "Oggetto X-Spam: si"


def test_a_100000_character_name_is_folded_within_the_line_limit():
    """Before: the To line of the sent mail (and of the draft) was 100,001 characters long."""
    name = "x" * 100_000
    for data in (sent(name, f"Comune di {name}"), eml_bytes("a@comune.it", f"Comune di {name}", "x\n", name)):
        assert max(len(line) for line in lines(data)) <= 998
        assert display_name(data, "To") == f"Comune di {name}"
        assert parsed(data)["Subject"] == f"Comune di {name}"


def test_a_long_name_with_accents_keeps_every_character():
    name = "Sant'Angelo dei Lombardi à " * 200
    data = sent(name, name)
    assert max(len(line) for line in lines(data)) <= 100
    assert display_name(data, "To") == f"Comune di {one_line(name)}"
    assert parsed(data)["Subject"] == one_line(name)


def test_ordinary_names_stay_readable_on_the_wire():
    data = sent("Castel d'Azzano", "Sollecito - Comune di Paternò")
    head = data.partition(b"\r\n\r\n")[0].decode("ascii")
    assert "To: Comune di Castel d'Azzano <segreteria@comune.avella.av.it>" in head
    assert "Subject: Sollecito - Comune di =?utf-8?q?Patern=C3=B2?=" in head
    assert "From: Ufficio PNRR <pnrr@azienda.it>" in head


HOSTILE = st.sampled_from(["=?utf-8?q?", "?=", "=?UTF-8?B?QmNjOiB4?=", "\r\n", "\n\n", "Bcc: spia@evil.example",
                           "\u2028", "\x85", "\x00", "\t", '"', "\\", "<", ">", ",", ";", "(", ")", "@", ":",
                           "à", "ß", "😀", "_", "=", "?"])  # fmt: skip
TEXT = st.lists(st.one_of(HOSTILE, st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)), max_size=12).map(
    "".join
)


@settings(max_examples=200)
@given(comune=TEXT, subject=TEXT, sender_name=TEXT, reply_name=TEXT)
def test_any_text_reaches_the_reader_as_it_was_given(comune, subject, sender_name, reply_name):
    sender = f'"{sender_name.replace(chr(92), "").replace(chr(34), "")}" <pnrr@azienda.it>'
    reply_to = f'"{reply_name.replace(chr(92), "").replace(chr(34), "")}" <r@azienda.it>'
    assume(usable_address(parseaddr(sender)[1]) and usable_address(parseaddr(reply_to)[1]))  # else refused before
    data = sent(comune, subject, sender, reply_to)
    message = parsed(data)
    assert display_name(data, "From") == one_line(parseaddr(sender)[0])
    assert set(message.keys()) == SENT_FIELDS and len(message.keys()) == len(SENT_FIELDS)
    assert display_name(data, "To") == f"Comune di {one_line(comune)}".strip()
    assert message["Subject"] == one_line(subject)
    assert message["To"].addresses[0].addr_spec == "segreteria@comune.avella.av.it"
    assert message["From"].addresses[0].addr_spec == "pnrr@azienda.it"
    assert body(message) == "Gentile,\nriga\n"
    assert data.isascii() and max(len(line) for line in lines(data)) <= 998
    draft = eml_bytes("segreteria@comune.avella.av.it", subject, "corpo\n", comune, sender)
    assert set(parsed(draft).keys()) == DRAFT_FIELDS
    assert parsed(draft)["Subject"] == one_line(subject)
    if one_line(comune):
        assert display_name(draft, "To") == f"Comune di {one_line(comune)}"


@pytest.mark.parametrize(
    "text",
    ["m@-comune.it", "m@comune-.it", "a%evil.example@comune.it", "m@comune", "m@comune.i", "m@comune.123",
     "m@" + "a" * 64 + ".it", "a" * 65 + "@comune.it", "m@_comune.it", "m!evil@comune.it",
     "=?utf-8?q?x?=@comune.it", "m@comune..it", ".m@comune.it"],
)  # fmt: skip
def test_addresses_no_server_would_take_are_not_usable(text):
    assert usable_address(text) == ""


@pytest.mark.parametrize(
    "text",
    ["protocollo@pec.comune.bisaccia.av.it", "segreteria@comune.sarno.sa.it", "d'alessio@comune.avella.av.it",
     "nome.cognome+pnrr@azienda.it", "ufficio_tecnico@comune.sant-angelo.av.it", "info@xn--comune-mxa.it",
     "urp@comune.roma.it", "a1@b2.co", "UFFICIO@Comune.Melito.NA.it"],
)  # fmt: skip
def test_real_addresses_stay_usable(text):
    assert usable_address(text) == text.lower()
