"""What each message of the sender's mailbox says about a reminder: PEC receipts of the common
providers, DSNs, other bounces, replies; and messages crafted to crash, hang or mislead."""

from __future__ import annotations

import base64
import datetime as dt
from email.message import EmailMessage
from pathlib import Path

import pytest

from rollout.reminders.pec import MAX_DATICERT, DaticertError, normal_id, parse_daticert
from rollout.reminders.receipts import MAX_MESSAGE, classify, outcome_state, triage
from testkit.mail_samples import daticert, pec_receipt

DATA = Path(__file__).resolve().parent / "data" / "receipts"
ROME = dt.timezone(dt.timedelta(hours=2))
SENT = {  # the Message-IDs of the reminders the test messages answer
    "lioni": "<169519773260.4171.7745838458362845741@pec.sitiweb-pa.it>",
    "avella": "<169519773301.4171.1180259938471102934@pec.sitiweb-pa.it>",
    "bisaccia": "<169519773342.4171.5521937764019283310@pec.sitiweb-pa.it>",
    "sarno": "<169519773384.4171.9043178862511907265@pec.sitiweb-pa.it>",
    "cassano": "<169519773425.4171.3377120954180062247@pec.sitiweb-pa.it>",
    "capriglia": "<169519773467.4171.6614095529037712458@pec.sitiweb-pa.it>",
    "avella_mail": "<169519801112.5230.4409182736450918273@sitiweb-pa.it>",
    "bisaccia_mail": "<169519801154.5230.8812736450918273645@sitiweb-pa.it>",
    "cassano_mail": "<169519801196.5230.1029384756102938475@sitiweb-pa.it>",
    "capriglia_mail": "<169519801238.5230.5647382910564738291@sitiweb-pa.it>",
    "lioni_mail": "<169519801280.5230.7362819203746582910@sitiweb-pa.it>",
    "melito_mail": "<169519801322.5230.9182736450192837465@sitiweb-pa.it>",
}
UNKNOWN = "<169519779999.9999.1111111111111111111@pec.altra-azienda.it>"
# file → (kind, the Message-ID it refers to, reason, source, recipients)
EXPECTED = {
    "aruba-accettazione.eml": ("accepted", SENT["lioni"], "", "pec", ()),
    "aruba-avvenuta-consegna.eml": ("delivered", SENT["lioni"], "", "pec", ("protocollo@pec.comune.lioni.av.it",)),
    "aruba-errore-consegna.eml": (
        "bounced", SENT["avella"],
        "mancata consegna PEC: destinatario inesistente, 5.1.1 - Aruba Pec S.p.A. - casella inesistente",
        "pec", ("protocollo@pec.comune.avella.av.it",),
    ),
    "legalmail-avvenuta-consegna.eml": (
        "delivered", SENT["bisaccia"], "", "pec", ("protocollo@pec.comune.bisaccia.av.it",),
    ),
    "poste-non-accettazione.eml": (
        "bounced", SENT["cassano"],
        "PEC non accettata dal gestore del mittente: Destinatari in copia nascosta non ammessi", "pec", (),
    ),
    "namirial-preavviso-errore-consegna.eml": (
        "accepted", SENT["capriglia"],
        "consegna non ancora confermata dopo 12 ore (preavviso di mancata consegna PEC): "
        "4.4.7 - Consegna non avvenuta entro le 12 ore",
        "pec", ("protocollo@pec.comune.caprigliairpina.av.it",),
    ),
    "legalmail-risposta-pec.eml": ("replied", SENT["sarno"], "", "reply", ()),
    "postfix-dsn.eml": (
        "bounced", SENT["avella_mail"],
        "indirizzo inesistente: 550 5.1.1 <indirizzo>: Recipient address rejected: User unknown in virtual "
        "mailbox table",
        "dsn", ("segreteria@comune.avella.av.it",),
    ),
    "exchange-ndr.eml": (
        "bounced", SENT["bisaccia_mail"],
        "indirizzo inesistente: 550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP "
        "address lookup",
        "dsn", ("segreteria@comune.bisaccia.av.it",),
    ),
    "exchange2003-ndr.eml": (
        "bounced", SENT["lioni_mail"], "messaggio respinto dal server del destinatario", "bounce",
        ("segreteria@comune.lioni.av.it",),
    ),
    "qmail-bounce.eml": (
        "bounced", SENT["cassano_mail"], "casella piena: 5.2.2", "bounce", ("segreteria@comune.cassanoirpino.av.it",),
    ),
    "fuori-ufficio.eml": ("auto_reply", SENT["capriglia_mail"], "", "auto-reply", ()),
    "risposta.eml": ("replied", SENT["melito_mail"], "", "reply", ()),
    "newsletter.eml": ("unrelated", "", "né ricevuta, né avviso di mancata consegna, né risposta", "", ()),
    # hostile: a genuine-looking receipt of a message the tracker never sent (the caller ignores it) ...
    "ricevuta-sconosciuta.eml": ("delivered", UNKNOWN, "", "pec", ("protocollo@pec.comune.melitoirpino.av.it",)),
    # ... and receipts that cannot be trusted
    "ricevuta-incoerente.eml": (
        "unrelated", "", "ricevuta PEC incoerente: X-Riferimento-Message-ID e daticert.xml non coincidono", "", (),
    ),
    "daticert-malformato.eml": ("unrelated", "", "ricevuta PEC ignorata: daticert.xml non è XML valido (riga 9)", "", ()),
    "daticert-entita.eml": (
        "unrelated", "", "ricevuta PEC ignorata: daticert.xml con dichiarazioni DTD o entità non ammesse", "", (),
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_message_of_the_mailbox(name):
    got = classify((DATA / name).read_bytes())
    assert (got.kind, got.message_id, got.reason, got.source, got.recipients) == EXPECTED[name]


def test_the_test_messages_are_all_listed():
    assert sorted(p.name for p in DATA.glob("*.eml")) == sorted(EXPECTED)


def test_dates_ids_and_references():
    consegna = classify((DATA / "aruba-avvenuta-consegna.eml").read_bytes())
    assert consegna.when == dt.datetime(2023, 9, 20, 10, 15, 41, tzinfo=ROME)  # daticert's, not the header's
    assert consegna.receipt_id == "<opec210312.20230920101541.05266.612.1.65@pec.aruba.it>"
    qmail = classify((DATA / "qmail-bounce.eml").read_bytes())
    assert qmail.when == dt.datetime(2023, 9, 20, 8, 17, 45, tzinfo=dt.UTC)  # "-0000"
    assert qmail.receipt_id.startswith("sha256:") and len(qmail.receipt_id) == 39  # no Message-ID of its own
    assert classify((DATA / "qmail-bounce.eml").read_bytes()).receipt_id == qmail.receipt_id
    reply = classify((DATA / "legalmail-risposta-pec.eml").read_bytes())
    assert reply.when == dt.datetime(2023, 9, 21, 9, 42, 10, tzinfo=ROME)  # the reply's own date, inside the PEC
    assert reply.refers_to == (SENT["sarno"],)


def test_a_reply_to_a_reply_still_names_our_message():
    message = EmailMessage()
    message["From"] = "segreteria@comune.lioni.av.it"
    message["Subject"] = "Re: Re: Sollecito"
    message["In-Reply-To"] = "<risposta-nostra@pec.sitiweb-pa.it>"
    message["References"] = f"{SENT['lioni']} <risposta-loro@comune.lioni.av.it> <risposta-nostra@pec.sitiweb-pa.it>"
    message.set_content("Grazie.")
    got = classify(message.as_bytes())
    assert got.kind == "replied" and got.message_id == "<risposta-nostra@pec.sitiweb-pa.it>"
    assert got.refers_to == (
        "<risposta-nostra@pec.sitiweb-pa.it>", "<risposta-loro@comune.lioni.av.it>", SENT["lioni"],
    )  # fmt: skip


def test_no_personal_data_is_kept():
    """Who wrote, the subject and the text stay in the mailbox; a server's answer loses its addresses."""
    for name in ("risposta.eml", "fuori-ufficio.eml", "legalmail-risposta-pec.eml", "postfix-dsn.eml"):
        text = repr(classify((DATA / name).read_bytes()))
        for secret in ("Ufficio Segreteria", "Sollecito", "modulo", "Protocollo Comune", "pnrr@"):
            assert secret not in text, (name, secret)
    assert "<indirizzo>" in classify((DATA / "postfix-dsn.eml").read_bytes()).reason


def test_triage_needs_the_body_only_of_receipts_and_bounces():
    def head(name: str) -> bytes:
        return (DATA / name).read_bytes().split(b"\n\n", 1)[0] + b"\n\n"

    assert triage(head("risposta.eml")) == classify(head("risposta.eml"))
    assert triage(head("risposta.eml")).kind == "replied"
    assert triage(head("newsletter.eml")).kind == "unrelated"
    assert triage(head("fuori-ufficio.eml")).kind == "auto_reply"
    for name in ("aruba-accettazione.eml", "legalmail-risposta-pec.eml", "postfix-dsn.eml", "exchange-ndr.eml",
                 "exchange2003-ndr.eml", "qmail-bounce.eml"):  # fmt: skip
        assert triage(head(name)) is None, name


# -- PEC receipts built to order (testkit.mail_samples): the cases the files do not cover ---------------


def test_a_12_hour_notice_with_a_permanent_error_is_a_bounce():
    """Some providers send the final failure as a ``preavviso`` with a 5.x.x extended error."""
    raw = pec_receipt("preavviso-errore-consegna", SENT["lioni"],
                      daticert("preavviso-errore-consegna", SENT["lioni"], "altro", "5.4.1 - host non raggiungibile"))  # fmt: skip
    got = classify(raw)
    assert (got.kind, got.reason) == ("bounced", "mancata consegna PEC: 5.4.1 - host non raggiungibile")


def test_other_pec_kinds_and_inconsistencies():
    virus = classify(
        pec_receipt("rilevazione-virus", SENT["lioni"], daticert("rilevazione-virus", SENT["lioni"], "virus"))
    )
    assert (virus.kind, virus.reason) == ("bounced", "il gestore del destinatario ha rilevato un virus: virus rilevato")
    taken = classify(pec_receipt("presa-in-carico", SENT["lioni"], daticert("presa-in-carico", SENT["lioni"])))
    assert (taken.kind, taken.message_id, taken.reason) == ("accepted", SENT["lioni"], "")
    # the header alone is not enough: the daticert.xml must be there and say the same
    assert classify(pec_receipt("avvenuta-consegna", SENT["lioni"], None)).reason == (
        "ricevuta PEC senza daticert.xml: ignorata"
    )
    wrong_kind = classify(pec_receipt("avvenuta-consegna", SENT["lioni"], daticert("errore-consegna", SENT["lioni"])))
    assert (wrong_kind.kind, wrong_kind.reason) == (
        "unrelated", "ricevuta PEC incoerente: X-Ricevuta e daticert.xml non coincidono",
    )  # fmt: skip
    odd = classify(pec_receipt("consegna-a-mano", SENT["lioni"], daticert("consegna-a-mano", SENT["lioni"])))
    assert (odd.kind, odd.reason) == ("unrelated", "ricevuta PEC di tipo sconosciuto: consegna-a-mano")
    # a daticert.xml named in capitals (some providers) is still found
    upper = classify(pec_receipt("avvenuta-consegna", SENT["lioni"], daticert("avvenuta-consegna", SENT["lioni"]),
                                 filename="DatiCert.XML"))  # fmt: skip
    assert (upper.kind, upper.message_id) == ("delivered", SENT["lioni"])


def test_a_huge_daticert_is_refused_without_decoding_it():
    """5 MB of recipients: refused on its size, before any XML is parsed."""
    body = "".join(f'<destinatari tipo="certificato">d{i}@pec.example.it</destinatari>' for i in range(100_000))
    raw = pec_receipt("avvenuta-consegna", SENT["lioni"], daticert("avvenuta-consegna", SENT["lioni"], extra=body))
    assert len(raw) > 5_000_000
    got = classify(raw)
    assert (got.kind, got.reason) == ("unrelated", "ricevuta PEC ignorata: daticert.xml troppo grande")


@pytest.mark.parametrize(
    ("xml", "reason"),
    [
        (b'<!DOCTYPE postacert [<!ENTITY x SYSTEM "file:///etc/passwd">]><postacert tipo="accettazione">'
         b"<dati><msgid>&x;</msgid></dati></postacert>", "daticert.xml con dichiarazioni DTD o entità non ammesse"),
        (b'<!DOCTYPE postacert SYSTEM "http://127.0.0.1:9/postacert.dtd"><postacert tipo="accettazione">'
         b"<dati><msgid>&esterna;</msgid></dati></postacert>", "daticert.xml con dichiarazioni DTD o entità non ammesse"),
        (b"<postacert tipo='accettazione'><dati><msgid>&nessuna;</msgid></dati></postacert>",
         "daticert.xml non è XML valido (riga 1)"),
        (b"<postacert><dati><msgid>&lt;a@b&gt;</msgid></dati></postacert>", "daticert.xml senza postacert/@tipo"),
        (b"<a>" * 5_000 + b"</a>" * 5_000, "daticert.xml annidato oltre misura"),
        (b"\xff\xfe<postacert", "daticert.xml non è XML valido (riga 1)"),
        (b"x" * (MAX_DATICERT + 1), "daticert.xml troppo grande"),
    ],
)  # fmt: skip
def test_daticert_crafted_to_harm(xml, reason):
    with pytest.raises(DaticertError) as caught:
        parse_daticert(xml)
    assert str(caught.value) == reason


def test_daticert_of_a_real_receipt():
    cert = parse_daticert(
        daticert("errore-consegna", "<abc@pec.example.it>", "no-dest", " 5.1.1 -  casella\ninesistente ")
    )
    assert cert.tipo == "errore-consegna" and cert.errore == "no-dest"
    assert cert.msgid == "<abc@pec.example.it>" and cert.errore_esteso == "5.1.1 - casella inesistente"
    assert cert.consegna == ("protocollo@pec.comune.lioni.av.it",)
    assert cert.when == dt.datetime(2023, 9, 21, 10, 15, tzinfo=ROME)


@pytest.mark.parametrize(
    ("text", "normal"),
    [("<a.b@c.it>", "<a.b@c.it>"), ("  a.b@c.it ", "<a.b@c.it>"), ("x <a@b> <c@d>", "<a@b>"), ("", ""),
     ("no id here", ""), ("<>", ""), ("<" + "a" * 2000 + "@b>", "")],
)  # fmt: skip
def test_message_ids_are_normalised(text, normal):
    assert normal_id(text) == normal


# -- messages crafted to crash or hang the reader -----------------------------------------------------------


def test_a_message_of_many_megabytes_has_one_outcome():
    """11 MB: only the first MAX_MESSAGE bytes are parsed; the headers decide."""
    message = EmailMessage()
    message["From"] = "segreteria@comune.lioni.av.it"
    message["Subject"] = "Re: Sollecito"
    message["In-Reply-To"] = SENT["lioni"]
    message.set_content("In allegato la delibera.")
    message.add_attachment(b"\x00" * 8_000_000, maintype="application", subtype="pdf", filename="delibera.pdf")
    raw = message.as_bytes()
    assert len(raw) > 10 * MAX_MESSAGE
    got = classify(raw)
    assert (got.kind, got.message_id) == ("replied", SENT["lioni"])
    assert classify(b"\xff" * 20_000_000).kind == "unrelated"


def test_crafted_structures_give_one_clear_outcome():
    """Thousands of nested or sibling parts (the email parser slows down and recurses on them): beyond
    MAX_PARTS only the headers are read; just below, the message is read whole, quickly."""
    nothing = "né ricevuta, né avviso di mancata consegna, né risposta"
    nested = b"Content-Type: multipart/mixed; boundary=b0\r\n\r\n" + b"".join(
        f"--b{i}\r\nContent-Type: multipart/mixed; boundary=b{i + 1}\r\n\r\n".encode() for i in range(5000)
    )
    assert (classify(nested).kind, classify(nested).reason) == ("unrelated", nothing)
    report = b"Content-Type: multipart/report; report-type=delivery-status; boundary=x\r\n\r\n"
    block = b"--x\r\nContent-Type: message/delivery-status\r\n\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
    assert (classify(report + block * 30_000).kind, classify(report + block * 30_000).reason) == ("unrelated", nothing)
    got = classify(report + block * 400)
    assert (got.kind, got.message_id, got.reason) == ("bounced", "", "indirizzo inesistente: 5.1.1")
    assert classify(b"").kind == "unrelated"
    assert classify(b"X-Ricevuta: accettazione\r\nContent-Type: multipart/mixed; boundary=").kind == "unrelated"
    text = b"From: MAILER-DAEMON@mx.example.it\r\nSubject: failure notice\r\n\r\n" + b"\r\n" * 1_000_000
    assert classify(text).kind == "unrelated"  # a megabyte of empty lines: no backtracking, no slow heuristics


def test_a_pec_envelope_inside_an_envelope_is_not_opened_again():
    inner = (DATA / "legalmail-risposta-pec.eml").read_bytes()
    outer = (
        b"X-Trasporto: errore\nSubject: ANOMALIA MESSAGGIO: x\nContent-Type: multipart/mixed; boundary=z\n\n"
        b"--z\nContent-Type: text/plain\n\nAnomalia\n--z\nContent-Type: message/rfc822\n\n" + inner + b"\n--z--\n"
    )
    got = classify(outer)
    assert (got.kind, got.reason) == ("unrelated", "busta PEC: busta PEC senza messaggio allegato")
    once = outer.replace(inner, (DATA / "risposta.eml").read_bytes())
    assert classify(once).kind == "replied"  # one envelope is opened: an ordinary reply wrapped as an anomaly


def test_a_dsn_of_a_delay_is_not_a_bounce():
    raw = (
        (DATA / "postfix-dsn.eml")
        .read_bytes()
        .replace(b"Action: failed", b"Action: delayed")
        .replace(b"Status: 5.1.1", b"Status: 4.4.1")
    )
    got = classify(raw)
    assert (got.kind, got.message_id, got.source) == ("accepted", SENT["avella_mail"], "dsn")
    assert got.reason.startswith("consegna ritardata, il server riproverà: 550 5.1.1")


# -- what the outbox becomes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "kind", "state"),
    [("sent", "delivered", "delivered"), ("sent", "bounced", "bounced"), ("sent", "replied", "replied"),
     ("sent", "auto_reply", "delivered"), ("sent", "accepted", "sent"), ("sent", "unrelated", "sent"),
     ("delivered", "replied", "replied"), ("replied", "delivered", "replied"), ("replied", "bounced", "replied"),
     ("delivered", "delivered", "delivered"), ("bounced", "delivered", "delivered"),
     ("uncertain", "accepted", "sent"), ("uncertain", "delivered", "delivered"), ("uncertain", "unrelated", "uncertain"),
     ("queued", "delivered", "queued"), ("refused", "delivered", "refused"), ("failed", "replied", "failed")],
)  # fmt: skip
def test_outcome_state(current, kind, state):
    assert outcome_state(current, kind) == state


def test_the_huge_daticert_base64_is_never_decoded(monkeypatch):
    """The size is checked on the encoded text: decoding 5 MB of base64 would already be the harm."""
    import email.message

    calls = []
    original = email.message.Message.get_payload

    def spy(self, i=None, decode=False):
        if decode and self.get_filename() == "daticert.xml":
            calls.append(len(original(self)))
        return original(self, i, decode)

    monkeypatch.setattr(email.message.Message, "get_payload", spy)
    body = base64.b64encode(b"x" * 3_000_000).decode()
    raw = pec_receipt("accettazione", SENT["lioni"], b"placeholder").replace(
        base64.b64encode(b"placeholder"), body.encode()
    )
    assert classify(raw).reason == "ricevuta PEC ignorata: daticert.xml troppo grande"
    assert calls == []
