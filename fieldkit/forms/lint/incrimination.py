"""Self-incrimination: forms with ``risk_level: offender_exposure`` must not ask the
respondent about their own acts -- past, present or intended.

The study asks traffickers and customers what *people* do and think ("How easy do you
think it is for people to find..."), never what the respondent did ("Have you ever
paid..."). The rule finds a first- or second-person subject (you / I; आप, तुम, तू,
आपने, मैं; तुम्ही, आपण, तू, मी) that is the doer of an action verb. Perception frames
("do you think", "in your opinion", "आपको क्या लगता है", "तुमच्या मते") are taken out
first, so "Do you think people pay more?" is fine while "Do you think you would pay
more?" is not. Verbs fall in classes:

- thinking and saying (think, say, know, लगता, मानते, वाटते, म्हणाल) never count;
- answering the interview (skip, stop, answer, भाग लेना, उत्तर देणे) never counts;
- everyday verbs (live, work, study, रहते, काम करते, राहता) and wanting (want, prefer,
  चाहेंगे, आवडेल) count only next to the words of the trade (brothel, girls, bribe,
  कोठा, दलाल, कुंटणखाना, मुली);
- every other verb after "do/did/have/will/would you", and the listed action verbs of
  Hindi and Marathi, count.

``find_self_reference(text, lang)`` returns the offending words or None; the rule
checks labels, hints, interviewer prompts and option labels.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from fieldkit.forms.findings import Finding
from fieldkit.forms.lint._base import TextSpot, finding, question_texts
from fieldkit.forms.lint._text import normalise, sentences_with_ends, tokens
from fieldkit.forms.model import Form
from fieldkit.i18n import LANGUAGES


@dataclass(frozen=True)
class SelfReference:
    phrase: str
    lang: str


# ---------------------------------------------------------------- English -----------

_EN_CONTRACTIONS = (
    (r"\bwon't\b", "will not"), (r"\bcan't\b", "can not"), (r"\bcannot\b", "can not"),
    (r"\bshan't\b", "shall not"), (r"n't\b", " not"), (r"\byou've\b", "you have"),
    (r"\byou'd\b", "you would"), (r"\byou're\b", "you are"), (r"\byou'll\b", "you will"),
    (r"\bi've\b", "i have"), (r"\bi'd\b", "i would"), (r"\bi'm\b", "i am"),
    (r"\bi'll\b", "i will"), (r"\by'all\b", "you"), (r"\bu\b", "you"),
)
_EN_AUX = frozenset("do does did have has had will would could can should shall might may "
                    "must are were was am is".split())
_EN_BE = frozenset("are were was am is be been being".split())
_EN_CHAIN = frozenset("have has had be been being not".split())
_EN_ADVERBS = frozenset(
    "ever yourself myself personally last recently already still usually sometimes often "
    "regularly also now really actually just even normally generally typically currently "
    "never once again yet previously mostly frequently always then ever since".split())
_EN_COG = frozenset(
    "think thought thinks believe believed feel felt say said know knew known agree agreed "
    "disagree consider considered expect expected imagine imagined suppose supposed guess "
    "estimate reckon understand understood hear heard recall remember remembered notice "
    "noticed observe observed see seen saw mean meant perceive perceived hope worry fear "
    "trust support oppose find found learn learnt learned read recommend suggest "
    "rate rank mark tick circle indicate specify list describe explain share add mention "
    "elaborate clarify comment repeat tell told speak talk listen ask answer skip stop "
    "continue participate consent withdraw refuse decline pause leave wish "
    # the interviewer's own work, in prompts: "confirm that you did not write any names"
    "write wrote written record recorded note noted show showed read remind probe "
    "check checked confirm confirmed".split())
# `find` is a thinking verb only in "do you find it easy"; as "find a girl" it is an act.
_EN_COG_NEEDS_IT = frozenset({"find", "found"})
_EN_BENIGN = frozenset(
    "live lived living reside resided work worked working study studied studying belong "
    "come came move moved migrate migrated grow grew born travel travelled traveled vote "
    "voted serve served join joined own owned report reported inform informed complain "
    "complained help helped intervene intervened have has had having speak stay stayed "
    "earn earned drive drove receive received posted stationed employed based trained "
    "married educated transferred appointed promoted".split())
_EN_DESIRE = frozenset("like liked prefer preferred want wanted need needed choose chose "
                       "select pick enjoy enjoyed".split())
# words that follow "you" but are not verbs: "you a", "you in", "you for"
_EN_NOT_VERB = frozenset(
    "a an the in at from with for of about on this that these those there here what "
    "which how why when where who whom whose and or if please any some all many much "
    "more most less people your my our their his her its it they them we us he she me "
    "him to as by so".split())
_EN_ACT = frozenset(
    "pay paid pays paying buy bought buying sell sold selling visit visited visiting go "
    "went gone going take took taken taking bring brought meet met use used using hire "
    "hired keep kept recruit recruited arrange arranged book booked give gave given get "
    "got make made spend spent engage engaged run ran manage managed offer offered send "
    "sent call called contact contacted do did done sleep slept hide hid bribe bribed "
    "transport transported employ employed supply supplied provide provided deal dealt "
    "negotiate negotiated charge charged force forced sleep lure lured hit beat "
    "touch touched".split())
_EN_STATE_INCRIMINATING = frozenset(
    "arrested caught charged convicted booked detained jailed prosecuted accused fined "
    "raided questioned".split())
_EN_IDENTITY = frozenset(
    "customer customers client clients pimp pimps broker brokers trafficker traffickers "
    "madam gharwali dalal procurer agent".split())
_EN_INVOLVED = frozenset(
    "involved engaged part member owner keeper manager employed associated connected "
    "working active interested paying".split())
_EN_TRADE = frozenset(
    "brothel brothels pimp pimps broker brokers madam gharwali dalal trafficker "
    "traffickers trafficking prostitution prostitute prostitutes sex sexual minor minors "
    "underage girl girls bribe bribes bribery raid raids customer customers client "
    "clients escort escorts lodge lodges money".split())
# "your business", "your girls": the respondent's own trade
_EN_OWN_TRADE = frozenset("business trade brothel brothels girls customers clients lodge "
                          "dhanda earnings income work".split())
_EN_TRADE_PHRASES = (("this", "business"), ("this", "trade"), ("this", "work"),
                     ("the", "business"), ("red", "light"), ("this", "line"))
_EN_FOR = frozenset({"for", "under", "with", "by"})   # "girls work for you", "easy for you"
_EN_COMPARE = frozenset({"like", "than", "as", "thank"})
_EN_GIVER = frozenset("offered sold given gave paid brought sent showed shown charged "
                      "asked forced pay offer give sell send force hire hired ask".split())
# "would you consider paying", "did you stop visiting": the -ing verb is the act
_EN_GERUND_TAKERS = frozenset("consider considered mind risk enjoy enjoyed try tried keep "
                              "kept start started stop stopped avoid avoided continue "
                              "continued".split())

_EN_FRAMES = re.compile(
    r"\b(in|from|to) (your|my) (own )?(opinion|view|estimate|estimation|understanding|"
    r"knowledge|experience|mind|judgement|judgment)\b|"
    r"\bbased on (your|my|what you|what i) [a-z ]{0,30}?(know|knowledge|understanding|"
    r"heard|seen|experience)\b|"
    r"\bas far as (you|i) (know|can tell|are aware|have heard)\b|"
    r"\baccording to (you|me)\b")


def _en_trade_context(toks: list[str]) -> bool:
    if any(t in _EN_TRADE for t in toks):
        return True
    pairs = set(zip(toks, toks[1:]))
    return any(p in pairs for p in _EN_TRADE_PHRASES)


def _en_prepare(text: str) -> str:
    text = normalise(text)
    for pattern, repl in _EN_CONTRACTIONS:
        text = re.sub(pattern, repl, text)
    return _EN_FRAMES.sub(" , ", text)


def _en_sentence(toks: list[str], question: bool = True) -> str | None:
    trade = _en_trade_context(toks)

    for i, word in enumerate(toks[:-1]):
        if word == "your" and toks[i + 1] in _EN_OWN_TRADE and (
                toks[i + 1] != "work" or trade):
            return " ".join(toks[i:i + 2])

    def near(a: int, b: int) -> bool:
        """Trade words close to the verb phrase toks[a..b]."""
        return trade and _en_trade_context(toks[max(0, a - 3):b + 6])
    for i, word in enumerate(toks):
        if word not in ("you", "i"):
            continue
        prev = toks[i - 1] if i else ""
        if prev in _EN_COMPARE:
            continue                                   # "people like you", "thank you"
        if trade and word == "you" and (prev in _EN_GIVER or prev in _EN_FOR):
            return " ".join(toks[max(0, i - 2):i + 3])  # "offered you a girl"
        inverted = prev in _EN_AUX
        chain: list[str] = [prev] if inverted else []
        j = i + 1
        while j < len(toks) and (toks[j] in _EN_ADVERBS or toks[j] in _EN_CHAIN
                                 or (toks[j] in _EN_AUX and not inverted)):
            if toks[j] not in _EN_ADVERBS and toks[j] != "not":
                chain.append(toks[j])
            j += 1
        if j >= len(toks):
            continue
        verb = toks[j]
        start = i - 1 if inverted else i
        phrase = " ".join(toks[start:j + 1])
        if verb == "to":
            if chain and chain[-1] == "been":            # "have you been to a brothel"
                return " ".join(toks[start:j + 3])
            if chain and chain[-1] in ("have", "has", "had"):   # "did you have to pay"
                j += 1
                if j >= len(toks):
                    continue
                verb, chain = toks[j], []
                phrase = " ".join(toks[start:j + 1])
            else:
                continue
        if not question and not inverted and chain and chain[0] in _EN_PERMISSION:
            continue            # "You can call Childline on 1098." tells, does not ask
        is_be = bool(chain) and chain[-1] in _EN_BE
        if not chain and verb not in (_EN_ACT | _EN_BENIGN | _EN_DESIRE | _EN_COG) \
                and not verb.endswith("ed"):
            continue                                    # "you" as an object: "ask you"
        if is_be:
            hit = _en_state(toks, j, trade, near(start, j))
        else:
            hit = _en_verb(toks, j, trade, near(start, j))
        if hit:
            return " ".join(toks[start:hit + 1]) if hit > j else phrase
    return None


def _en_state(toks: list[str], j: int, trade: bool, near: bool) -> int:
    """After "are you"/"have you been": index of the offending word, or 0."""
    verb = toks[j]
    if verb in ("going", "planning", "willing", "able", "likely", "ready", "trying",
                "intending", "prepared", "allowed", "supposed", "used") \
            and j + 1 < len(toks) and toks[j + 1] == "to" and j + 2 < len(toks):
        return _en_verb(toks, j + 2, trade, near)
    if verb in _EN_STATE_INCRIMINATING:
        return j
    if verb.endswith("ing") and len(verb) > 5 and verb not in _EN_INVOLVED:
        if verb in _EN_ACT or (trade and verb[:-3] not in _EN_COG):
            return j
        return 0
    if verb.endswith("ed") or verb in ("paid", "given", "sold", "offered", "found",
                                      "kept", "brought", "taken"):
        if verb in _EN_COG or verb in _EN_BENIGN or verb in _EN_DESIRE:
            return 0
        return j
    window = toks[j:j + 6]
    for k, w in enumerate(window):
        if w in _EN_IDENTITY or w in _EN_STATE_INCRIMINATING:
            return j + k
        if w in _EN_INVOLVED and near:
            return j + k
    return 0


def _en_verb(toks: list[str], j: int, trade: bool, near: bool) -> int:
    verb = toks[j]
    nxt = toks[j + 1] if j + 1 < len(toks) else ""
    if verb in _EN_GERUND_TAKERS and nxt.endswith("ing") and len(nxt) > 4:
        return _en_verb(toks, j + 1, trade, near)
    if verb in _EN_COG_NEEDS_IT:
        return 0 if nxt in ("it", "that") else j
    if verb in _EN_NOT_VERB:
        return 0
    if verb in ("take", "took", "taking") and nxt in ("part", "a", "your", "time"):
        return 0 if not trade or nxt != "a" else j
    if verb in ("give", "gave") and nxt in ("an", "examples", "details", "your", "us", "me",
                                           "reasons", "any"):
        return 0 if not trade else j
    if verb in _EN_COG:
        return 0
    if verb in _EN_DESIRE and nxt == "to" and j + 2 < len(toks):
        return _en_verb(toks, j + 2, trade, near)    # "would you like to tell us"
    if verb in _EN_BENIGN or verb in _EN_DESIRE:
        return j if near else 0
    if verb in ("do", "did", "done") and nxt == "for":     # "what do you do for a living"
        return 0
    return j


_EN_PERMISSION = frozenset({"can", "may", "could", "might"})


def _english(text: str) -> str | None:
    prepared = _en_prepare(text)
    for sentence, question in sentences_with_ends(prepared):
        hit = _en_sentence(re.findall(r"[a-z0-9]+", sentence), question)
        if hit:
            return hit
    return None


# ------------------------------------------------------- Hindi and Marathi --------------

def _forms(stems: Iterable[str], suffixes: Iterable[str]) -> frozenset[str]:
    sfx = tuple(suffixes)
    return frozenset(s + x for s in stems for x in sfx)


_HI_CONS = ("ते", "ती", "ता", "ना", "ने", "नी", "ा", "े", "ी", "ीं", "ें", "ेंगे", "ेंगी",
            "ेगा", "ेगी", "ोगे", "ोगी", "ूंगा", "ूंगी", "कर", "िए", "िये", "ो")
_HI_VOW = ("ते", "ती", "ता", "ना", "ने", "नी", "या", "ये", "यी", "ई", "ए", "एंगे", "एंगी",
           "एगा", "एगी", "ओगे", "ओगी", "ऊंगा", "कर", "इए", "ओ", "एं", "ने")
_HI_CONS_STEMS = ("खरीद", "बेच", "ढूंढ", "खोज", "भेज", "रख", "पकड", "मांग", "पहुंच",
                  "लौट", "बिक", "सौंप", "मार", "भर", "पटा", "संभाल", "सम्भाल")
_HI_VOW_STEMS = ("ला", "चला", "बुला", "चुका", "बचा", "उठा", "कमा", "बिता", "फुसला", "छुपा",
                 "छिपा", "सुला", "घुमा", "पहुंचा", "मंगा", "मंगवा", "भगा", "फंसा")
# bare stems are verbs before these: "खरीद रहे हैं", "ले गए", "दे सकते"
_HI_STEM_BEFORE = frozenset("रहे रहा रही रहीं चुके चुका चुकी सकते सकती सकता पाए पाते पाती "
                            "दिया दिए दी लिया लिए गए गया गई डाला डाले".split())
_HI_ACT = (
    _forms(_HI_CONS_STEMS, _HI_CONS)
    | _forms(_HI_VOW_STEMS, _HI_VOW)
    | frozenset("""करते करती करता करना करने करनी करेंगे करेंगी करेगा करेगी करोगे करोगी
        करूंगा करूंगी करके करो कीजिए किया किए किये कीं देते देती देता देना देने देनी
        देंगे देंगी देगा देगी दोगे दोगी दूंगा दूंगी देकर दिया दिए दिये दीं दीजिए लेते लेती
        लेता लेना लेने लेनी लेंगे लेंगी लेगा लेगी लोगे लोगी लूंगा लूंगी लेकर लिया
        जाते जाती जाता जाना जाने जानी जाएंगे जाएंगी जाएगा जाएगी जाओगे जाओगी जाऊंगा
        जाकर गया गए गये गई गयी गईं सोते सोए सोये""".split()))
# ambiguous forms: the verb "की/दी/ली/लिए" is also "of", "for"; count it only clause-final
# or before an auxiliary.
_HI_ACT_FINAL_ONLY = frozenset({"की", "दी", "ली", "लिए", "लिये"})
_HI_AUX = frozenset("है हैं हूं हो था थे थी थीं होगा होगी होंगे होंगी रहे रहा रही चुके "
                    "चुका चुकी सकते सकती सकता पडा पडे पडी पडता पडेगा क्या".split())
_HI_CONTEXT = (_forms(("मिल", "चाह", "रह", "पढ", "चुन"), _HI_CONS)
               | frozenset("पसंद चाहेंगे चाहेंगी चाहोगे".split())) - {"मिलकर"}
_HI_LIGHT_OK = frozenset(
    "महसूस विश्वास अनुमान विचार याद इंतजार भरोसा ध्यान जवाब उत्तर राय सुझाव जानकारी "
    "वर्णन बयान व्याख्या मूल्यांकन तुलना उल्लेख चर्चा जिक्र कल्पना समर्थन "
    "प्राथमिकता महत्व अहमियत बात मदद सहायता शिकायत रिपोर्ट सूचित सूचना विरोध काम पढाई नौकरी मजदूरी सेवा "
    "मत वोट यात्रा भाग हिस्सा कहा माना समझा सुना देखा पढा सोचा जाना बताया".split())
_HI_LIGHT_BENIGN = frozenset("काम पढाई नौकरी मजदूरी सेवा यात्रा मदद सहायता शिकायत "
                             "रिपोर्ट सूचित विरोध".split())
_HI_SUBJECTS = frozenset("आप तुम तू आपने तुमने तूने आपको तुम्हें तुमको तुझे तुझको मैं "
                         "मैंने मुझे मुझको".split())
# "आपके पास", "आपके लिए": the respondent as owner or beneficiary; counts near trade words
_HI_OBLIQUE = frozenset(f"{a}_{b}" for a in ("आपके", "तुम्हारे", "तेरे", "मेरे")
                        for b in ("पास", "लिए", "लिये", "साथ", "यहां", "अधीन")) | frozenset(
    "आपसे तुमसे तुझसे मुझसे".split())
_HI_NOT_SUBJECT_NEXT = frozenset("जैसे जैसा जैसी के की का सहित समान से".split())
_HI_THIRD = frozenset("लोग लोगों वे वो उन्होंने उसने वह कोई ग्राहक दलाल पुलिस उन्हें "
                      "उनको".split())
_HI_TRADE = ("लडकी", "लडकि", "नाबालिग", "कोठ", "वेश्या", "दलाल", "ग्राहक", "सेक्स",
             "यौन", "देह", "धंध", "रिश्वत", "घूस", "छापे", "छापा", "गिरफ्तार", "तस्कर",
             "पैस", "जिस्मफरोशी")
_HI_IDENTITY = ("दलाल", "दलालों", "ग्राहक", "ग्राहकों", "तस्कर", "तस्करों", "एजेंट",
                "घरवाली", "मालकिन")
_HI_STATE_BAD = ("गिरफ्तार", "पकडे", "पकडा", "जेल", "आरोपी")
_HI_INVOLVED = ("शामिल", "लिप्त", "जुड", "मालिक", "काम")
_HI_FRAMES = re.compile(
    r"(आपको|तुम्हें|तुमको|तुझे|मुझे) (क्या |कैसा |कितना |ऐसा |यह |ये )?(लगता|लगती|लगते) "
    r"(है|हैं)( कि)?|"
    r"(आपके|तुम्हारे|तेरे|मेरे) (विचार|अनुसार|हिसाब|ख्याल|मत|अनुमान|अंदाजे|अंदाज|"
    r"समझ|जानकारी|अनुभव|ख्याल)( में| से| के अनुसार)?|"
    r"(आपकी|तुम्हारी|तेरी|मेरी) (राय|समझ|जानकारी|नजर|सोच|मान्यता|जानकारी)"
    r"( में| से| के अनुसार| के हिसाब से)?|"
    r"(क्या )?(आप|तुम|तू|मैं) (क्या |कितना |कितने |कितनी |कैसे |ऐसा |यह |इसे |इसको )?"
    r"(सोचते|सोचती|सोचता|सोचो|मानते|मानती|मानता|जानते|जानती|जानता|समझते|समझती|"
    r"कहेंगे|कहेंगी|कहोगे|सहमत|असहमत|जागरूक|परिचित|बता सकते|बता सकती|बताएंगे|"
    r"बताएंगी|बताइए|आंकेंगे|आंकेंगी|आंकते)( हैं| हो| है| हूं)?( कि)?|"
    r"(आप|तुम) जो (कुछ )?(जानते|जानती|सुनते|मानते|समझते|देखते) (हैं|हो) "
    r"(उसके|उस) (आधार पर|अनुसार|हिसाब से)|"
    r"(आपको|तुम्हें|तुझे|मुझे) (क्या )?(पता|मालूम|याद|जानकारी) (है|हैं|होगा)?( कि)?|"
    r"(आपने|तुमने|मैंने) (कभी )?(सुना|देखा|पढा|सोचा|महसूस किया) (है|हैं|था)?( कि)?")

_MR_STEMS = ("विक", "आण", "शोध", "ठेव", "पाठव", "वापर", "पकड", "भर", "मोज", "चालव",
             "बोलाव", "फसव", "लपव", "पळव", "झोप", "नेम", "स्वीकार", "मार", "सांभाळ",
             "साध", "कमाव")
_MR_SUFFIXES = ("ता", "तो", "ते", "तात", "ली", "ले", "ला", "लं", "लेत", "लात", "लेले",
                "लेल्या", "ल्या", "णार", "ाल", "शील", "ावे", "ायला", "ून", "लीत", "णे",
                "तोस", "तेस", "लास", "लीस", "लेस", "ीन")
# progressive: "करत आहात", "शोधत होते"
_MR_PROGRESSIVE = frozenset([s + "त" for s in _MR_STEMS]
                            + "करत देत घेत जात नेत भेटत".split())
_MR_ACT = (
    _forms(_MR_STEMS, _MR_SUFFIXES)
    | frozenset("""करता करतो करते करतात केले केलं केली केला केलेत केलात केलेले केलेल्या
        करणार कराल करशील करावे करायला करून करताय करत्या देता देतो देते देतात दिले दिलं
        दिली दिला दिलेत दिलात दिलेले देणार द्याल देशील द्यावे द्यायला देऊन घेता घेतो
        घेते घेतात घेतले घेतलं घेतली घेतला घेतलेत घेतलात घेणार घ्याल घेशील घ्यावे
        घ्यायला घेऊन जाता जातो जातात गेले गेलं गेली गेला गेलेत गेलात गेलेले जाणार जाल
        जाशील जावे जायला जाऊन नेले नेता नेली नेला नेणार न्याल जाईन करीन देईन घेईन नेईन
        करतोस देतोस घेतोस जातोस केलास दिलास घेतलास गेलास केलेस दिलेस घेतलेस गेलेस
        केलीस दिलीस घेतलीस गेलीस करणे देणे घेणे जाणे मागितले मागितला मागितली मागितलं
        मागता मागतात मागतो मागाल मागणार""".split()))
# "जाते" is also the passive auxiliary ("केले जाते") and "जात" is caste.
_MR_CONTEXT = (frozenset("""मिळते मिळतो मिळतात मिळाले मिळाली मिळाला मिळालं मिळेल मिळतील
    मिळाल्या आवडते आवडतात आवडेल आवडतील आवडली आवडला हवे हवी हवा हव्या पाहिजे पाहिजेत
    राहता राहतो राहते राहतात राहिले राहिला राहिली शिकता शिकतो""".split())
    | _forms(("भेट", "निवड"), _MR_SUFFIXES)
    | frozenset({"जाते"}))
_MR_LIGHT_OK = frozenset(
    "विचार अंदाज विश्वास काम नोकरी अभ्यास शिक्षण मदत तक्रार मतदान प्रवास सेवा उत्तर "
    "भाग सहभाग माहिती मत लक्ष प्राधान्य महत्त्व महत्व वर्णन उल्लेख चर्चा तुलना "
    "कल्पना मूल्यांकन समर्थन विरोध सूचना सहकार्य आदर".split())
_MR_LIGHT_BENIGN = frozenset("काम नोकरी अभ्यास शिक्षण मदत तक्रार मतदान प्रवास सेवा "
                             "सहकार्य".split())
_MR_SUBJECTS = frozenset("तुम्ही तू आपण तुम्हाला तुम्हांला तुला आपल्याला तुम्हांस तुम्हास "
                         "मी मला".split())
_MR_OBLIQUE = frozenset("तुमच्याकडे तुमच्यासाठी तुमच्याबरोबर तुमच्यासोबत तुझ्याकडे "
                        "तुझ्यासाठी तुमच्याकडून तुझ्याकडून".split())
_MR_NOT_SUBJECT_NEXT = frozenset("सारखे सारख्या सारखा सारखी प्रमाणे".split())
_MR_THIRD = frozenset("लोक लोकांना लोकांनी कोणी कोणीतरी त्यांनी त्यांना त्याने तिने "
                      "ग्राहक दलाल पोलीस पोलिस".split())
_MR_TRADE = ("मुली", "मुलगी", "अल्पवयीन", "कुंटणखान", "वेश्या", "दलाल", "गिऱ्हाईक",
             "गिर्हाईक", "ग्राहक", "सेक्स", "लैंगिक", "देहविक्र", "देह", "धंद", "लाच",
             "छाप", "अटक", "तस्कर", "पैस")
_MR_IDENTITY = ("दलाल", "गिऱ्हाईक", "ग्राहक", "तस्कर", "एजंट", "घरवाली", "मालकीण")
_MR_STATE_BAD = ("अटक", "पकडले", "पकडला", "तुरुंग", "आरोपी")
_MR_INVOLVED = ("सामील", "गुंत", "मालक", "काम", "सहभागी")
_MR_FRAMES = re.compile(
    r"(तुम्हाला|तुम्हांला|तुला|आपल्याला|मला) (काय |कसे |कसं |कितपत |असे |असं |किती )?"
    r"(वाटते|वाटतं|वाटतो|वाटत|वाटेल)( का| की| आहे)?|"
    r"(तुमच्या|आपल्या|तुझ्या|माझ्या) (मते|मताने|मतानुसार|मतेनुसार|अंदाजानुसार|अंदाजाने|"
    r"अंदाजे|माहितीनुसार|माहितीप्रमाणे|समजुतीनुसार|समजुतीप्रमाणे|समजानुसार|दृष्टीने|"
    r"दृष्टिकोनातून|विचाराने|अनुभवानुसार|माहितीच्या आधारे|माहितीवरून)|"
    r"(तुम्हाला|तुम्हांला|तुला|आपल्याला|मला) (काय )?(माहीत|माहिती|ठाऊक) "
    r"(आहे|आहेत|असेल)?( का| की)?|"
    r"(तुम्ही|आपण|तू|मी) (काय |कसे |कितपत |किती |असे )?(म्हणाल|म्हणता|म्हणतो|मानता|मानतो|"
    r"समजता|समजतो|सांगू शकाल|सांगाल|सांगू शकता|सहमत|असहमत|जागरूक|परिचित|"
    r"विचार करता)( आहात| आहे| आहेस| आहोत)?( का| की)?|"
    r"(तुम्ही|आपण|तू) (जे|जितके) (काही )?(ऐकले|पाहिले|जाणता|ऐकलं|पाहिलं) (आहे |आहेत )?"
    r"(त्यानुसार|त्यावरून|त्याप्रमाणे|त्याच्या आधारे)|"
    r"(तुम्ही|आपण|तू|मी) (कधी )?(ऐकले|पाहिले|ऐकलं|पाहिलं) (आहे|आहेत)?( का| की)?")


@dataclass(frozen=True)
class _Lexicon:
    act: frozenset[str]
    act_final_only: frozenset[str]
    aux: frozenset[str]
    context: frozenset[str]
    light_ok: frozenset[str]
    light_benign: frozenset[str]
    light_verbs: tuple[str, ...]
    stems: frozenset[str]              # verbs when followed by one of `stem_before`
    stem_before: frozenset[str]
    subjects: frozenset[str]
    oblique: frozenset[str]            # count only next to trade words
    not_subject_next: frozenset[str]
    third: frozenset[str]
    postpositions: frozenset[str]      # a third person followed by these is an object
    trade: tuple[str, ...]
    identity: tuple[str, ...]
    state_bad: tuple[str, ...]
    involved: tuple[str, ...]
    frames: re.Pattern[str]
    complementisers: frozenset[str]
    modals: frozenset[str]             # "can": a statement with one gives permission


_HI = _Lexicon(
    act=_HI_ACT, act_final_only=_HI_ACT_FINAL_ONLY, aux=_HI_AUX, context=_HI_CONTEXT,
    light_ok=_HI_LIGHT_OK, light_benign=_HI_LIGHT_BENIGN,
    light_verbs=("कर", "कि", "की", "दे", "दि", "दी", "ले", "लि", "ली", "जा", "ग"),
    stems=frozenset(_HI_CONS_STEMS + _HI_VOW_STEMS + ("कर", "दे", "ले", "जा")),
    stem_before=_HI_STEM_BEFORE,
    subjects=_HI_SUBJECTS, oblique=_HI_OBLIQUE, not_subject_next=_HI_NOT_SUBJECT_NEXT,
    third=_HI_THIRD, postpositions=frozenset("को से के की का में पर तक".split()),
    trade=_HI_TRADE, identity=_HI_IDENTITY, state_bad=_HI_STATE_BAD, involved=_HI_INVOLVED,
    frames=_HI_FRAMES, complementisers=frozenset({"कि"}),
    modals=frozenset("सकते सकती सकता सकें सकेंगे सकेंगी".split()))
_MR_AUX = frozenset("आहे आहात आहेत आहेस आहोत होता होते होती होतात होतास असेल असतील "
                    "असता असतो".split())
_MR = _Lexicon(
    act=_MR_ACT, act_final_only=frozenset(), aux=_MR_AUX | {"का", "ना"},
    context=_MR_CONTEXT, light_ok=_MR_LIGHT_OK, light_benign=_MR_LIGHT_BENIGN,
    light_verbs=("कर", "के", "दे", "दि", "द्या", "घे", "घ्या"),
    stems=_MR_PROGRESSIVE | {st + "ू" for st in _MR_STEMS}
    | frozenset("करू देऊ घेऊ जाऊ नेऊ भेटू".split()),
    stem_before=_MR_AUX | frozenset("शकता शकतात शकाल शकतो शकते शकेल शकतील शकलात शकले".split()),
    subjects=_MR_SUBJECTS, oblique=_MR_OBLIQUE, not_subject_next=_MR_NOT_SUBJECT_NEXT,
    third=_MR_THIRD, postpositions=frozenset(),
    trade=_MR_TRADE, identity=_MR_IDENTITY, state_bad=_MR_STATE_BAD, involved=_MR_INVOLVED,
    frames=_MR_FRAMES, complementisers=frozenset({"की"}),
    modals=frozenset("शकता शकतात शकाल शकतो शकते शकेल शकतील".split()))


def _clauses(text: str, lex: _Lexicon) -> Iterator[list[str]]:
    text = lex.frames.sub(" , ", normalise(text))
    for sentence, question in sentences_with_ends(text):
        toks = tokens(sentence)
        if not question and "क्या" not in toks and any(t in lex.modals for t in toks):
            continue            # "आप चाइल्डलाइन पर फ़ोन कर सकते हैं।" tells, does not ask
        for part in re.split(r"[,:–—()\"]| - ", sentence):
            current: list[str] = []
            for tok in tokens(part):
                if tok in lex.complementisers:
                    if current:
                        yield current
                    current = []
                elif current and f"{current[-1]}_{tok}" in lex.oblique:
                    current[-1] = f"{current[-1]}_{tok}"
                else:
                    current.append(tok)
            if current:
                yield current


def _subject_kind(toks: list[str], i: int, lex: _Lexicon) -> str | None:
    tok = toks[i]
    if tok in lex.oblique:
        return "oblique"
    if tok not in lex.subjects:
        return None
    nxt = toks[i + 1] if i + 1 < len(toks) else ""
    return None if nxt in lex.not_subject_next else "direct"


_QUESTION_WORDS = frozenset("कैसे कैसा कैसी क्या कितना कितनी कितने कभी भी ही नहीं न ना तो "
                            "कसा कशी कसे कसं किती कधी पण नाही ही".split())


def _verb_kind(toks: list[str], k: int, lex: _Lexicon) -> str | None:
    """'act', 'context' or None for the token at k."""
    tok = toks[k]
    m = k - 1
    while m >= 0 and toks[m] in _QUESTION_WORDS:      # "वर्णन कैसे करेंगे"
        m -= 1
    prev = toks[m] if m >= 0 else ""
    nxt = toks[k + 1] if k + 1 < len(toks) else ""
    is_act = (tok in lex.act
              or (tok in lex.act_final_only and (not nxt or nxt in lex.aux))
              or (tok in lex.stems and nxt in lex.stem_before))
    if is_act:
        if prev in lex.light_ok and tok.startswith(lex.light_verbs):
            return "context" if prev in lex.light_benign else None
        return "act"
    if tok in lex.context:
        return "context"
    return None


def _is_third(toks: list[str], m: int, lex: _Lexicon) -> bool:
    if toks[m] not in lex.third:
        return False
    nxt = toks[m + 1] if m + 1 < len(toks) else ""
    return nxt not in lex.postpositions


_HI_POSSESSIVE = frozenset("आपका आपके आपकी तुम्हारा तुम्हारे तुम्हारी तेरा तेरे तेरी".split())
_HI_OWN_TRADE = ("धंध", "कोठ", "ग्राहक", "लडकियां", "लडकियों", "कमाई", "दलाल")
_MR_POSSESSIVE = frozenset("तुमचा तुमचे तुमची तुमच्या तुझा तुझे तुझी तुझ्या".split())
_MR_OWN_TRADE = ("धंद", "कुंटणखान", "गिऱ्हाईक", "गिऱ्हाइक", "मुली", "कमाई", "दलाल")


def _own_trade(toks: list[str], lex: _Lexicon) -> str | None:
    """"आपका धंधा", "तुमच्या धंद्यात": the respondent's own business."""
    possessive, trade = ((_HI_POSSESSIVE, _HI_OWN_TRADE) if lex is _HI
                         else (_MR_POSSESSIVE, _MR_OWN_TRADE))
    for i, tok in enumerate(toks[:-1]):
        if tok in possessive and toks[i + 1].startswith(trade):
            return f"{tok} {toks[i + 1]}"
    return None


def _indic(text: str, lex: _Lexicon) -> str | None:
    for toks in _clauses(text, lex):
        own = _own_trade(toks, lex)
        if own:
            return own
        kinds = {i: k for i in range(len(toks)) if (k := _subject_kind(toks, i, lex))}
        if not kinds:
            continue
        trade = any(t.startswith(lex.trade) for t in toks)
        if not trade:
            kinds = {i: k for i, k in kinds.items() if k == "direct"}
            if not kinds:
                continue
        for k in range(len(toks)):
            kind = _verb_kind(toks, k, lex)
            if kind is None or (kind == "context" and not trade):
                continue
            # the doer is the nearest subject before the verb (SOV); a third person
            # between the pronoun and the verb ("आप बताइए लोग क्या करते हैं") takes it.
            for m in range(k - 1, -1, -1):
                if m in kinds:
                    return " ".join(toks[m:k + 1]).replace("_", " ")
                if _is_third(toks, m, lex):
                    break
        # "क्या आप दलाल हैं", "तुम्हाला कधी अटक झाली आहे का", "आप इस धंधे में शामिल हैं"
        first = min(kinds)
        for k in range(first + 1, len(toks)):
            w = toks[k]
            if w in lex.identity or w.startswith(lex.state_bad) \
                    or (trade and w.startswith(lex.involved)):
                return " ".join(toks[first:k + 1]).replace("_", " ")
    return None


def find_self_reference(text: str, lang: str) -> SelfReference | None:
    """The words that ask about the respondent's own act, or None."""
    if not text:
        return None
    if lang == "en":
        hit = _english(text)
    elif lang == "hi":
        hit = _indic(text, _HI)
    elif lang == "mr":
        hit = _indic(text, _MR)
    else:
        return None
    return SelfReference(hit, lang) if hit else None


# ---------------------------------------------------------------- the rule ----------

def check(form: Form) -> Iterator[Finding]:
    if form.risk_level != "offender_exposure":
        return
    spots = [TextSpot(s.id, "title", s.title, "section title") for s in form.sections]
    for q in form.all_questions:
        spots.extend(spot for spot in question_texts(q)
                     if spot.part in ("label", "hint", "prompt", "option"))
    for spot in spots:
        for lang in LANGUAGES:
            hit = find_self_reference(spot.text.get(lang, ""), lang)
            if hit is not None:
                yield finding(form, "lint.self_incrimination", spot.question, spot.field,
                              lang=lang, part=spot.part, words=hit.phrase)
                break      # one finding per text: the fix is the same in every language
