"""The letters' languages: which ones ship a catalogue, their script and direction,
and the choice of the language a letter is written in (with its English fallback)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class LetterLanguage:
    code: str  # students.models.LANGUAGES code (Django's lowercase convention)
    name: str  # the language's own name, shown to families
    english: str
    bcp47: str  # the HTML `lang` attribute
    direction: str = "ltr"
    # Noto families, first choice first, for WeasyPrint (fonts-noto-core, fonts-noto-cjk).
    fonts: tuple[str, ...] = ("Noto Sans",)


# The eleven languages families read in the four districts (LAUSD's list plus Haitian
# Creole; students.models.LANGUAGES). Each has a catalogue in locale/<code>/LC_MESSAGES.
LANGUAGES: dict[str, LetterLanguage] = {
    lang.code: lang
    for lang in [
        LetterLanguage("en", "English", "English", "en"),
        LetterLanguage("es", "Español", "Spanish", "es"),
        LetterLanguage("zh-hans", "简体中文", "Chinese (Simplified)", "zh-Hans", fonts=("Noto Sans CJK SC",)),
        LetterLanguage("zh-hant", "繁體中文", "Chinese (Traditional)", "zh-Hant", fonts=("Noto Sans CJK TC",)),
        LetterLanguage("vi", "Tiếng Việt", "Vietnamese", "vi"),
        LetterLanguage("ko", "한국어", "Korean", "ko", fonts=("Noto Sans CJK KR",)),
        LetterLanguage("hy", "Հայերեն", "Armenian", "hy", fonts=("Noto Sans Armenian", "Noto Sans")),
        LetterLanguage("ar", "العربية", "Arabic", "ar", "rtl", fonts=("Noto Naskh Arabic", "Noto Sans Arabic")),
        LetterLanguage("tl", "Tagalog", "Tagalog", "tl"),
        LetterLanguage("ru", "Русский", "Russian", "ru"),
        LetterLanguage("ht", "Kreyòl ayisyen", "Haitian Creole", "ht"),
    ]
}
CATALOGUED = tuple(LANGUAGES)
DEFAULT = "en"

# Reasons a letter is not in the requested language, shown to staff (and, in the
# letter, as a note in the family's own language inviting them to ask for a translation:
# blocks.FALLBACK_NOTE).
FALLBACK_NOT_CATALOGUED = _("No letter catalogue for this language yet")
FALLBACK_NOT_OFFERED = _("The district's policy does not offer letters in this language")
FALLBACK_NOT_TRANSLATED = _("The policy marks this notice as not translated")
FALLBACK_NOT_REVIEWED = _("The district has not reviewed the letters in this language yet")


def info(code: str) -> LetterLanguage:
    return LANGUAGES.get(code) or LANGUAGES[DEFAULT]


def letter_language(
    *, policy, requested: str, translated: bool = True, reviewed: frozenset | set | None = None
) -> tuple[str, str]:
    """(language the letter is written in, why it is not the requested one or "").

    The reason is a lazy string: shown in the reader's language, stored in English.

    The letter is in the requested language when a catalogue ships for it and the
    district's policy offers it (`parent_contact.languages`, with
    `translate_to_home_language`) and the district has reviewed its catalogue (`reviewed`:
    the languages marked reviewed, notifications.models.DistrictLanguage) or lets it go out
    unreviewed (`parent_contact.send_unreviewed_letters`); otherwise in the policy's default
    language, else English. Staff previews pass policy=None: any catalogued language renders.
    """
    requested = (requested or DEFAULT).lower()
    fallback = DEFAULT
    if policy is not None:
        contact = policy.parent_contact
        fallback = contact.default_language if contact.default_language in LANGUAGES else DEFAULT
        if requested == fallback:
            return requested, ""
        if requested not in LANGUAGES:
            return fallback, FALLBACK_NOT_CATALOGUED
        if not translated:
            return fallback, FALLBACK_NOT_TRANSLATED
        if not contact.translate_to_home_language or requested not in contact.languages:
            return fallback, FALLBACK_NOT_OFFERED
        if reviewed is not None and requested not in reviewed and requested not in contact.send_unreviewed_letters:
            return fallback, FALLBACK_NOT_REVIEWED
        return requested, ""
    if requested not in LANGUAGES:
        return fallback, FALLBACK_NOT_CATALOGUED
    return requested, ""
