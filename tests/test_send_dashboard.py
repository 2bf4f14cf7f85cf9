"""«Invia i promemoria» on the Promemoria page, driven with AppTest against aiosmtpd on 127.0.0.1."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest
from test_send import DEMO, write_config

from conftest import ROOT
from rollout.access import fingerprint
from testkit.smtp_server import Mailbox, Server
from ui.auth import PASSWORD_OK
from ui.format import md_escape

PASSWORD = "una-password-lunga-per-il-gruppo"
PAGE = "pages/promemoria.py"
CLOSED = (
    "L'invio per email o PEC si attiva solo su un cruscotto protetto (password o login) con il server di posta "
    "nella sezione [smtp] dei segreti (vedi la Guida, «Promemoria»; per chi gestisce il server: docs/reminders.md)."
)


@pytest.fixture
def small(tmp_path, monkeypatch):
    """The demo's first 18 comuni, no answer yet: 16 to send, 2 without an address."""
    lines = (DEMO / "comuni.csv").read_text(encoding="utf-8").splitlines()
    (tmp_path / "comuni.csv").write_text("\n".join(lines[:19]) + "\n", encoding="utf-8")
    header = (DEMO / "risposte.csv").read_text(encoding="utf-8").splitlines()[0]
    (tmp_path / "risposte.csv").write_text(header + "\n", encoding="utf-8")
    write_config(tmp_path, tmp_path / "comuni.csv", tmp_path / "risposte.csv")
    monkeypatch.setenv("ROLLOUT_CONFIG", str(tmp_path / "rollout.toml"))
    return tmp_path


def app(secrets: dict, logged_in: bool = True) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.secrets["unrelated"] = "x"  # never the developer's own secrets
    for key, value in secrets.items():
        at.secrets[key] = value
    if logged_in and "access" in secrets:
        at.session_state[PASSWORD_OK] = fingerprint(secrets["access"]["password"])
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


def smtp(port: int) -> dict:
    return {"host": "127.0.0.1", "port": port, "security": "none"}


def send_button(at):
    return at.button(key="send_go")


def test_preview_count_confirmation_progress_and_outcome(small):
    box = Mailbox()
    with Server(box) as server:
        at = app({"access": {"password": PASSWORD}, "smtp": smtp(server.port)})
        overview = next(m.value for m in at.markdown if "promemoria da inviare" in m.value)
        assert overview == (
            "**16 promemoria da inviare** via email tramite 127\\.0\\.0\\.1, al massimo 100000 al minuto. "
            "Esclusi: 2 senza indirizzo."
        )
        assert [e.label for e in at.expander][-2:] == [
            "Comuni esclusi dall'invio (2)",
            "Anteprima dei primi 3 messaggi",
        ]
        preview = [m.value for m in at.markdown if " · **Oggetto:**" in m.value]
        assert preview[0] == (
            f"**A:** {md_escape('segreteria@comune.avella.av.it')} · **Oggetto:** "
            + md_escape("Promemoria: nominativi degli editor del nuovo sito web - Comune di Avella")
        )
        assert len(preview) == 3 and "Comune di Avella" in at.code[0].value
        assert send_button(at).disabled  # not without the confirmation
        assert box.received == []

        at.checkbox(key="send_confirm").check().run()
        assert not send_button(at).disabled
        send_button(at).click().run()
        assert not at.exception
        assert sorted(box.recipients()) == sorted(set(box.recipients())) and len(box.received) == 16
        assert [s.value for s in at.success] == ["Promemoria: 18 comuni, 16 inviati, 2 senza indirizzo."]
        outcome = at.dataframe[-1].value  # the outcome table, last on the page but for the drafts
        assert list(outcome.columns) == ["comune", "province", "contact", "result", "detail"]
        assert outcome["result"].value_counts().to_dict() == {"inviato": 16, "senza indirizzo": 2}
        listed = at.dataframe[0].value  # the reminders list above: the messages are recorded reminders
        assert listed["reminders_sent"].value_counts().to_dict() == {1: 16, 0: 2}
        assert listed["last_channel"].value_counts().to_dict() == {"email": 16, "": 2}
        overview = next(m.value for m in at.markdown if "promemoria da inviare" in m.value)
        assert (
            overview.startswith("**0 promemoria da inviare**") and "Esclusi: 16 saltati, 2 senza indirizzo." in overview
        )
        assert not [b for b in at.button if b.key == "send_go"]  # nothing left to send: no button

    assert len(box.received) == 16


def test_a_double_click_from_two_sessions_sends_once(small):
    box = Mailbox()
    with Server(box) as server:
        first, second = (app({"access": {"password": PASSWORD}, "smtp": smtp(server.port)}) for _ in range(2))
        for at in (first, second):
            at.checkbox(key="send_confirm").check().run()
        send_button(first).click().run()
        send_button(second).click().run()  # its page still showed 16 to send
        assert not second.exception
    assert len(box.received) == 16 and len(set(box.recipients())) == 16


@pytest.mark.parametrize("protected", [False, True], ids=["open with smtp", "protected without smtp"])
def test_no_sending_on_an_open_dashboard_or_without_smtp(small, protected):
    with Server(Mailbox()) as server:
        at = app({"access": {"password": PASSWORD}} if protected else {"smtp": smtp(server.port)})
    assert not [b for b in at.button if b.key == "send_go"]
    captions = [c.value for c in at.caption]
    if protected:
        assert (
            "Per inviare i promemoria da qui, configura il server di posta nella sezione [smtp] dei segreti."
            in captions
        )
    else:
        assert CLOSED in captions


def test_never_on_the_demo(monkeypatch):
    monkeypatch.delenv("ROLLOUT_CONFIG", raising=False)
    monkeypatch.setattr("rollout.config.DEFAULT_CONFIG", ROOT / "nessun-rollout.toml")
    at = app({"access": {"password": PASSWORD}, "smtp": smtp(2525)})
    assert not [b for b in at.button if b.key == "send_go"]
    assert CLOSED in [c.value for c in at.caption]


def test_a_refused_copy_is_a_warning_not_a_success(small):
    box = Mailbox(refuse={"archivio@azienda.it"})
    with Server(box) as server:
        at = app({"access": {"password": PASSWORD}, "smtp": smtp(server.port)})
        at.checkbox(key="send_confirm").check().run()
        send_button(at).click().run()
        assert not at.exception and not at.success
    assert [w.value for w in at.warning] == [
        "Promemoria: 18 comuni, 16 inviati senza copia nascosta, 2 senza indirizzo. Il server ha rifiutato la copia "
        "nascosta (bcc): vedi la tabella."
    ]
    outcome = at.dataframe[-1].value
    assert outcome["result"].value_counts().to_dict() == {"inviato senza copia nascosta": 16, "senza indirizzo": 2}
    assert len(box.received) == 16
