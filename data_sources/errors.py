"""The one error the readers raise, and the messages more than one reader gives (Italian, for the PM)."""


class SourceError(Exception):
    """A source could not be read. ``str(err)`` is a complete Italian sentence for the user."""


def protected_workbook(origin: str) -> str:
    """The message for a workbook protected by a password (encrypted): what to do instead."""
    return (
        f"{origin} è protetto da password (cifrato): non si può leggere. Salvane una copia senza password "
        "(in Excel: File > Informazioni > Proteggi cartella di lavoro > Crittografa con password, lascia vuoto) "
        "oppure scaricalo come CSV, e riprova."
    )
