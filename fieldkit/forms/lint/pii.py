"""Personally identifying information: no question may collect names, phone numbers,
addresses, exact dates of birth or exact ages, ID numbers, photos, signatures, GPS
fixes, e-mail addresses, social-media handles, vehicle numbers or the names of other
people -- by its type or by its wording, in English, Hindi and Marathi.

``find_pii(text, lang)`` returns the first kind found and the words that show it, or
None. A sentence that says *not* to give the thing ("Do not write any names",
"नाम न लिखें", "नाव लिहू नका") is an instruction, not a request, and is left alone.
Exact age, year of birth and where someone lives depend on the type: a banded number
or a choice of age groups or cities stores a category, so "How old are you?" and
"Where do you live?" are fine there and errors in a free-text box.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from fieldkit.forms.findings import Finding
from fieldkit.forms.lint._base import finding
from fieldkit.forms.lint._text import normalise, sentences
from fieldkit.forms.model import TEXT_TYPES, Form, Question
from fieldkit.i18n import LANGUAGES

# kinds, in the words of the catalogue message ("asks for {kind}")
NAME = "name"
OTHER_NAMES = "other_names"
PHONE = "phone"
ADDRESS = "address"
BIRTH_DATE = "birth_date"
EXACT_AGE = "exact_age"
ID_NUMBER = "id_number"
PHOTO = "photo"
SIGNATURE = "signature"
LOCATION = "location"
EMAIL = "email"
SOCIAL = "social_handle"
VEHICLE = "vehicle_number"

KINDS = (NAME, OTHER_NAMES, PHONE, ADDRESS, BIRTH_DATE, EXACT_AGE, ID_NUMBER, PHOTO,
         SIGNATURE, LOCATION, EMAIL, SOCIAL, VEHICLE)

# Question types that would collect PII by their nature (other tools' types; the loader
# refuses them as unknown, and the linter says why).
PII_TYPES = {
    "geopoint": LOCATION, "geotrace": LOCATION, "geoshape": LOCATION, "gps": LOCATION,
    "location": LOCATION, "image": PHOTO, "photo": PHOTO, "picture": PHOTO, "video": PHOTO,
    "audio": PHOTO, "signature": SIGNATURE, "phone": PHONE, "phone_number": PHONE,
    "tel": PHONE, "email": EMAIL, "date": BIRTH_DATE, "datetime": BIRTH_DATE,
    "birthdate": BIRTH_DATE, "date_of_birth": BIRTH_DATE, "dob": BIRTH_DATE,
    "address": ADDRESS, "name": NAME, "barcode": ID_NUMBER, "id_number": ID_NUMBER,
    "aadhaar": ID_NUMBER, "integer": EXACT_AGE, "decimal": EXACT_AGE, "number": EXACT_AGE,
}


@dataclass(frozen=True)
class PiiHit:
    kind: str
    words: str
    lang: str


_D = r"\u0900-\u0963\u0966-\u097f\w"
_B = rf"(?<![{_D}])"      # word start that also works for Devanagari
_E = rf"(?![{_D}])"       # word end


def _dev(*patterns: str) -> re.Pattern[str]:
    return re.compile(f"{_B}(?:{'|'.join(patterns)}){_E}")


_EN_PERSON = (r"person|people|pimp|broker|trafficker|customer|client|girl|victim|"
              r"officer|owner|madam|agent|accused|child|children|friend|relative|colleague|"
              r"contact|boss|employer|neighbour|neighbor|family member|husband|wife|father|"
              r"mother|son|daughter|manager|driver|individual|suspect|offender")

_EN: dict[str, re.Pattern[str]] = {
    NAME: re.compile(
        r"\b(your|my|full|first|last|sur|given|family|maiden|nick|pet|real)\s*names?\b|"
        r"\bname of (the )?respondent\b|\brespondent'?s name\b|\bwhat is your name\b|"
        r"\bwhat are you called\b|\bsurname\b"),
    OTHER_NAMES: re.compile(
        rf"\bnames? of (the |your |this |that |any |these |those )?([a-z]+ )?({_EN_PERSON})s?\b|"
        rf"\b(his|her|their|({_EN_PERSON})'?s?) (full )?names?\b|"
        r"\bwhat (is|was|are|were) (his|her|their) names?\b|"
        r"\bname (the|any|those|these) (people|persons|individuals|officers|pimps|brokers|"
        r"customers|traffickers)\b|\bwho exactly\b|\bidentify (the|any) (person|people)\b"),
    PHONE: re.compile(
        r"\b(phone|mobile|cell|cellphone|contact|whatsapp|telephone|landline|tel)\s*"
        r"(no\b\.?|number|numbers|num\b)|\bnumber (to|where we can) (call|reach|contact)\b"),
    ADDRESS: re.compile(
        r"\b(your|home|house|residential|postal|permanent|current|full|exact|street|office|"
        r"work|mailing|local)\s+address(es)?\b|\baddress where\b|\bwhere exactly do you live\b|"
        r"\bhouse (no\b|number)|\bflat (no\b|number)|\bstreet name\b|\bpin ?code\b|"
        r"\bpostal code\b|\bzip code\b"),
    BIRTH_DATE: re.compile(
        r"\b(date|day)\s+of\s+birth\b|\bbirth\s*(date|day)\b|\bdob\b|"
        r"\b(on )?what date were you born\b"),
    ID_NUMBER: re.compile(
        r"\baadh?aa?r\b|\bpan (card|number|no\b)|\bvoter'?s? ?(id|card|identity)\b|"
        r"\bepic (number|no\b|card)|\bpassport\b|\bdriving licen[cs]e\b|\bration card\b|"
        r"\b(id|identity|identification) (card |proof )?(number|no\b)|\bbank account\b|"
        r"\baccount number\b|\bupi id\b"),
    PHOTO: re.compile(
        r"^(please )?(take|upload|attach|capture|click|send|share|add) (a |an |your |the |"
        r"their )?(photo|photograph|picture|selfie|image|pic)s?\b|"
        r"\b(photo|photograph|picture|selfie|image)s? of (you|yourself|the respondent|your)\b|"
        r"\byour (photo|photograph|picture|selfie)s?\b"),
    SIGNATURE: re.compile(
        r"\bsignatures?\b|\bsign (here|below|this|the form|the consent)\b|"
        r"\bthumb ?(print|impression|mark)s?\b|\binitials\b"),
    LOCATION: re.compile(
        r"\bgps\b|\bcoordinates\b|\blatitude\b|\blongitude\b|\bgeo-?(location|tag|point)\b|"
        r"\b(exact|precise|current|live|your) location\b|\bshare (your )?location\b|"
        r"\bpin (your|the) location\b"),
    EMAIL: re.compile(r"\be-?mail (address|id)\b|\byour e-?mail\b"),
    SOCIAL: re.compile(
        r"\b(facebook|instagram|twitter|telegram|snapchat|tiktok|linkedin|social media|"
        r"whatsapp|sharechat|youtube|x)\s+(id|handle|username|user name|profile|account|"
        r"page|link)s?\b|\byour (user ?name|handle|profile link)\b"),
    VEHICLE: re.compile(
        r"\b(vehicle|car|bike|motorcycle|motorbike|scooter|auto|rickshaw|taxi|truck|tempo|van)"
        r"'?s?\s+(registration\s+)?(number|no\b\.?|plate)|\b(number|licen[cs]e|registration) "
        r"plates?\b|\bregistration number\b"),
}
_EN_AGE = re.compile(r"\b(your|his|her|their|exact|precise|actual) age\b|\bhow old\b|"
                     r"\bage in (completed )?years\b|\bwhat age\b|\b(year|month) of birth\b|"
                     r"\bwhen were you born\b|\byear were you born\b")
# where someone lives, asked in a free-text box: the answer is a locality or a street
_EN_RESIDENCE = re.compile(
    r"\bwhere (exactly )?do you (live|stay|reside)\b|\b(which|what) (area|locality|village|"
    r"street|building|society|colony|chawl|slum|basti|neighbou?rhood|ward|lane|road)s? do you "
    r"(live|stay|reside)\b|\bname of your (village|society|building|street|colony|chawl|basti|"
    r"employer|company|shop|office)\b")
_HI_RESIDENCE = _dev(r"(आप|तुम) (कहां|किधर) (रहते|रहती|रहता)", r"किस (मोहल्ले|गली|गांव|इलाके|बस्ती|"
                     r"कॉलोनी|सोसाइटी|इमारत) में (रहते|रहती|रहता)",
                     r"(आपके|अपने) (गांव|मोहल्ले|गली|बस्ती|सोसाइटी|इमारत|दुकान|कंपनी) का नाम")
_MR_RESIDENCE = _dev(r"(तुम्ही|तू) (कुठे|कोठे) (राहता|राहतोस|राहतेस)",
                     r"कोणत्या (गल्लीत|गावात|वस्तीत|भागात|सोसायटीत|इमारतीत|चाळीत) (राहता|राहतोस)",
                     r"(तुमच्या|आपल्या) (गावाचे|वस्तीचे|सोसायटीचे|इमारतीचे|दुकानाचे|कंपनीचे) नाव")
_EN_NEGATION = re.compile(r"\b(do not|don't|dont|never|not|without|avoid|nor)\b|"
                          r"\bno (names?|persons?|personal|identifying|details?)\b")

_HI: dict[str, re.Pattern[str]] = {
    NAME: _dev(r"(आपका|आपके|तुम्हारा|तेरा|मेरा|पूरा|असली) (पूरा )?नाम",
               r"उत्तरदाता का नाम", r"उपनाम", r"सरनेम"),
    OTHER_NAMES: _dev(
        r"(उसका|उसके|उनका|उनके|उसकी|उनकी|किसी का|व्यक्ति का|लोगों के|दलाल का|दलालों के|"
        r"ग्राहक का|ग्राहकों के|अधिकारी का|अधिकारियों के|लड़की का|लडकी का|लडकियों के|"
        r"मालिक का|तस्कर का) (पूरा )?नाम(ों)?", r"नाम बताइए", r"नाम बताएं", r"नाम बताएँ",
        r"नाम लिखें", r"नाम लिखिए", r"नाम दीजिए", r"नाम दें", r"किन लोगों के नाम"),
    PHONE: _dev(r"(फोन|मोबाइल|मोबाईल|संपर्क|व्हाट्सऐप|व्हाट्सएप|वॉट्सऐप|टेलीफोन) "
                r"(नंबर|नम्बर|संख्या|क्रमांक)"),
    ADDRESS: _dev(r"(आपका|आपके घर का|घर का|उसका|उनका|पूरा|स्थायी|वर्तमान|डाक|ठिकाने का|"
                  r"सही) पता", r"पता (लिखें|लिखिए|बताइए|बताएं|दीजिए|दें)",
                  r"मकान (नंबर|नम्बर|संख्या)", r"पिन ?कोड", r"गली का नाम"),
    BIRTH_DATE: _dev(r"जन्म ?तिथि", r"जन्म की (तारीख|तिथि)", r"जन्म ?तारीख",
                     r"जन्म ?दिनांक", r"किस तारीख को पैदा"),
    ID_NUMBER: _dev(r"आधार (कार्ड|नंबर|नम्बर|संख्या|क्रमांक)", r"पैन (कार्ड|नंबर|नम्बर)",
                    r"मतदाता (पहचान|पहचान पत्र|कार्ड)", r"वोटर (आईडी|कार्ड)", r"पासपोर्ट",
                    r"ड्राइविंग लाइसेंस", r"राशन कार्ड", r"पहचान (पत्र|संख्या|नंबर)",
                    r"बैंक खाता", r"खाता (संख्या|नंबर)", r"यूपीआई आईडी"),
    PHOTO: _dev(r"(फोटो|फ़ोटो|तस्वीर|सेल्फी|छवि|चित्र) (लें|लीजिए|खींचें|खींचिए|भेजें|"
                r"भेजिए|अपलोड|लगाएं|लगाइए)", r"(आपकी|अपनी|उत्तरदाता की) (फोटो|तस्वीर|सेल्फी)"),
    SIGNATURE: _dev(r"हस्ताक्षर", r"दस्तखत", r"अंगूठे का निशान", r"अंगूठा (लगाएं|लगाइए)"),
    LOCATION: _dev(r"जीपीएस", r"लोकेशन", r"अक्षांश", r"देशांतर",
                   r"(सटीक|ठीक|वर्तमान) (स्थान|जगह|लोकेशन)"),
    EMAIL: _dev(r"ई-?मेल", r"ईमेल (आईडी|पता)"),
    SOCIAL: _dev(r"(फेसबुक|इंस्टाग्राम|ट्विटर|टेलीग्राम|सोशल मीडिया|व्हाट्सऐप|यूट्यूब) "
                 r"(आईडी|अकाउंट|प्रोफाइल|हैंडल|यूजरनेम|पेज|लिंक)", r"यूजरनेम"),
    VEHICLE: _dev(r"(गाडी|वाहन|कार|बाइक|ऑटो|रिक्शा|ट्रक|टैक्सी) (का )?(नंबर|नम्बर|संख्या|"
                  r"पंजीकरण)", r"नंबर प्लेट"),
}
_HI_AGE = _dev(r"(आपकी|उसकी|उनकी|तुम्हारी|सही|असली|ठीक) (उम्र|आयु)", r"कितने साल के",
               r"कितने वर्ष के", r"कितनी उम्र", r"उम्र कितनी", r"आयु कितनी",
               r"जन्म का (वर्ष|साल)", r"किस (साल|वर्ष) (में )?(पैदा|जन्म)", r"कब पैदा")
_HI_NEGATION = _dev(r"नहीं", r"न", r"मत", r"बिना", r"ना")

_MR: dict[str, re.Pattern[str]] = {
    NAME: _dev(r"(तुमचे|तुमचं|तुझे|तुझं|आपले|पूर्ण|खरे) (पूर्ण )?नाव",
               r"उत्तरदात्याचे नाव", r"आडनाव", r"टोपणनाव"),
    OTHER_NAMES: _dev(
        r"(त्याचे|तिचे|त्यांचे|त्यांची|कोणाचे|व्यक्तीचे|लोकांची|दलालाचे|दलालांची|"
        r"गिऱ्हाइकाचे|ग्राहकाचे|अधिकाऱ्याचे|अधिकाऱ्यांची|मुलीचे|मुलींची|मालकाचे) "
        r"(पूर्ण )?(नाव|नावे)", r"नाव सांगा", r"नावे सांगा", r"नाव लिहा", r"नावे लिहा",
        r"नाव द्या", r"नावे द्या"),
    PHONE: _dev(r"(फोन|मोबाइल|मोबाईल|संपर्क|व्हॉट्सॲप|व्हॉट्सअ‍ॅप|व्हाट्सअप|दूरध्वनी) "
                r"(नंबर|क्रमांक)"),
    ADDRESS: _dev(r"पत्ता", r"पत्त्यावर", r"घर (नंबर|क्रमांक)", r"पिन ?कोड", r"गल्लीचे नाव"),
    BIRTH_DATE: _dev(r"जन्म ?तारीख", r"जन्म ?दिनांक", r"जन्मतिथी", r"जन्म तिथी"),
    ID_NUMBER: _dev(r"आधार (कार्ड|क्रमांक|नंबर)", r"पॅन (कार्ड|क्रमांक|नंबर)",
                    r"मतदार (ओळखपत्र|कार्ड)", r"ओळखपत्र", r"पासपोर्ट", r"वाहन परवाना",
                    r"रेशन कार्ड", r"बँक खाते", r"खाते क्रमांक", r"यूपीआय आयडी"),
    PHOTO: _dev(r"(फोटो|छायाचित्र|सेल्फी) (काढा|घ्या|पाठवा|अपलोड|जोडा)",
                r"(तुमचा|तुमचे|आपला|उत्तरदात्याचा) (फोटो|छायाचित्र|सेल्फी)"),
    SIGNATURE: _dev(r"स्वाक्षरी", r"(तुमची|येथे|इथे|खाली) सही", r"सही (करा|करावी|करून)",
                    r"अंगठ्याचा ठसा", r"अंगठा (लावा|द्या)"),
    LOCATION: _dev(r"जीपीएस", r"लोकेशन", r"अक्षांश", r"रेखांश",
                   r"(नेमके|अचूक|सध्याचे) (ठिकाण|स्थान|लोकेशन)"),
    EMAIL: _dev(r"ई-?मेल", r"ईमेल (आयडी|पत्ता)"),
    SOCIAL: _dev(r"(फेसबुक|इन्स्टाग्राम|इंस्टाग्राम|ट्विटर|टेलिग्राम|सोशल मीडिया|व्हॉट्सॲप|"
                 r"यूट्यूब) (आयडी|खाते|अकाउंट|प्रोफाइल|हँडल|युजरनेम|पेज|लिंक)", r"युजरनेम"),
    VEHICLE: _dev(r"(गाडी|गाडीचा|वाहन|वाहनाचा|कार|बाइक|रिक्षा|ट्रक|टॅक्सी) "
                  r"(नंबर|क्रमांक|नोंदणी क्रमांक)", r"नंबर प्लेट"),
}
_MR_AGE = _dev(r"(तुमचे|तुमचं|तुझे|त्याचे|तिचे|अचूक|नेमके|खरे) वय", r"वय किती",
               r"किती वर्षांचे", r"किती वर्षांचा", r"किती वर्षांची", r"जन्म ?वर्ष",
               r"जन्माचे वर्ष", r"कधी जन्म", r"कोणत्या वर्षी जन्म")
_MR_NEGATION = _dev(r"नाही", r"न", r"नका", r"नको", r"नये", r"शिवाय", r"विना")

_ORDER = (NAME, OTHER_NAMES, PHONE, ADDRESS, BIRTH_DATE, ID_NUMBER, PHOTO, SIGNATURE,
          LOCATION, EMAIL, SOCIAL, VEHICLE)
_PATTERNS = {"en": (_EN, _EN_AGE, _EN_NEGATION), "hi": (_HI, _HI_AGE, _HI_NEGATION),
             "mr": (_MR, _MR_AGE, _MR_NEGATION)}
_RESIDENCE = {"en": _EN_RESIDENCE, "hi": _HI_RESIDENCE, "mr": _MR_RESIDENCE}
# one scan that finds whether any kind could match: most texts ask for nothing
_ANY = {lang: re.compile("|".join(f"(?:{p.pattern})"
                                  for p in (*kinds.values(), age, _RESIDENCE[lang])))
        for lang, (kinds, age, _) in _PATTERNS.items()}


def find_pii(text: str, lang: str, *, free_text: bool = False) -> PiiHit | None:
    """The first kind of PII that ``text`` asks for, or None.

    ``free_text``: also report questions asking for an age or year of birth, or where
    exactly someone lives (set it for free-text questions, which would store the exact
    answer; a choice of age groups or cities stores only the category).
    """
    if not text or lang not in _PATTERNS:
        return None
    patterns, age, negation = _PATTERNS[lang]
    text = normalise(text)
    if not _ANY[lang].search(text):
        return None
    for sentence in sentences(text):
        if negation.search(sentence):
            continue
        for kind in _ORDER:
            pattern = patterns[kind]
            m = pattern.search(sentence)
            if m:
                return PiiHit(kind, m.group(0).strip(), lang)
        if free_text:
            m = age.search(sentence)
            if m:
                return PiiHit(EXACT_AGE, m.group(0).strip(), lang)
            m = _RESIDENCE[lang].search(sentence)
            if m:
                return PiiHit(ADDRESS, m.group(0).strip(), lang)
    return None


# ---------------------------------------------------------------- the rule ----------

_AGE_WORDS = {"en": _EN_AGE, "hi": _HI_AGE, "mr": _MR_AGE}


def check(form: Form) -> Iterator[Finding]:
    for q in form.all_questions:
        stores_text = q.type in TEXT_TYPES
        seen: set[tuple[str, str]] = set()
        for name in ("label", "hint", "prompt"):
            text = getattr(q, name)
            if text is None:
                continue
            for lang in LANGUAGES:
                hit = find_pii(text.get(lang, ""), lang, free_text=stores_text)
                if hit is None or (name, hit.kind) in seen:
                    continue
                seen.add((name, hit.kind))
                if hit.kind == EXACT_AGE:
                    yield finding(form, "lint.pii_exact_age", q.id, name, type=q.type,
                                  lang=lang, words=hit.words)
                else:
                    yield finding(form, f"lint.pii_{hit.kind}", q.id, name, lang=lang,
                                  part=name, words=hit.words)
        if q.type == "banded_number" and q.bands and _asks_age(q) and all(
                b.min is not None and b.max is not None and b.max - b.min < 1
                for b in q.bands):
            yield finding(form, "lint.pii_bands", q.id, "bands")


def _asks_age(q: Question) -> bool:
    return any(_AGE_WORDS[lang].search(normalise(q.label.get(lang, "")))
               for lang in LANGUAGES)


def raw_type_findings(raw: object, file: str) -> Iterator[Finding]:
    """Questions whose *type* would collect PII (photo, gps, signature...), from the raw
    YAML: the loader refuses those types as unknown; this says why it matters."""
    if not isinstance(raw, dict):
        return
    groups = []
    elig = raw.get("eligibility")
    if isinstance(elig, dict):
        groups.append(elig.get("questions"))
    for s in raw.get("sections") or []:
        if isinstance(s, dict):
            groups.append(s.get("questions"))
    for group in groups:
        for q in group if isinstance(group, list) else []:
            qtype = q.get("type") if isinstance(q, dict) else None
            if isinstance(qtype, str) and qtype.lower() in PII_TYPES:
                kind = PII_TYPES[qtype.lower()]
                yield Finding("lint.pii_type", file, q.get("id"), "type",
                              params={"type": qtype, "what": _WHAT[kind]})


_WHAT = {NAME: "names", OTHER_NAMES: "names", PHONE: "phone numbers", ADDRESS: "addresses",
         BIRTH_DATE: "dates of birth", EXACT_AGE: "exact numbers such as ages",
         ID_NUMBER: "ID numbers", PHOTO: "photos, video or voice recordings",
         SIGNATURE: "signatures", LOCATION: "GPS locations", EMAIL: "e-mail addresses",
         SOCIAL: "social-media handles", VEHICLE: "vehicle numbers"}
