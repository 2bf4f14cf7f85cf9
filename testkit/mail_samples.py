"""Messages of the sender's mailbox built to order: ordinary mail, PEC receipts with their
``daticert.xml``, and a big mailbox of them mixed with replies (the tests' and the benchmark's)."""

from __future__ import annotations

from email.message import EmailMessage


def ordinary(n: int) -> bytes:
    """The ``n``-th of a newsletter's messages: nothing about a reminder."""
    return (
        f"From: Notizie PA <notizie{n % 7}@news.example.it>\nTo: pnrr@sitiweb-pa.it\nSubject: Aggiornamento {n}\n"
        f"Date: Wed, 20 Sep 2023 12:{n % 60:02d}:00 +0200\nMessage-ID: <news-{n}@news.example.it>\n"
        f"Content-Type: text/plain; charset=utf-8\n\nNotizia numero {n}.\n"
    ).encode()


def pec_receipt(ricevuta: str, referred: str, daticert: bytes | None, *, filename: str = "daticert.xml",
                own: str = "<opec210312.20230921101500.1.1.1.1@pec.aruba.it>") -> bytes:  # fmt: skip
    """A PEC provider's receipt of kind ``ricevuta`` about the message ``referred``, with ``daticert``
    attached as ``filename`` (none when ``None``)."""
    message = EmailMessage()
    message["From"] = "posta-certificata@pec.aruba.it"
    message["Subject"] = "AVVISO"
    message["Message-ID"] = own
    message["X-Ricevuta"] = ricevuta
    message["X-Riferimento-Message-ID"] = referred
    message.set_content("Ricevuta")
    if daticert is not None:
        message.add_attachment(daticert, maintype="application", subtype="xml", filename=filename)
    return message.as_bytes()


def daticert(tipo: str, msgid: str, errore: str = "nessuno", esteso: str = "", extra: str = "") -> bytes:
    """A receipt's ``daticert.xml`` of kind ``tipo`` about ``msgid`` (Aruba's, for Lioni's address)."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE postacert SYSTEM "Postacert.dtd">\n'
        f'<postacert tipo="{tipo}" errore="{errore}"><intestazione>{extra}</intestazione><dati>'
        "<gestore-emittente>ARUBA PEC S.p.A.</gestore-emittente>"
        '<data zona="+0200"><giorno>21/09/2023</giorno><ora>10:15:00</ora></data>'
        f"<msgid>{msgid.replace('<', '&lt;').replace('>', '&gt;')}</msgid>"
        f"<consegna>protocollo@pec.comune.lioni.av.it</consegna><errore-esteso>{esteso}</errore-esteso>"
        "</dati></postacert>\n"
    ).encode()


def mixed_mailbox(count: int, reply: bytes) -> list[bytes]:
    """``count`` messages: 1 in 100 a PEC delivery receipt of its own reminder, 1 in 250 a copy of
    ``reply`` (a reply to a reminder) with its own id, the others ordinary mail."""
    out = []
    for n in range(count):
        if n % 100 == 0:
            sent = f"<{n}.4171.7745838458362845741@pec.sitiweb-pa.it>"
            own = f"<opec210312.20230920101541.{n:05d}.612.1.65@pec.aruba.it>"
            out.append(pec_receipt("avvenuta-consegna", sent, daticert("avvenuta-consegna", sent), own=own))
        elif n % 250 == 1:
            out.append(reply.replace(b"5f0e9d8c-7b6a", f"{n:08x}-7b6a".encode()))
        else:
            out.append(ordinary(n))
    return out
