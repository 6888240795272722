"""Texts the engine supplies to every form, in all three languages.

They are copied into each loaded form's normalised data, so they are part of the
content hash: the IRB approves exactly the words a respondent sees.
"""

from __future__ import annotations

TRUE_FALSE_OPTIONS = (
    ("true", {"en": "True", "hi": "सही", "mr": "खरे"}),
    ("false", {"en": "False", "hi": "गलत", "mr": "खोटे"}),
    ("not_sure", {"en": "Not sure", "hi": "पक्का पता नहीं", "mr": "खात्री नाही"}),
)

BUILTIN_TEXTS = {
    "dont_know": {"en": "Don't know", "hi": "पता नहीं", "mr": "माहीत नाही"},
    "prefer_not_to_answer": {"en": "Prefer not to answer",
                             "hi": "जवाब नहीं देना चाहते", "mr": "उत्तर द्यायचे नाही"},
    "consent_question": {
        "en": "Do you agree to take part in this study?",
        "hi": "क्या आप इस अध्ययन में भाग लेने के लिए सहमत हैं?",
        "mr": "या अभ्यासात सहभागी होण्यास तुमची संमती आहे का?",
    },
}
