"""The reminders' texts: one per reason a comune is chased, with ``{placeholders}``.

The built-in Italian texts, the placeholders a text may use and the rule that checks a text given
in the configuration (``[reminders.pending]``, ``[reminders.missing]``, ``[reminders.no_at_editor]``,
each with ``subject`` and ``body``): ``rollout.config`` checks them when the file is read,
``rollout.reminders.drafts`` fills them in.
"""

from __future__ import annotations

import string

from rollout.errors import InputError

REASONS = ("pending", "missing", "no_at_editor")
PLACEHOLDERS = {
    "comune": "il nome del comune, come nell'elenco",
    "provincia": "la sigla della provincia",
    "codice": "il codice ISTAT o catastale",
    "referente": "il referente nell'elenco dei comuni (può essere vuoto)",
    "saluto": "«Gentile <referente>» o, senza referente, «Spettabile Comune di <comune>»",
    "scadenza": "la scadenza, 13/09/2023",
    "scadenza_estesa": "la scadenza per esteso, mercoledì 13 settembre 2023",
    "tempo": "«mancano 5 giorni alla scadenza», «la scadenza è oggi», «scadenza superata da 3 giorni»",
    "giorni_ritardo": "i giorni di ritardo, 16",
    "ritardo": "i giorni di ritardo in parole, «16 giorni»",
    "permessi_mancanti": "i permessi ancora senza editor",
    "link_modulo": "il link del modulo, precompilato con il nome del comune (form_url, form_prefill_field)",
    "campagna": "il titolo della campagna (campaign)",
    "firma": "la firma ([reminders] signature)",
}
_INTRO = (
    "per configurare gli account e rilasciare i permessi ai dipendenti incaricati dell'aggiornamento del "
    "nuovo sito web comunale e dei servizi digitali per il cittadino (Misura 1.4.1 del PNRR)"
)
_HOW = (
    "Il modulo va compilato e inviato una volta per ciascun dipendente, barrando uno o più permessi di editor:\n"
    "{link_modulo}"
)
DEFAULT_TEMPLATES: dict[str, dict[str, str]] = {
    "pending": {
        "subject": "Promemoria: nominativi degli editor del nuovo sito web - Comune di {comune}",
        "body": (
            "{saluto},\n\nvi ricordiamo che, " + _INTRO + ", attendiamo i nominativi dei dipendenti del Comune di "
            "{comune}, da inviare attraverso il modulo on-line entro {scadenza_estesa} ({tempo}).\n\n" + _HOW + "\n\n"
            "Vi chiediamo di indicare almeno un dipendente con il permesso Editor Amministrazione Trasparente, "
            "necessario per pubblicare e gestire la sezione Amministrazione Trasparente del nuovo sito.\n\n"
            "Grazie per la collaborazione.\nCordiali saluti\n{firma}"
        ),
    },
    "missing": {
        "subject": "Sollecito: nominativi degli editor del nuovo sito web - Comune di {comune}",
        "body": (
            "{saluto},\n\nla scadenza di {scadenza_estesa} per l'invio dei nominativi dei dipendenti a cui rilasciare "
            "i permessi di editor del nuovo sito web comunale e dei servizi digitali per il cittadino (Misura 1.4.1 "
            "del PNRR) è stata superata da {ritardo}, e non abbiamo ancora ricevuto nessuna risposta dal Comune di "
            "{comune}.\n\n"
            "Senza questi dati non possiamo configurare gli account: vi preghiamo di compilare il modulo on-line "
            "al più presto.\n\n" + _HOW + "\n\n"
            "Ricordiamo di indicare almeno un dipendente con il permesso Editor Amministrazione Trasparente.\n\n"
            "Grazie per la collaborazione.\nCordiali saluti\n{firma}"
        ),
    },
    "no_at_editor": {
        "subject": "Manca l'editor Amministrazione Trasparente - Comune di {comune}",
        "body": (
            "{saluto},\n\ngrazie per averci inviato i nominativi dei dipendenti del Comune di {comune}. Tra i permessi "
            "indicati non risulta però nessun Editor Amministrazione Trasparente: senza un dipendente con questo "
            "permesso non sarà possibile pubblicare e gestire la sezione Amministrazione Trasparente del nuovo sito.\n\n"
            "Vi chiediamo di indicarne almeno uno con il modulo on-line:\n{link_modulo}\n"
            "Se il permesso va a un dipendente già indicato, compilate di nuovo il modulo per lui barrando tutti i "
            "permessi da assegnargli: vale l'ultima risposta inviata.\n\n"
            "Permessi ancora senza editor: {permessi_mancanti}.\n\n"
            "Grazie per la collaborazione.\nCordiali saluti\n{firma}"
        ),
    },
}


def check_template(text: str, where: str) -> None:
    """Raise InputError for an unknown ``{placeholder}`` or a stray brace."""
    try:
        fields = [(name, spec, conv) for _, name, spec, conv in string.Formatter().parse(text) if name is not None]
    except ValueError:
        raise InputError(
            f"{where}: parentesi graffe non bilanciate (per scrivere una graffa usa {{{{ o }}}})."
        ) from None
    for name, spec, conv in fields:
        if name not in PLACEHOLDERS or spec or conv:
            raise InputError(
                f"{where}: segnaposto sconosciuto {{{name}}}. Segnaposto ammessi: "
                + ", ".join(f"{{{p}}}" for p in PLACEHOLDERS)
                + "."
            )
