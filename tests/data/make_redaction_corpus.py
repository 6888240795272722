"""Regenerate ``redaction_corpus.tsv``, the labelled corpus for the PII redactor.

    .venv/bin/python tests/data/make_redaction_corpus.py

Each TSV line is ``id <TAB> lang <TAB> category <TAB> text``; lang is en, hi, mr or
hi-Latn (romanized Hindi); category is ``pii`` (has identifiers), ``neg-<kind>``
(tricky text that must stay untouched: prices, years, law sections, ages,
percentages, case numbers, dates, counts, helplines...) or ``hard`` (identifiers
written in ways the redactor is not expected to catch; they keep recall honest).
Identifiers are marked inline as ``{{KIND|value}}``; the test strips the marks to get
the text and the gold spans.

All identifiers are random and fictitious (fixed seed): Aadhaar numbers get a valid
Verhoeff digit, but no number here was taken from a real person.
"""

from __future__ import annotations

import random
import string
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from fieldkit.privacy import verhoeff_digit  # noqa: E402

OUT = Path(__file__).with_name("redaction_corpus.tsv")
rng = random.Random(20261123)
DEVA = str.maketrans("0123456789", "०१२३४५६७८९")


def deva(s: str, lang: str, p: float = 0.4) -> str:
    return s.translate(DEVA) if lang in ("hi", "mr") and rng.random() < p else s


def digits(n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


def phone(lang: str) -> str:
    n = rng.choice("6789") + digits(9)
    body = rng.choice([
        n, f"{n[:5]}-{n[5:]}", f"{n[:5]} {n[5:]}", f"+91 {n}", f"+91-{n[:5]}-{n[5:]}",
        f"0{n}", f"+91 {n[:5]} {n[5:]}", f"{n[:3]}-{n[3:6]}-{n[6:]}", f"91 {n}",
        f"(+91) {n}", f"0 {n[:5]} {n[5:]}", f"+91{n}", f"{n[:4]} {n[4:7]} {n[7:]}"])
    return deva(body, lang)


def landline(lang: str) -> str:
    code, rest = rng.choice([("020", 8), ("022", 8), ("0712", 7), ("0251", 7), ("02525", 6)])
    n = rng.choice("2345") + digits(rest - 1)
    sep = rng.choice(["-", " "])
    return deva(f"{code}{sep}{n}", lang)


def aadhaar(lang: str) -> str:
    n = rng.choice("23456789") + digits(10)
    n += verhoeff_digit(n)
    sep = rng.choice([" ", " ", "-", ""])
    return deva(sep.join([n[:4], n[4:8], n[8:]]), lang)


def letters(n: int) -> str:
    return "".join(rng.choice(string.ascii_uppercase) for _ in range(n))


def pan(lang: str) -> str:
    return letters(3) + rng.choice("PPPPCHF") + letters(1) + digits(4) + letters(1)


def epic(lang: str) -> str:
    return letters(3) + digits(7)


def passport(lang: str) -> str:
    return letters(1) + rng.choice("123456789") + digits(5) + rng.choice("123456789")


def vehicle(lang: str) -> str:
    state = rng.choice(["MH"] * 6 + ["GJ", "KA", "DL", "MP"])
    rto = f"{rng.randint(1, 50):02d}"
    series = letters(rng.choice([1, 2, 2, 2]))
    num = f"{rng.randint(1, 9999):04d}"
    fmt = rng.randrange(4)
    if lang == "hi-Latn" and rng.random() < 0.3:
        return f"{state}{rto}{series}{num}".lower()
    return [f"{state} {rto} {series} {num}", f"{state}{rto}{series}{num}",
            f"{state}-{rto}-{series}-{num}", f"{state} {rto} {series}{num}"][fmt]


NAMES = ["ravi", "sunita", "amit.k", "pooja", "rahul", "neha", "sanjay", "kavita", "deepak",
         "priya", "vikas", "anjali", "manoj", "rekha", "suresh.p", "meena"]


def upi(lang: str) -> str:
    handle = rng.choice(["okaxis", "oksbi", "ybl", "paytm", "ibl", "upi", "axl", "okhdfcbank",
                         "okicici", "apl"])
    local = rng.choice(NAMES) + rng.choice(["", str(rng.randint(1, 999))])
    if rng.random() < 0.25:
        local = rng.choice("6789") + digits(9)
    return f"{local}@{handle}"


def ifsc(lang: str) -> str:
    return rng.choice(["SBIN", "HDFC", "ICIC", "UTIB", "BKID", "MAHB", "PUNB", "BARB"]) + "0" + \
        digits(6)


def email(lang: str) -> str:
    domain = rng.choice(["gmail.com", "yahoo.co.in", "rediffmail.com", "outlook.com",
                         "ngo.org.in", "hotmail.com"])
    return f"{rng.choice(NAMES)}{rng.choice(['', '.', '_'])}{rng.randint(1, 99)}@{domain}"


def pin(lang: str) -> str:
    n = rng.choice(["400", "401", "410", "411", "412", "421", "440", "441"]) + digits(3)
    return deva(rng.choice([n, n, f"{n[:3]} {n[3:]}"]), lang)


def geo(lang: str) -> str:
    lat = f"{rng.uniform(15.6, 22.0):.{rng.choice([4, 5, 6])}f}"
    lon = f"{rng.uniform(72.6, 80.9):.{rng.choice([4, 5, 6])}f}"
    return rng.choice([f"{lat}, {lon}", f"{lat},{lon}", f"{lat}° N, {lon}° E"])


def account(lang: str) -> str:
    return deva(rng.choice("123456789") + digits(rng.randint(10, 15)), lang)


GEN = {"PHONE": phone, "LANDLINE": landline, "AADHAAR": aadhaar, "PAN": pan,
       "VOTER_ID": epic, "PASSPORT": passport, "VEHICLE": vehicle, "UPI": upi, "IFSC": ifsc,
       "EMAIL": email, "PIN": pin, "ACCOUNT": account, "GEO": geo}

# Templates with slots {KIND}; each is filled several times with fresh values.
TEMPLATES: dict[str, list[str]] = {
    "en": [
        "He told the customers to call him on {PHONE} after 8 pm.",
        "The broker's number is {PHONE}, everyone in the lane knows it.",
        "Call {PHONE} or {PHONE} if the girl is not at the usual place.",
        "The agent kept her Aadhaar card {AADHAAR} with him.",
        "Aadhaar no. {AADHAAR} was written on the back of the photo.",
        "Money was sent by UPI to {UPI} every week.",
        "Pay the room charges to {UPI} before 10.",
        "The officer asked us to mail the list to {EMAIL}.",
        "Contact the NGO at {EMAIL} or on {PHONE}.",
        "His PAN {PAN} was on the rent agreement.",
        "The voter ID {VOTER_ID} belonged to the owner.",
        "Passport number {PASSPORT} was found during the raid.",
        "A white car {VEHICLE} comes to the lane every night.",
        "They used the auto {VEHICLE} to move the girls.",
        "Bank details: IFSC {IFSC}, account no. {ACCOUNT}.",
        "Transfer to account number {ACCOUNT} (IFSC {IFSC}).",
        "Address: Room 12, Kamathipura 4th lane, Mumbai {PIN}.",
        "She lives near the bus stand, Budhwar Peth, Pune - {PIN}.",
        "The lodge is on Station Road, Nagpur {PIN}, behind the temple.",
        "PIN code {PIN}, Thane west.",
        "Office landline {LANDLINE}, ask for the manager.",
        "Ring the lodge on {LANDLINE} before coming.",
        "His e-mail is {EMAIL} and his mobile {PHONE}.",
        "Use the number {PHONE}; the old one was blocked in 2022.",
        "Paid Rs 2000 to {UPI} for the room on 12 March.",
        "The lodge is at {GEO} on the map he sent.",
        "Location pin {GEO}, near the flyover.",
    ],
    "hi": [
        "उसका मोबाइल नंबर {PHONE} है।",
        "मुझे रात को {PHONE} पर फ़ोन करना।",
        "दलाल का नंबर {PHONE} सबको पता है।",
        "एजेंट ने उसका आधार कार्ड {AADHAAR} अपने पास रखा था।",
        "आधार नंबर {AADHAAR} फोटो के पीछे लिखा था।",
        "हर हफ़्ते पैसे {UPI} पर भेजे जाते थे।",
        "गाड़ी नंबर {VEHICLE} रोज़ रात को आती है।",
        "रिपोर्ट {EMAIL} पर भेज दीजिए।",
        "पैन कार्ड {PAN} किराये के कागज़ पर था।",
        "वोटर आईडी {VOTER_ID} मालिक का था।",
        "छापे में पासपोर्ट नंबर {PASSPORT} मिला।",
        "खाता नंबर {ACCOUNT}, IFSC कोड {IFSC} है।",
        "पता: गली नंबर 4, गंगा जमुना, नागपुर {PIN}।",
        "पिन कोड {PIN}, ठाणे।",
        "होटल का फ़ोन {LANDLINE} है।",
        "{PHONE} पर व्हाट्सऐप करो, फिर {UPI} पर पैसे भेजो।",
        "उसने लोकेशन {GEO} भेजी थी।",
    ],
    "mr": [
        "त्याचा मोबाईल क्रमांक {PHONE} आहे.",
        "रात्री {PHONE} या नंबरवर फोन करा.",
        "दलालाचा नंबर {PHONE} सगळ्यांना माहीत आहे.",
        "एजंटकडे तिचे आधार कार्ड {AADHAAR} होते.",
        "आधार क्रमांक {AADHAAR} फोटोच्या मागे लिहिला होता.",
        "दर आठवड्याला पैसे {UPI} वर पाठवले जात.",
        "{VEHICLE} ही गाडी रोज रात्री येते.",
        "अहवाल {EMAIL} वर पाठवा.",
        "भाडेकरारावर पॅन {PAN} होता.",
        "मतदार ओळखपत्र {VOTER_ID} मालकाचे होते.",
        "छाप्यात पासपोर्ट क्रमांक {PASSPORT} सापडला.",
        "बँक खाते क्रमांक {ACCOUNT}, IFSC {IFSC}.",
        "पत्ता: खोली 7, बुधवार पेठ, पुणे {PIN}.",
        "पिनकोड {PIN}, जिल्हा पालघर.",
        "लॉजचा फोन {LANDLINE} आहे.",
        "{PHONE} वर फोन करा आणि {UPI} वर पैसे द्या.",
        "त्याने लोकेशन {GEO} पाठवले.",
    ],
    "hi-Latn": [
        "mera number {PHONE} hai, raat ko call karna",
        "uska naya number {PHONE} hai, purana band ho gaya",
        "agent ke paas uska aadhar {AADHAAR} tha",
        "aadhaar card no {AADHAAR} photo ke peeche likha tha",
        "paise {UPI} pe bhej diye the",
        "gpay karo {UPI} pe, phir ladki milegi",
        "gaadi {VEHICLE} roz raat ko aati hai",
        "report {EMAIL} pe bhej do",
        "pan card {PAN} kiraye ke agreement pe tha",
        "voter id {VOTER_ID} maalik ka tha",
        "account no {ACCOUNT} ifsc {IFSC} pe transfer karo",
        "pata: gali no 5, Kamathipura, Mumbai {PIN}",
        "pin code {PIN} hai, Kalyan west",
        "whatsapp karo {PHONE} pe",
    ],
}

# Text that must be left untouched (category after "neg-").
NEGATIVES: list[tuple[str, str, str]] = [
    # prices
    ("en", "price", "Customers pay Rs 2000 to 5000 for a young girl."),
    ("en", "price", "After the raid the rate went up by ₹1,500 a night."),
    ("en", "price", "Rates were around 10000 rupees a night in 2019."),
    ("en", "price", "Rs. 150000 was paid as a bribe to stop the case."),
    ("en", "price", "A room costs INR 800 per hour near the station."),
    ("en", "price", "He paid 50,000 for the room and 1,50,000 for the girl."),
    ("en", "price", "The fine is up to Rs 2,00,000 under the act."),
    ("en", "price", "People pay ₹ 3000-4000 extra for a girl below 18."),
    ("hi", "price", "ग्राहक एक लड़की के लिए 2000 से 5000 रुपये देते हैं।"),
    ("hi", "price", "छापे के बाद दाम ₹१५०० बढ़ गया।"),
    ("hi", "price", "कमरे का किराया रु. 800 प्रति घंटा है।"),
    ("hi", "price", "रिश्वत में 1,50,000 रुपये दिए गए।"),
    ("mr", "price", "ग्राहक एका मुलीसाठी 2000 ते 5000 रुपये देतात."),
    ("mr", "price", "छाप्यानंतर दर ₹१५०० ने वाढला."),
    ("mr", "price", "खोलीचे भाडे ८०० रुपये तासाला आहे."),
    ("hi-Latn", "price", "log 2000 se 5000 rupaye dete hain ek ladki ke liye"),
    ("hi-Latn", "price", "raid ke baad rate 1500 badh gaya"),
    ("hi-Latn", "price", "room ka kiraya 800 rs per ghanta hai"),
    ("en", "price", "Rs 411005 was the total amount seized."),
    ("en", "price", "In Pune 150000 rupees were seized in one raid."),
    # years
    ("en", "year", "Between 2015 and 2020 around 1,200 girls were rescued."),
    ("en", "year", "The law was amended in 2013 after the Verma committee report."),
    ("en", "year", "There were 120 brothels in 2018 and 85 in 2023."),
    ("en", "year", "In 2022-23 the conviction rate was low."),
    ("hi", "year", "2015 से 2020 के बीच लगभग 1200 लड़कियों को छुड़ाया गया।"),
    ("hi", "year", "२०१८ में १२० कोठे थे और २०२३ में ८५।"),
    ("mr", "year", "२०१५ ते २०२० दरम्यान सुमारे १२०० मुलींची सुटका झाली."),
    ("mr", "year", "2013 मध्ये कायदा बदलला."),
    ("hi-Latn", "year", "2018 mein 120 kothe the, 2023 mein 85"),
    # law sections
    ("en", "section", "The case was registered under IPC 370 and 372."),
    ("en", "section", "Section 370A of the IPC was added in 2013."),
    ("en", "section", "Charges under POCSO section 4 and 6 were framed."),
    ("en", "section", "Sections 3, 4, 5 and 6 of the ITPA 1956 apply."),
    ("en", "section", "BNS section 143 replaced IPC 370 in 2024."),
    ("en", "section", "Most FIRs cite ITPA sections 5 and 7 with IPC 366A."),
    ("hi", "section", "मामला आईपीसी की धारा 370 और 372 में दर्ज हुआ।"),
    ("hi", "section", "पॉक्सो की धारा ४ और ६ लगाई गई।"),
    ("hi", "section", "बीएनएस धारा 143 ने 2024 में धारा 370 की जगह ली।"),
    ("mr", "section", "गुन्हा भादंवि कलम ३७० व ३७२ अंतर्गत नोंदवला."),
    ("mr", "section", "पोक्सो कलम 4 आणि 6 लावले गेले."),
    ("hi-Latn", "section", "case IPC 370 aur 372 mein darj hua"),
    ("hi-Latn", "section", "pocso section 4 laga diya"),
    # ages
    ("en", "age", "She was 15 years old when she was rescued."),
    ("en", "age", "Girls aged 13-18 are called young girls in this study."),
    ("en", "age", "The customer was 45 and the girl 16."),
    ("hi", "age", "छुड़ाए जाने के समय वह 15 साल की थी।"),
    ("hi", "age", "लड़की की उम्र १६ वर्ष थी।"),
    ("mr", "age", "सुटका झाली तेव्हा ती १५ वर्षांची होती."),
    ("mr", "age", "मुलीचे वय 16 वर्षे होते."),
    ("hi-Latn", "age", "ladki 16 saal ki thi, customer 45 ka"),
    # percentages
    ("en", "percent", "About 40% of cases involve online contact."),
    ("en", "percent", "Conviction rate was 12.5 percent in 2022."),
    ("hi", "percent", "लगभग 40% मामलों में ऑनलाइन संपर्क होता है।"),
    ("hi", "percent", "करीब ६० प्रतिशत लोग रिपोर्ट नहीं करते।"),
    ("mr", "percent", "सुमारे ६० टक्के लोक तक्रार करत नाहीत."),
    ("mr", "percent", "४०% प्रकरणांत मोबाईलचा वापर होतो."),
    ("hi-Latn", "percent", "lagbhag 40 percent case online hote hain"),
    # case numbers and dates
    ("en", "case", "FIR No. 245/2021 was registered at the police station."),
    ("en", "case", "C.R. No. 112/2022 under section 370 is pending."),
    ("en", "case", "Case number 1234 of 2020 has been pending for 3 years."),
    ("en", "case", "Sessions case 567/2019 ended in acquittal on 12/05/2023."),
    ("en", "case", "CNR MHPU010012342021 is listed for hearing."),
    ("en", "case", "Special case no. 88/2020 under POCSO was decided in 2022."),
    ("hi", "case", "एफआईआर नंबर 245/2021 थाने में दर्ज हुई।"),
    ("hi", "case", "केस नंबर १२३४/२०२० तीन साल से लंबित है।"),
    ("mr", "case", "गुन्हा रजिस्टर क्रमांक ११२/२०२२ प्रलंबित आहे."),
    ("mr", "case", "सत्र खटला 567/2019 मध्ये निर्दोष सुटका झाली."),
    ("hi-Latn", "case", "FIR no 245/2021 thane mein darj hui"),
    ("en", "date", "The hearing is on 12/05/2024 at 11:30."),
    ("en", "date", "The raid was on 25-12-2023 at about 10.45 pm."),
    ("hi", "date", "सुनवाई 12.05.2024 को है।"),
    ("mr", "date", "छापा २५-१२-२०२३ रोजी रात्री झाला."),
    # counts and other numbers
    ("en", "count", "Raids happen 2-3 times a month in Kamathipura."),
    ("en", "count", "More than 3000000 views were counted on the video."),
    ("en", "count", "In Pune 150000 people live near the area."),
    ("en", "count", "Mumbai 400 girls were counted in the survey."),
    ("en", "count", "There are 4 lanes and about 600 rooms."),
    ("en", "count", "The NCRB table lists 2,250 cases for Maharashtra."),
    ("en", "count", "Call 1098 (Childline) or 112 in an emergency."),
    ("en", "count", "Dial 100 for police, 1091 for the women helpline."),
    ("en", "count", "The video had 9876543 views in a week."),
    ("hi", "count", "महीने में 2-3 बार छापे पड़ते हैं।"),
    ("hi", "count", "आपात स्थिति में 1098 या 112 पर कॉल करें।"),
    ("hi", "count", "पुणे 150000 लोग इस इलाके में रहते हैं।"),
    ("mr", "count", "महिन्यातून २-३ वेळा छापे पडतात."),
    ("mr", "count", "आपत्कालीन परिस्थितीत 1098 किंवा 112 वर फोन करा."),
    ("mr", "count", "सुमारे ६०० खोल्या आणि ४ गल्ल्या आहेत."),
    ("hi-Latn", "count", "mahine mein 2-3 baar raid padti hai"),
    ("hi-Latn", "count", "1098 pe call karo agar bachchi dikhe"),
    ("hi-Latn", "count", "3 ya 5 2000 ke note diye"),
    ("en", "count", "Prices went up 12 2023 style; or 5 2000-rupee notes."),
    ("en", "misc", "Room B12 and flat A101 were empty."),
    ("en", "misc", "Meet @ 5pm near the station; rates@500 were quoted."),
    ("en", "misc", "The ISBN of the report is 9780140449136."),
    ("en", "misc", "Form version 1.0, hash stored, 32 questions."),
    ("en", "misc", "Most customers were drivers, labourers or students."),
    ("en", "misc", "Training on cyber crime was the most helpful topic."),
    ("en", "misc", "Technology is used in about half of the cases."),
    ("hi", "misc", "ज़्यादातर ग्राहक ड्राइवर, मज़दूर या छात्र थे।"),
    ("hi", "misc", "पुलिस को साइबर अपराध पर प्रशिक्षण मिला।"),
    ("mr", "misc", "बहुतेक ग्राहक चालक, मजूर किंवा विद्यार्थी होते."),
    ("mr", "misc", "पोलिसांना सायबर गुन्ह्यांचे प्रशिक्षण मिळाले."),
    ("hi-Latn", "misc", "zyada tar customer driver ya student the"),
    ("hi-Latn", "misc", "online mein risk kam lagta hai logon ko"),
    ("en", "misc", "The station code is st01 and the enumerator e07."),
    ("en", "misc", "Version 2.3.1 of the app was installed on 14 phones."),
    ("en", "misc", "Temperature was 38.5 degrees; 2 km from the station."),
    ("en", "misc", "Toll-free helpline 1800-233-4567 is run by the state."),
    ("en", "misc", "Scores were 19.5, 72.25 and 80.1 on the three scales."),
    ("en", "misc", "Version 12.3456, 78.9 MB download."),
    ("en", "count", "The survey covered 6 cities, 9 sites and 1,400 respondents."),
    ("en", "price", "The rate was 9500-12000 per night in 2023."),
    ("hi", "price", "एक रात का रेट 9500-12000 था।"),
    ("en", "time", "The lane is busiest from 21:30 to 02:00."),
    ("mr", "time", "गल्ली रात्री ९:३० ते २:०० सर्वाधिक गजबजलेली असते."),
    ("en", "year", "Cases in 2019: 410, in 2020: 312, in 2021: 298."),
    ("en", "section", "Under section 370(4) and 370(5) the punishment is 10 years."),
    ("hi", "section", "धारा 370(4) में 10 साल की सज़ा है।"),
    ("en", "age", "Ages 18-25: 40%, 26-35: 35%, 36-60: 25%."),
]

HARD: list[tuple[str, str]] = [
    ("en", "Call him on {{PHONE|98765/43210}} after dark."),
    ("en", "His number is {{PHONE|nine eight seven six five four three two one zero}}."),
    ("en", "Write to {{EMAIL|ravi dot k at gmail dot com}}."),
    ("en", "Call {{PHONE|98765}} and then {{PHONE|43210}}, the rest he will tell you."),
    ("hi-Latn", "number {{PHONE|98 76 54 32 10}} hai"),
    ("en", "Aadhaar {{AADHAAR|2341.2341.2346}} was shown."),
    ("hi", "उसका नंबर {{PHONE|नौ आठ सात छह पांच चार तीन दो एक शून्य}} है।"),
]


def main() -> None:
    lines: list[tuple[str, str, str]] = []
    reps = {"en": 5, "hi": 5, "mr": 5, "hi-Latn": 5}
    for lang, templates in TEMPLATES.items():
        for template in templates:
            for _ in range(reps[lang]):
                lines.append((lang, "pii", _fill_marked(template, lang)))
    for lang, cat, text in NEGATIVES:
        lines.append((lang, f"neg-{cat}", text))
    for lang, text in HARD:
        lines.append((lang, "hard", text))
    with OUT.open("w", encoding="utf-8") as fh:
        fh.write("# id\tlang\tcategory\ttext  (generated by make_redaction_corpus.py)\n")
        for i, (lang, cat, text) in enumerate(lines, start=1):
            assert "\t" not in text and "\n" not in text
            fh.write(f"{i}\t{lang}\t{cat}\t{text}\n")
    print(f"{len(lines)} lines -> {OUT}")


def _fill_marked(template: str, lang: str) -> str:
    parts: list[str] = []
    rest = template
    while "{" in rest:
        start = rest.index("{")
        end = rest.index("}", start)
        slot = rest[start + 1:end]
        kind = "PHONE" if slot == "LANDLINE" else slot
        parts.append(rest[:start])
        parts.append("{{" + kind + "|" + GEN[slot](lang) + "}}")
        rest = rest[end + 1:]
    parts.append(rest)
    return "".join(parts)


if __name__ == "__main__":
    main()
