"""PII rule: questions that would collect identifying details are errors -- by wording
in English, Hindi and Marathi, and by type -- while instructions not to give them,
banded ages and questions about places and roles pass."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from fieldkit.forms.lint.pii import find_pii

sys.path.insert(0, str(Path(__file__).resolve().parent / "lint_cases"))
from lint_support import add_question, codes, lint_variant, question, text  # noqa: E402

ASKS = [
    # (lang, text, kind)
    ("en", "What is your name?", "name"),
    ("en", "Please write your full name.", "name"),
    ("en", "Respondent's name", "name"),
    ("en", "What is the name of the pimp you deal with?", "other_names"),
    ("en", "Give the names of the police officers who took bribes.", "other_names"),
    ("en", "What is his name?", "other_names"),
    ("en", "What is your mobile number?", "phone"),
    ("en", "Phone no. for follow-up", "phone"),
    ("en", "WhatsApp number", "phone"),
    ("en", "What is your home address?", "address"),
    ("en", "Where exactly do you live? Give the house number.", "address"),
    ("en", "PIN code of your area", "address"),
    ("en", "What is your date of birth?", "birth_date"),
    ("en", "DOB (dd/mm/yyyy)", "birth_date"),
    ("en", "Aadhaar number", "id_number"),
    ("en", "Please note your PAN card number.", "id_number"),
    ("en", "Voter ID number", "id_number"),
    ("en", "Take a photo of the respondent.", "photo"),
    ("en", "Upload your selfie.", "photo"),
    ("en", "Signature of the respondent", "signature"),
    ("en", "Please sign here.", "signature"),
    ("en", "Record the GPS coordinates of the interview.", "location"),
    ("en", "Share your current location.", "location"),
    ("en", "What is your e-mail address?", "email"),
    ("en", "What is your Instagram handle?", "social_handle"),
    ("en", "Facebook profile link", "social_handle"),
    ("en", "What is your vehicle number?", "vehicle_number"),
    ("en", "Note the number plate of the car.", "vehicle_number"),
    ("hi", "आपका नाम क्या है?", "name"),
    ("hi", "आपका पूरा नाम लिखिए।", "name"),
    ("hi", "उस दलाल का नाम क्या है?", "other_names"),
    ("hi", "रिश्वत लेने वाले अधिकारियों के नाम बताइए।", "other_names"),
    ("hi", "आपका मोबाइल नंबर क्या है?", "phone"),
    ("hi", "फ़ोन नंबर", "phone"),
    ("hi", "आपका पता क्या है?", "address"),
    ("hi", "घर का पता लिखिए।", "address"),
    ("hi", "आपकी जन्म तिथि क्या है?", "birth_date"),
    ("hi", "जन्म की तारीख", "birth_date"),
    ("hi", "आधार नंबर", "id_number"),
    ("hi", "पैन कार्ड नंबर", "id_number"),
    ("hi", "मतदाता पहचान पत्र संख्या", "id_number"),
    ("hi", "उत्तरदाता की तस्वीर लीजिए।", "photo"),
    ("hi", "उत्तरदाता के हस्ताक्षर", "signature"),
    ("hi", "साक्षात्कार की जीपीएस लोकेशन दर्ज करें।", "location"),
    ("hi", "आपका ईमेल पता क्या है?", "email"),
    ("hi", "आपकी फेसबुक आईडी क्या है?", "social_handle"),
    ("hi", "आपकी गाड़ी का नंबर क्या है?", "vehicle_number"),
    ("mr", "तुमचे नाव काय आहे?", "name"),
    ("mr", "तुमचे पूर्ण नाव लिहा.", "name"),
    ("mr", "त्या दलालाचे नाव काय आहे?", "other_names"),
    ("mr", "लाच घेणाऱ्या अधिकाऱ्यांची नावे सांगा.", "other_names"),
    ("mr", "तुमचा मोबाइल नंबर काय आहे?", "phone"),
    ("mr", "संपर्क क्रमांक", "phone"),
    ("mr", "तुमचा पत्ता काय आहे?", "address"),
    ("mr", "तुमची जन्मतारीख काय आहे?", "birth_date"),
    ("mr", "आधार क्रमांक", "id_number"),
    ("mr", "पॅन कार्ड क्रमांक", "id_number"),
    ("mr", "मतदार ओळखपत्र क्रमांक", "id_number"),
    ("mr", "उत्तरदात्याचा फोटो काढा.", "photo"),
    ("mr", "उत्तरदात्याची स्वाक्षरी", "signature"),
    ("mr", "येथे सही करा.", "signature"),
    ("mr", "मुलाखतीचे जीपीएस लोकेशन नोंदवा.", "location"),
    ("mr", "तुमचा ई-मेल पत्ता काय आहे?", "address"),
    ("mr", "तुमचे इन्स्टाग्राम खाते कोणते आहे?", "social_handle"),
    ("mr", "तुमच्या गाडीचा नंबर काय आहे?", "vehicle_number"),
    ("mr", "वाहनाचा क्रमांक", "vehicle_number"),
]

FINE = [
    ("en", "In which city is this interview taking place?"),
    ("en", "Please do not mention any names."),
    ("en", "Do not write down the respondent's phone number or address."),
    ("en", "What do you think people use mobile phones for: to share photos, to call brokers?"),
    ("en", "How do police usually address complaints from the community?"),
    ("en", "What is your age group?"),
    ("en", "Who do you think plays a role in combating child prostitution in your city?"),
    ("en", "How widely are social media sites like WhatsApp and Facebook used by traffickers?"),
    ("en", "Based on what you know, is it legal to ask for an ID card at a lodge?"),
    ("en", "What is the punishment for buying sex from a minor?"),
    ("hi", "कृपया किसी का नाम न लें।"),
    ("hi", "आपको क्या लगता है, लोगों को यह पता है कि यह अपराध है?"),
    ("hi", "आप जो जानते हैं उसके आधार पर बताइए।"),
    ("hi", "उत्तरदाता का नाम, फ़ोन नंबर या पता न लिखें।"),
    ("hi", "आपकी उम्र किस वर्ग में है?"),
    ("hi", "लोग सोशल मीडिया जैसे व्हाट्सऐप और फेसबुक का कितना इस्तेमाल करते हैं?"),
    ("hi", "पता नहीं"),
    ("hi", "क्या आपको पता है कि पुलिस छापे कब मारती है?"),
    ("mr", "कृपया कोणाचेही नाव घेऊ नका."),
    ("mr", "तुमचे नाव, फोन नंबर किंवा पत्ता लिहिला जाणार नाही."),
    ("mr", "तुमचा वयोगट कोणता आहे?"),
    ("mr", "लोक व्हॉट्सॲप आणि फेसबुकसारख्या सोशल मीडियाचा किती वापर करतात?"),
    ("mr", "ही मुलाखत कोणत्या शहरात होत आहे?"),
    ("mr", "कमी वयाच्या मुली या धंद्यात का आहेत असे तुम्हाला वाटते?"),
    ("mr", "माहीत नाही"),
]


@pytest.mark.parametrize(("lang", "words", "kind"), ASKS)
def test_wording_that_asks_for_pii_is_found(lang: str, words: str, kind: str) -> None:
    hit = find_pii(words, lang)
    assert hit is not None, f"missed {kind}: {words}"
    assert hit.kind == kind or (kind, hit.kind) in {("address", "email")}


@pytest.mark.parametrize(("lang", "words"), FINE)
def test_instructions_and_band_questions_pass(lang: str, words: str) -> None:
    assert find_pii(words, lang) is None


@pytest.mark.parametrize(("lang", "words"), [
    ("en", "How old are you?"), ("en", "What is your exact age?"),
    ("en", "In which year were you born?"),
    ("hi", "आपकी उम्र कितनी है?"), ("hi", "आप कितने साल के हैं?"),
    ("mr", "तुमचे वय किती आहे?"), ("mr", "तुम्ही किती वर्षांचे आहात?"),
])
def test_exact_age_only_where_the_type_stores_it(lang: str, words: str) -> None:
    assert find_pii(words, lang) is None
    hit = find_pii(words, lang, free_text=True)
    assert hit is not None and hit.kind == "exact_age"


def test_kinds_are_all_tested() -> None:
    from fieldkit.forms.lint.pii import KINDS
    tested = {k for _, _, k in ASKS} | {"exact_age"}
    assert tested == set(KINDS)
    for lang in ("en", "hi", "mr"):
        assert sum(1 for lg, _, _ in ASKS if lg == lang) >= 15


# --- the rule on whole forms ----------------------------------------------------------

def test_name_question_in_a_form_is_an_error_naming_file_question_and_field(
        tmp_path: Path) -> None:
    findings = lint_variant(tmp_path, lambda d: add_question(d, {
        "id": "resp_name", "type": "text",
        "label": text("What is your name?", "आपका नाम क्या है?", "तुमचे नाव काय आहे?")}))
    hits = [f for f in findings if f.code == "lint.pii_name"]
    assert len(hits) == 1          # one finding per problem, not one per language
    f = hits[0]
    assert f.severity == "error" and f.question == "resp_name" and f.field == "label"
    assert f.file.endswith("good.yaml")
    assert "name" in f.message() and f.fix()


def test_pii_only_in_the_hindi_is_still_found(tmp_path: Path) -> None:
    findings = lint_variant(tmp_path, lambda d: add_question(d, {
        "id": "contact", "type": "text",
        "label": text("How can people get help?", "आपका मोबाइल नंबर क्या है?",
                      "लोकांना मदत कशी मिळू शकते?")}))
    hits = [f for f in findings if f.code == "lint.pii_phone"]
    assert hits and hits[0].params["lang"] == "hi"


def test_exact_age_in_a_text_question_but_not_in_bands(tmp_path: Path) -> None:
    findings = lint_variant(tmp_path, lambda d: add_question(d, {
        "id": "age_text", "type": "text",
        "label": text("How old are you?", "आपकी उम्र कितनी है?", "तुमचे वय किती आहे?")}))
    assert [f.question for f in findings if f.code == "lint.pii_exact_age"] == ["age_text"]
    # the banded screening question with the same wording is fine
    assert "age_band" not in {f.question for f in findings}


def test_single_year_age_bands_store_the_exact_age(tmp_path: Path) -> None:
    def change(d: dict) -> None:
        question(d, "age_band")["bands"] = [
            {"code": f"y{n}", "min": n, "max": n, "label": text(str(n), str(n), str(n))}
            for n in range(18, 22)]
        d["eligibility"]["eligible_if"] = "answered(age_band)"
    assert "lint.pii_bands" in codes(lint_variant(tmp_path, change))


def test_pii_question_types_are_refused_with_the_reason(tmp_path: Path) -> None:
    findings = lint_variant(tmp_path, lambda d: add_question(d, {
        "id": "where", "type": "geopoint", "label": text("Location", "स्थान", "ठिकाण")}))
    assert {"form.unknown_type", "lint.pii_type"} <= codes(findings)
    f = next(f for f in findings if f.code == "lint.pii_type")
    assert f.question == "where" and f.field == "type" and "GPS" in f.message()


def test_instruction_not_to_record_names_passes(tmp_path: Path) -> None:
    # good.yaml's long-text question carries "Please do not mention any names."
    findings = lint_variant(tmp_path, lambda d: None)
    assert findings == []


def test_study_wording_confirming_no_names_passes() -> None:
    assert find_pii("Thank the respondent. Confirm that no names of persons or cases were "
                    "written.", "en") is None


@pytest.mark.parametrize(("lang", "words"), [
    ("en", "Where do you live?"), ("en", "Which area do you live in?"),
    ("en", "What is the name of your village?"),
    ("hi", "आप कहाँ रहते हैं?"), ("hi", "आप किस मोहल्ले में रहते हैं?"),
    ("mr", "तुम्ही कुठे राहता?"), ("mr", "तुम्ही कोणत्या भागात राहता?"),
])
def test_where_someone_lives_only_in_free_text(lang: str, words: str) -> None:
    assert find_pii(words, lang) is None                 # a choice of cities is fine
    hit = find_pii(words, lang, free_text=True)
    assert hit is not None and hit.kind == "address"
