"""``[imap]`` of the secrets file: found as ``[smtp]`` is, checked with one Italian line per mistake."""

from __future__ import annotations

import pytest

from rollout.errors import InputError
from rollout.reminders.imap_settings import ImapSettings, find_imap, imap_from_table


def write(tmp_path, text: str):
    path = tmp_path / "secrets.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_and_the_login_of_smtp(tmp_path):
    path = write(
        tmp_path,
        '[smtp]\nhost = "smtps.pec.aruba.it"\nusername = "pnrr@pec.sitiweb-pa.it"\npassword = "segreta"\n'
        '[imap]\nhost = "imaps.pec.aruba.it"\n',
    )
    assert find_imap(path, env={}) == ImapSettings(
        "imaps.pec.aruba.it", 993, "ssl", "pnrr@pec.sitiweb-pa.it", "segreta", "INBOX", "", 30.0
    )
    assert find_imap(None, env={"ROLLOUT_SECRETS": str(path)}).port == 993
    assert "segreta" not in repr(find_imap(path, env={}))


def test_its_own_login_and_everything_set(tmp_path):
    (tmp_path / "server.pem").write_text("certificato", encoding="utf-8")
    path = write(
        tmp_path,
        '[smtp]\nhost = "mail.sitiweb-pa.it"\nusername = "altro"\npassword = "altra"\n'
        '[imap]\nhost = "mail.sitiweb-pa.it"\nport = 143\nsecurity = "starttls"\nusername = "ricevute"\n'
        'password = "p"\nfolder = "Ricevute PEC"\nca_file = "server.pem"\ntimeout = 12\n',
    )
    assert find_imap(path, env={}) == ImapSettings(
        "mail.sitiweb-pa.it", 143, "starttls", "ricevute", "p", "Ricevute PEC", str(tmp_path / "server.pem"), 12.0
    )


def test_absent(tmp_path):
    assert find_imap(write(tmp_path, '[smtp]\nhost = "x"\n'), env={}) is None


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"host": "h", "user": "x"}, "Chiave sconosciuta in [imap]: user. Chiavi ammesse: ca_file, folder, host, "
                                     "password, port, security, timeout, username."),
        ({"username": "u", "password": "p"}, "In [imap] manca host (il server IMAP, per esempio imaps.pec.aruba.it)."),
        ({"host": "imap.example.it", "security": "none", "username": "u", "password": "p"},
         'In [imap] security = "none" è ammesso solo per un server locale (127.0.0.1).'),
        ({"host": "h", "security": "tls"}, 'In [imap] security deve essere "ssl", "starttls" o "none", non "tls".'),
        ({"host": "h", "port": "novecento"}, "In [imap] port e timeout devono essere numeri."),
        ({"host": "h", "port": 70000}, "In [imap] port deve essere tra 1 e 65535 e timeout positivo."),
        ({"host": "h", "username": "u"}, "In [imap] mancano username e password della casella (o quelli di [smtp])."),
        ({"host": "h", "username": "u", "password": "p", "folder": "a\nb"},
         "In [imap] folder non è un nome di cartella valido."),
    ],
)  # fmt: skip
def test_mistakes_are_one_line(table, message):
    with pytest.raises(InputError) as caught:
        imap_from_table(table)
    assert str(caught.value) == message


def test_a_missing_certificate_and_a_broken_file(tmp_path):
    with pytest.raises(InputError) as caught:
        find_imap(
            write(tmp_path, '[imap]\nhost = "h"\nusername = "u"\npassword = "p"\nca_file = "manca.pem"\n'), env={}
        )
    assert str(caught.value) == f"In secrets.toml [imap] ca_file non esiste: {tmp_path / 'manca.pem'}."
    with pytest.raises(InputError) as caught:
        find_imap(write(tmp_path, "imap = 3\n"), env={})
    assert str(caught.value) == "In secrets.toml [imap] deve essere una tabella."
    with pytest.raises(InputError) as caught:
        find_imap(tmp_path / "nessuno.toml", env={})
    assert str(caught.value) == f"File dei segreti non trovato: {tmp_path / 'nessuno.toml'}."
