"""Self-incrimination wording: questions about the respondent's own acts are caught,
perception questions about what people do are not -- in English, Hindi and Marathi."""

from __future__ import annotations

import pytest

from fieldkit.forms.lint.incrimination import find_self_reference

EN_OWN_ACTS = [
    "Have you ever paid for sex with a girl under 18?",
    "Did you visit a brothel in the last 12 months?",
    "Do you buy sex from young girls?",
    "Will you go to the red-light area again?",
    "How much did you pay the last time?",
    "How often do you visit lodges for paid sex?",
    "When did you last meet a pimp?",
    "Have you been to a brothel this year?",
    "Were you ever arrested in a raid?",
    "Are you a customer of this brothel?",
    "Would you pay more for a younger girl?",
    "What would you do if you were offered a girl under 18?",
    "How many girls work for you?",
    "Did you bring any girls from other states?",
    "Have you ever bribed a police officer?",
    "Do you use WhatsApp to find girls?",
    "How did you find this girl?",
    "Are you planning to visit the area again tonight?",
    "Do you keep girls in your house?",
    "Have you paid a bribe to avoid a raid?",
    "Did you have to pay the police?",
    "Have you ever sold a girl to another brothel?",
    "Do you recruit girls from villages?",
    "Are you involved in this business?",
    "How long have you been working in this trade?",
    "If you were offered a minor, would you accept?",
    "Do you prefer younger girls?",
    "Which girl would you choose?",
    "I have paid extra for younger girls.",
    "I would go to another brothel.",
    "Has a pimp ever offered you a girl under 18?",
    "Is it easy for you to find young girls?",
    "Did you ever take a girl to a hotel?",
    "How much money do you spend on paid sex each month?",
    "Have you used a mobile app to book a girl?",
    "Do you think you would get caught?",
    "In your opinion, will you be punished if caught?",
    "You have visited these lodges, haven't you?",
    "Did you meet the girl through a broker?",
    "What did you pay the broker?",
    "Where do you usually go for paid sex?",
    "You went to the lodge last night, didn't you?",
]

EN_PERCEPTION = [
    "How easy or difficult do you think it is for people to find young girls for paid sex?",
    "Given a choice, who do you think people would prefer to have sex with?",
    "In your opinion, if someone was offered a young girl for paid sex and found out she is "
    "under 18, how likely is it that they would ask the pimp for someone older?",
    "If there are young girls in this business, why do you think that is?",
    "Where do you think people prefer to engage in paid sex with young girls?",
    "What channels do you think people use to find paid sex services with young girls?",
    "If people use mobile phones to purchase sex from young girls, what do you think they "
    "use them for?",
    "Based on your understanding, what is the punishment for purchasing sex from someone "
    "under 18?",
    "How likely do you think it is that a customer is arrested in a raid?",
    "How often do you think the police raid brothels in this area?",
    "What do you think the community thinks about someone who buys sex from children?",
    "Would you say that raids have become more frequent in the last year?",
    "Do you believe customers pay more for younger girls?",
    "How risky do you think it is for customers to go to brothels compared to online?",
    "What is your age group?",
    "What is your occupation?",
    "Which city do you live in?",
    "Are you a migrant worker?",
    "How long have you lived in this city?",
    "Do you agree to take part in this interview?",
    "You may skip any question or stop at any time.",
    "Would you like to continue?",
    "Is there anything else you would like to add?",
    "Please rank the following from most to least common.",
    "Why do you think girls under 18 enter this business?",
    "What do people in this business say about police raids?",
    "How do customers usually find brothels nowadays?",
    "In your view, what makes people pay more for younger girls?",
    "Do you think people would stop if the punishment were higher?",
    "How aware are you of the punishment for buying sex from a minor?",
    "What do you think would happen to a customer caught with a minor?",
    "Can you describe how people usually find girls online?",
    "Tell me about how the business has changed since the pandemic.",
    "Do you find it easy or hard to talk about this topic?",
    "Thank you for your time.",
    "How would you rate the risk of arrest for customers?",
    "How much more do you think people pay for a girl who is under 18?",
    "Do you have any questions before we begin?",
    "What do you think people like you would do in such a situation?",
    "If you don't know, you can say so.",
    "As far as you know, how long do court cases take?",
    "How aware would you say you are of crimes in public spaces?",
]

HI_OWN_ACTS = [
    "क्या आपने कभी 18 साल से कम उम्र की लड़की के साथ सेक्स के लिए पैसे दिए हैं?",
    "क्या आप पिछले 12 महीनों में कोठे पर गए हैं?",
    "क्या आप कम उम्र की लड़कियों से सेक्स खरीदते हैं?",
    "क्या आप फिर से रेड-लाइट इलाके में जाएँगे?",
    "पिछली बार आपने कितने पैसे दिए थे?",
    "आप कितनी बार लॉज में जाते हैं?",
    "आप आख़िरी बार किसी दलाल से कब मिले थे?",
    "क्या आपको कभी छापे में गिरफ़्तार किया गया है?",
    "क्या आप इस कोठे के ग्राहक हैं?",
    "क्या आप कम उम्र की लड़की के लिए ज़्यादा पैसे देंगे?",
    "अगर आपको 18 साल से कम उम्र की लड़की दी जाए तो आप क्या करेंगे?",
    "आपके पास कितनी लड़कियाँ काम करती हैं?",
    "क्या आप दूसरे राज्यों से लड़कियाँ लाए हैं?",
    "क्या आपने कभी पुलिस को रिश्वत दी है?",
    "क्या आप व्हाट्सऐप से लड़कियाँ ढूँढते हैं?",
    "क्या आपने कभी किसी लड़की को दूसरे कोठे में बेचा है?",
    "क्या आप गाँवों से लड़कियों को भर्ती करते हैं?",
    "क्या आप इस धंधे में शामिल हैं?",
    "आप कितने सालों से इस धंधे में काम कर रहे हैं?",
    "अगर आपको कोई नाबालिग लड़की दी जाए तो क्या आप उसे स्वीकार करेंगे?",
    "क्या आप कम उम्र की लड़कियों को पसंद करते हैं?",
    "आप कौन सी लड़की चुनेंगे?",
    "मैंने कम उम्र की लड़कियों के लिए ज़्यादा पैसे दिए हैं।",
    "मैं दूसरे कोठे पर जाऊँगा।",
    "क्या किसी दलाल ने आपको 18 साल से कम उम्र की लड़की ऑफ़र की है?",
    "क्या आपके लिए कम उम्र की लड़कियाँ ढूँढना आसान है?",
    "क्या आप कभी किसी लड़की को होटल ले गए हैं?",
    "आप हर महीने सेक्स पर कितना पैसा खर्च करते हैं?",
    "क्या आपने लड़की बुक करने के लिए मोबाइल ऐप का इस्तेमाल किया है?",
    "क्या आपको लगता है कि आप पकड़े जाएँगे?",
    "आपने किसी दलाल के ज़रिए लड़की से मुलाक़ात की थी?",
    "क्या आप लड़कियों को अपने घर में रखते हैं?",
    "तुमने उस लड़की को कितने में खरीदा?",
    "तू कितनी बार कोठे पर जाता है?",
    "तुम पुलिस को कितनी रिश्वत देते हो?",
    "क्या आप आज रात फिर उस इलाके में जाने वाले हैं?",
]

HI_PERCEPTION = [
    "आपको क्या लगता है, लोगों के लिए पैसे देकर सेक्स के लिए कम उम्र की लड़कियाँ ढूँढना "
    "कितना आसान या मुश्किल है?",
    "अगर चुनने का मौका हो, तो आपके विचार में लोग किसके साथ सेक्स करना पसंद करेंगे?",
    "आपकी राय में, अगर किसी को पैसे देकर सेक्स के लिए लड़की दी जाए और पता चले कि वह "
    "18 साल से कम है, तो इसकी कितनी संभावना है कि वे दलाल से बड़ी उम्र की लड़की माँगेंगे?",
    "अगर इस धंधे में कम उम्र की लड़कियाँ हैं, तो आपके अनुसार इसकी वजह क्या है?",
    "आपको क्या लगता है, लोग कम उम्र की लड़कियों के साथ पैसे देकर सेक्स के लिए कहाँ जाना "
    "पसंद करते हैं?",
    "आपको क्या लगता है, लोग ऐसी सेवाएँ ढूँढने के लिए कौन-से माध्यम इस्तेमाल करते हैं?",
    "आपकी समझ में, 18 साल से कम उम्र के किसी व्यक्ति से सेक्स खरीदने की सज़ा क्या है?",
    "आपके हिसाब से, इस इलाके में पुलिस कितनी बार छापे मारती है?",
    "क्या आप मानते हैं कि ग्राहक कम उम्र की लड़कियों के लिए ज़्यादा पैसे देते हैं?",
    "आपकी उम्र किस वर्ग में है?",
    "आप क्या काम करते हैं?",
    "आप किस शहर में रहते हैं?",
    "क्या आप प्रवासी मज़दूर हैं?",
    "क्या आप इस साक्षात्कार में भाग लेने के लिए सहमत हैं?",
    "आप किसी भी सवाल को छोड़ सकते हैं या कभी भी रुक सकते हैं।",
    "क्या आप आगे बढ़ना चाहेंगे?",
    "क्या आप कुछ और जोड़ना चाहेंगे?",
    "इस धंधे में लोग पुलिस के छापों के बारे में क्या कहते हैं?",
    "आजकल ग्राहक कोठे कैसे ढूँढते हैं?",
    "क्या आपको लगता है कि सज़ा बढ़ने पर लोग रुक जाएँगे?",
    "कम उम्र की लड़की के साथ पकड़े गए ग्राहक का क्या होगा, आपको क्या लगता है?",
    "क्या आप बता सकते हैं कि लोग ऑनलाइन लड़कियाँ कैसे ढूँढते हैं?",
    "आपके इलाके में लोग ऐसे लोगों के बारे में क्या सोचते हैं?",
    "ग्राहकों के लिए छापे में गिरफ़्तार होने का ख़तरा आप कितना आंकेंगे?",
    "आपके अनुसार लोग कम उम्र की लड़की के लिए कितने ज़्यादा पैसे देते हैं?",
    "अगर आपको पता नहीं है, तो आप ऐसा कह सकते हैं।",
    "आपका समय देने के लिए धन्यवाद।",
    "आपके हिसाब से ऑनलाइन और कोठों में कितना ख़तरा है?",
    "क्या आपने कभी सुना है कि पुलिस ने किसी ग्राहक को गिरफ़्तार किया हो?",
    "आपकी जानकारी में, इस शहर में बच्चों से जुड़े मामलों में अदालत को फ़ैसला देने में "
    "कितना समय लगता है?",
    "आप जैसे लोग ऐसी स्थिति में क्या करेंगे, आपको क्या लगता है?",
    "आपके शहर में बाल वेश्यावृत्ति कितनी फैली हुई है?",
    "क्या आप इस विषय पर बात करने में सहज हैं?",
    "आप किस भाषा में बात करना चाहेंगे?",
    "लोगों के अनुसार तकनीक का इस्तेमाल किस लिए किया जाता है?",
    "आपके विचार में लोग ऑनलाइन लड़कियाँ क्यों ढूँढते हैं?",
]

MR_OWN_ACTS = [
    "तुम्ही कधी १८ वर्षांखालील मुलीसोबत सेक्ससाठी पैसे दिले आहेत का?",
    "तुम्ही गेल्या १२ महिन्यांत कुंटणखान्यात गेला होतात का?",
    "तुम्ही कमी वयाच्या मुलींकडून सेक्स विकत घेता का?",
    "तुम्ही पुन्हा रेड-लाइट भागात जाल का?",
    "मागच्या वेळी तुम्ही किती पैसे दिले?",
    "तुम्ही किती वेळा लॉजवर जाता?",
    "तुम्ही दलालाला शेवटचे कधी भेटला होतात?",
    "तुम्हाला कधी छाप्यात अटक झाली आहे का?",
    "तुम्ही या कुंटणखान्याचे गिऱ्हाईक आहात का?",
    "कमी वयाच्या मुलीसाठी तुम्ही जास्त पैसे द्याल का?",
    "जर तुम्हाला १८ वर्षांखालील मुलगी देऊ केली तर तुम्ही काय कराल?",
    "तुमच्याकडे किती मुली काम करतात?",
    "तुम्ही इतर राज्यांतून मुली आणल्या आहेत का?",
    "तुम्ही कधी पोलिसांना लाच दिली आहे का?",
    "तुम्ही मुली शोधण्यासाठी व्हॉट्सॲप वापरता का?",
    "तुम्ही कधी एखाद्या मुलीला दुसऱ्या कुंटणखान्यात विकले आहे का?",
    "तुम्ही गावांतून मुलींची भरती करता का?",
    "तुम्ही या धंद्यात सामील आहात का?",
    "तुम्ही किती वर्षांपासून या धंद्यात काम करत आहात?",
    "जर तुम्हाला अल्पवयीन मुलगी देऊ केली, तर तुम्ही ती स्वीकाराल का?",
    "तुम्हाला कमी वयाच्या मुली आवडतात का?",
    "तुम्ही कोणती मुलगी निवडाल?",
    "मी कमी वयाच्या मुलींसाठी जास्त पैसे दिले आहेत.",
    "मी दुसऱ्या कुंटणखान्यात जाईन.",
    "एखाद्या दलालाने तुम्हाला १८ वर्षांखालील मुलगी देऊ केली आहे का?",
    "तुमच्यासाठी कमी वयाच्या मुली शोधणे सोपे आहे का?",
    "तुम्ही कधी एखाद्या मुलीला हॉटेलमध्ये नेले आहे का?",
    "तुम्ही दर महिन्याला सेक्सवर किती पैसे खर्च करता?",
    "मुलगी बुक करण्यासाठी तुम्ही मोबाइल ॲप वापरले आहे का?",
    "तुम्हाला वाटते का की तुम्ही पकडले जाल?",
    "तू किती वेळा कुंटणखान्यात जातोस?",
    "तुम्ही मुलींना तुमच्या घरात ठेवता का?",
    "तू त्या मुलीला किती पैशांत विकत घेतलेस?",
    "आपण कधी पोलिसांना पैसे दिले आहेत का?",
    "तुम्ही पोलिसांना किती लाच देता?",
    "तुम्ही आज रात्री पुन्हा त्या भागात जाणार आहात का?",
]

MR_PERCEPTION = [
    "तुम्हाला काय वाटते, लोकांना पैसे देऊन सेक्ससाठी कमी वयाच्या मुली शोधणे कितपत सोपे "
    "किंवा कठीण आहे?",
    "निवड करायची संधी असेल, तर तुमच्या मते लोक कोणासोबत सेक्स करणे पसंत करतील?",
    "तुमच्या मते, जर एखाद्याला पैसे देऊन सेक्ससाठी मुलगी दिली आणि ती १८ वर्षांखालील "
    "असल्याचे समजले, तर तो दलालाकडे मोठ्या वयाची मुलगी मागण्याची शक्यता किती आहे?",
    "या धंद्यात कमी वयाच्या मुली असतील, तर तुमच्या मते त्याचे कारण काय आहे?",
    "तुम्हाला काय वाटते, लोक कमी वयाच्या मुलींसोबत पैसे देऊन सेक्ससाठी कुठे जाणे पसंत "
    "करतात?",
    "तुम्हाला काय वाटते, अशा सेवा शोधण्यासाठी लोक कोणती माध्यमे वापरतात?",
    "तुमच्या समजुतीनुसार, १८ वर्षांखालील व्यक्तीकडून सेक्स विकत घेण्याची शिक्षा काय आहे?",
    "तुमच्या अंदाजानुसार, या भागात पोलीस किती वेळा छापे टाकतात?",
    "गिऱ्हाईक कमी वयाच्या मुलींसाठी जास्त पैसे देतात, असे तुम्हाला वाटते का?",
    "तुमचा वयोगट कोणता आहे?",
    "तुम्ही काय काम करता?",
    "तुम्ही कोणत्या शहरात राहता?",
    "तुम्ही स्थलांतरित कामगार आहात का?",
    "तुम्ही या मुलाखतीत सहभागी होण्यास तयार आहात का?",
    "तुम्ही कोणताही प्रश्न वगळू शकता किंवा कधीही थांबू शकता.",
    "तुम्हाला पुढे सुरू ठेवायचे आहे का?",
    "तुम्हाला आणखी काही सांगायचे आहे का?",
    "या धंद्यातील लोक पोलिसांच्या छाप्यांबद्दल काय म्हणतात?",
    "आजकाल गिऱ्हाईक कुंटणखाने कसे शोधतात?",
    "शिक्षा वाढल्यास लोक थांबतील असे तुम्हाला वाटते का?",
    "कमी वयाच्या मुलीसोबत पकडलेल्या गिऱ्हाइकाचे काय होईल, असे तुम्हाला वाटते?",
    "लोक ऑनलाइन मुली कशा शोधतात हे तुम्ही सांगू शकाल का?",
    "तुमच्या भागातील लोक अशा व्यक्तींबद्दल काय विचार करतात?",
    "गिऱ्हाइकांसाठी छाप्यात अटक होण्याचा धोका तुम्ही कितपत मानता?",
    "तुमच्या मते लोक कमी वयाच्या मुलीसाठी किती जास्त पैसे देतात?",
    "तुम्हाला माहीत नसेल तर तसे सांगू शकता.",
    "तुमचा वेळ दिल्याबद्दल धन्यवाद.",
    "तुमच्या मते ऑनलाइन आणि कुंटणखान्यात किती धोका आहे?",
    "पोलिसांनी एखाद्या गिऱ्हाइकाला अटक केल्याचे तुम्ही कधी ऐकले आहे का?",
    "तुमच्या माहितीनुसार, अशा प्रकरणांत न्यायालयाचा निर्णय यायला किती वेळ लागतो?",
    "तुमच्यासारखे लोक अशा परिस्थितीत काय करतील, असे तुम्हाला वाटते?",
    "तुमच्या शहरात बाल वेश्याव्यवसाय किती प्रमाणात आहे?",
    "या विषयावर बोलताना तुम्हाला अवघडल्यासारखे वाटते का?",
    "तुम्हाला कोणत्या भाषेत बोलायला आवडेल?",
    "लोकांच्या मते तंत्रज्ञानाचा वापर कशासाठी केला जातो?",
    "तुमच्या मते लोक ऑनलाइन मुली का शोधतात?",
]

OWN = [("en", t) for t in EN_OWN_ACTS] + [("hi", t) for t in HI_OWN_ACTS] \
    + [("mr", t) for t in MR_OWN_ACTS]
PERCEPTION = [("en", t) for t in EN_PERCEPTION] + [("hi", t) for t in HI_PERCEPTION] \
    + [("mr", t) for t in MR_PERCEPTION]


def test_tables_are_large_enough() -> None:
    for lang in ("en", "hi", "mr"):
        assert sum(1 for lg, _ in OWN if lg == lang) >= 30
        assert sum(1 for lg, _ in PERCEPTION if lg == lang) >= 30


@pytest.mark.parametrize(("lang", "text"), OWN)
def test_own_acts_are_found(lang: str, text: str) -> None:
    hit = find_self_reference(text, lang)
    assert hit is not None, f"missed: {text}"
    assert hit.phrase


@pytest.mark.parametrize(("lang", "text"), PERCEPTION)
def test_perception_questions_pass(lang: str, text: str) -> None:
    hit = find_self_reference(text, lang)
    assert hit is None, f"false alarm on {text!r}: {hit.phrase if hit else ''}"


def test_phrase_points_at_the_offending_words() -> None:
    hit = find_self_reference("In your opinion, will you be punished if caught?", "en")
    assert hit is not None and "you" in hit.phrase and "punished" in hit.phrase
    hit = find_self_reference("क्या आपने कभी पुलिस को रिश्वत दी है?", "hi")
    assert hit is not None and hit.phrase.startswith("आपने") and hit.phrase.endswith("दी")


# Wordings from the study's own forms (regressions: these once raised false alarms).
STUDY_WORDINGS = [
    ("en", "What do you think the community you live in thinks about someone who purchases "
           "sex from young girls (girls aged 13–18)?"),
    ("en", "Is there anything else you would like to tell us about this business and young "
           "girls (girls aged 13–18)?"),
    ("en", "Is there anything else you would like to tell us about how paid sex with young "
           "girls (girls aged 13–18) has changed in this city?"),
]


@pytest.mark.parametrize(("lang", "text"), STUDY_WORDINGS)
def test_study_wordings_pass(lang: str, text: str) -> None:
    assert find_self_reference(text, lang) is None


# A second set, written after the rules to check that they generalise (every miss or
# false alarm it showed was fixed in the rule, not by editing the example).
OWN_2 = [
    ("en", 'Have you personally bought sex from anyone under 18?'),
    ("en", 'When was the last time you visited a brothel?'),
    ("en", 'How many times did you go to a lodge last month?'),
    ("en", 'Do you still work as a pimp?'),
    ("en", 'Did anyone pay you to bring girls?'),
    ("en", 'Were you involved in selling girls?'),
    ("en", 'Would you consider paying for a younger girl?'),
    ("en", 'Have you hired a girl through WhatsApp?'),
    ("en", 'How do you usually contact the brokers?'),
    ("en", 'What do you pay the police every month?'),
    ("en", 'Did you ever get caught during a raid?'),
    ("en", 'Tell me about the last time you paid for sex.'),
    ("en", 'How much money have you earned from this business?'),
    ("en", 'Would you go back to the brothel if the price were lower?'),
    ("en", 'Have you ever been questioned by the police about girls?'),
    ("en", 'Are you currently running a brothel?'),
    ("en", 'How many girls do you manage?'),
    ("en", 'Did you know the girl was under 18 when you paid?'),
    ("hi", 'क्या आपने खुद कभी 18 साल से कम उम्र की लड़की से सेक्स खरीदा है?'),
    ("hi", 'आप आखिरी बार कोठे पर कब गए थे?'),
    ("hi", 'पिछले महीने आप कितनी बार लॉज गए?'),
    ("hi", 'क्या आप अब भी दलाली करते हैं?'),
    ("hi", 'क्या किसी ने आपको लड़कियाँ लाने के लिए पैसे दिए?'),
    ("hi", 'क्या आप लड़कियों को बेचने में शामिल थे?'),
    ("hi", 'क्या आप कम उम्र की लड़की के लिए ज़्यादा पैसे देने को तैयार होंगे?'),
    ("hi", 'आप दलालों से कैसे संपर्क करते हैं?'),
    ("hi", 'आप हर महीने पुलिस को कितना पैसा देते हैं?'),
    ("hi", 'क्या आप कभी छापे में पकड़े गए?'),
    ("hi", 'आपने इस धंधे से कितना पैसा कमाया है?'),
    ("hi", 'क्या आप अभी कोठा चलाते हैं?'),
    ("hi", 'आप कितनी लड़कियों को संभालते हैं?'),
    ("hi", 'तुम लड़कियाँ कहाँ से लाते हो?'),
    ("hi", 'तूने कितने पैसे दिए?'),
    ("mr", 'तुम्ही स्वतः कधी १८ वर्षांखालील मुलीकडून सेक्स विकत घेतला आहे का?'),
    ("mr", 'तुम्ही शेवटचे कुंटणखान्यात कधी गेला होता?'),
    ("mr", 'गेल्या महिन्यात तुम्ही किती वेळा लॉजवर गेलात?'),
    ("mr", 'तुम्ही अजूनही दलाली करता का?'),
    ("mr", 'कोणी तुम्हाला मुली आणण्यासाठी पैसे दिले का?'),
    ("mr", 'तुम्ही मुली विकण्यात सामील होता का?'),
    ("mr", 'कमी वयाच्या मुलीसाठी तुम्ही जास्त पैसे द्यायला तयार व्हाल का?'),
    ("mr", 'तुम्ही दलालांशी कसा संपर्क साधता?'),
    ("mr", 'तुम्ही दर महिन्याला पोलिसांना किती पैसे देता?'),
    ("mr", 'तुम्ही कधी छाप्यात पकडले गेलात का?'),
    ("mr", 'तुम्ही या धंद्यातून किती पैसे कमावले आहेत?'),
    ("mr", 'तुम्ही सध्या कुंटणखाना चालवता का?'),
    ("mr", 'तुम्ही किती मुलींना सांभाळता?'),
    ("mr", 'तू मुली कुठून आणतोस?'),
    ("mr", 'तू किती पैसे दिलेस?'),
]
PERCEPTION_2 = [
    ("en", 'In your experience, how often do police raid brothels here?'),
    ("en", 'What do customers usually pay for a young girl, do you think?'),
    ("en", 'Why do you think some people pay more for younger girls?'),
    ("en", 'How do people in this area usually find brokers?'),
    ("en", 'What would most people do if they found out the girl was under 18?'),
    ("en", 'Do people here believe the police will arrest customers?'),
    ("en", 'How common is it for customers to use WhatsApp to contact brokers?'),
    ("en", 'Thinking about people you know of, where do they go for paid sex?'),
    ("en", 'What do you think happens to girls who are rescued?'),
    ("en", 'Is it your impression that raids have increased?'),
    ("en", "How would you describe the community's attitude towards brothels?"),
    ("en", 'Which of these do you think customers worry about most?'),
    ("hi", 'आपके अनुभव में, पुलिस यहाँ कितनी बार कोठों पर छापे मारती है?'),
    ("hi", 'आपके अंदाज़े से ग्राहक कम उम्र की लड़की के लिए कितना पैसा देते हैं?'),
    ("hi", 'आपको क्यों लगता है कि कुछ लोग कम उम्र की लड़कियों के लिए ज़्यादा पैसे देते हैं?'),
    ("hi", 'इस इलाके में लोग आमतौर पर दलालों को कैसे ढूँढते हैं?'),
    ("hi", 'अगर लोगों को पता चले कि लड़की 18 साल से कम है, तो ज़्यादातर लोग क्या करेंगे?'),
    ("hi", 'क्या यहाँ के लोग मानते हैं कि पुलिस ग्राहकों को गिरफ़्तार करेगी?'),
    ("hi", 'ग्राहकों के लिए दलालों से संपर्क करने के लिए व्हाट्सऐप का इस्तेमाल कितना आम है?'),
    ("hi", 'बचाई गई लड़कियों के साथ क्या होता है, आपको क्या लगता है?'),
    ("hi", 'आप कोठों के प्रति समुदाय के रवैये का वर्णन कैसे करेंगे?'),
    ("hi", 'आपके हिसाब से ग्राहक सबसे ज़्यादा किस बात से डरते हैं?'),
    ("mr", 'तुमच्या अनुभवानुसार, पोलीस इथे किती वेळा कुंटणखान्यांवर छापे टाकतात?'),
    ("mr", 'तुमच्या अंदाजाने गिऱ्हाईक कमी वयाच्या मुलीसाठी किती पैसे देतात?'),
    ("mr", 'काही लोक कमी वयाच्या मुलींसाठी जास्त पैसे का देतात असे तुम्हाला वाटते?'),
    ("mr", 'या भागातील लोक सहसा दलाल कसे शोधतात?'),
    ("mr", 'मुलगी १८ वर्षांखालील आहे हे कळल्यावर बहुतेक लोक काय करतील?'),
    ("mr", 'पोलीस गिऱ्हाइकांना अटक करतील असे इथल्या लोकांना वाटते का?'),
    ("mr", 'गिऱ्हाइकांनी दलालांशी संपर्क साधण्यासाठी व्हॉट्सॲप वापरणे किती सामान्य आहे?'),
    ("mr", 'सुटका केलेल्या मुलींचे काय होते असे तुम्हाला वाटते?'),
    ("mr", 'कुंटणखान्यांबद्दल समाजाचा दृष्टिकोन तुम्ही कसा वर्णन कराल?'),
    ("mr", 'तुमच्या मते गिऱ्हाईक सर्वात जास्त कशाला घाबरतात?'),
]


@pytest.mark.parametrize(("lang", "text"), OWN_2)
def test_second_set_own_acts(lang: str, text: str) -> None:
    assert find_self_reference(text, lang) is not None, f"missed: {text}"


@pytest.mark.parametrize(("lang", "text"), PERCEPTION_2)
def test_second_set_perception(lang: str, text: str) -> None:
    hit = find_self_reference(text, lang)
    assert hit is None, f"false alarm on {text!r}: {hit.phrase if hit else ''}"


@pytest.mark.parametrize(("lang", "text", "flagged"), [
    ("en", "If you know of a child in danger, you can call Childline on 1098.", False),
    ("en", "You may stop the interview at any time.", False),
    ("en", "Thank the respondent. Confirm that you did not write any names.", False),
    ("hi", "पक्का करें कि आपने कोई नाम नहीं लिखा।", False),
    ("mr", "तुम्ही कोणतेही नाव लिहिले नाही याची खात्री करा.", False),
    ("hi", "अगर आप किसी खतरे में पड़े बच्चे के बारे में जानते हैं, तो आप चाइल्डलाइन 1098 पर "
           "फ़ोन कर सकते हैं।", False),
    ("mr", "धोक्यात असलेल्या मुलाबद्दल माहिती असल्यास तुम्ही चाइल्डलाइन 1098 वर फोन करू शकता.",
     False),
    ("en", "Can you find young girls easily here?", True),
    ("hi", "क्या आप आसानी से कम उम्र की लड़कियाँ ढूँढ सकते हैं?", True),
    ("mr", "तुम्ही सहज कमी वयाच्या मुली शोधू शकता का?", True),
    ("mr", "तुम्ही पुन्हा तिथे जाऊ शकाल का?", True),
    ("mr", "तुम्ही कोणत्याही प्रश्नाचे उत्तर न देता पुढे जाऊ शकता.", False),
])
def test_permission_and_interviewer_notes_are_not_questions_but_can_you_is(lang: str, text: str,
                                                     flagged: bool) -> None:
    assert (find_self_reference(text, lang) is not None) is flagged


# A third set (hypotheticals, the respondent's "own business", being asked for bribes,
# passive arrests), also written after the rules.
OWN_3 = [
    ("en", 'Have you yourself ever been to a lodge for paid sex?'),
    ("en", 'Would you ever pay extra for a girl under 18?'),
    ("en", 'Suppose a pimp offers you a 15-year-old girl. Would you take her?'),
    ("en", 'Has your business grown since last year?'),
    ("en", 'How many customers do you get in a week?'),
    ("en", 'Did the police ever ask you for money?'),
    ("en", 'Are you planning to go back there this week?'),
    ("en", 'In the past year, how often have you paid for sex?'),
    ("en", "When you go to a brothel, do you ask the girl's age?"),
    ("en", 'Do you keep any girls under 18?'),
    ("en", 'Have you been arrested before?'),
    ("en", 'How much do you charge per customer?'),
    ("hi", 'क्या आप खुद कभी पैसे देकर सेक्स के लिए लॉज गए हैं?'),
    ("hi", 'क्या आप कभी 18 साल से कम उम्र की लड़की के लिए ज़्यादा पैसे देंगे?'),
    ("hi", 'मान लीजिए कोई दलाल आपको 15 साल की लड़की देता है। क्या आप उसे ले लेंगे?'),
    ("hi", 'आपके पास हफ़्ते में कितने ग्राहक आते हैं?'),
    ("hi", 'क्या पुलिस ने कभी आपसे पैसे माँगे?'),
    ("hi", 'पिछले साल आपने कितनी बार सेक्स के लिए पैसे दिए?'),
    ("hi", 'जब आप कोठे पर जाते हैं, तो क्या आप लड़की की उम्र पूछते हैं?'),
    ("hi", 'क्या आपको पहले कभी गिरफ़्तार किया गया है?'),
    ("hi", 'आप हर ग्राहक से कितने पैसे लेते हैं?'),
    ("mr", 'तुम्ही स्वतः कधी पैसे देऊन सेक्ससाठी लॉजवर गेला आहात का?'),
    ("mr", 'तुम्ही कधी १८ वर्षांखालील मुलीसाठी जास्त पैसे द्याल का?'),
    ("mr", 'समजा एखाद्या दलालाने तुम्हाला १५ वर्षांची मुलगी दिली. तुम्ही तिला घ्याल का?'),
    ("mr", 'तुमच्याकडे आठवड्याला किती गिऱ्हाईक येतात?'),
    ("mr", 'पोलिसांनी कधी तुमच्याकडे पैसे मागितले का?'),
    ("mr", 'गेल्या वर्षी तुम्ही किती वेळा सेक्ससाठी पैसे दिले?'),
    ("mr", 'तुम्ही कुंटणखान्यात जाता तेव्हा मुलीचे वय विचारता का?'),
    ("mr", 'तुम्हाला याआधी कधी अटक झाली आहे का?'),
    ("mr", 'तुम्ही प्रत्येक गिऱ्हाइकाकडून किती पैसे घेता?'),
]
PERCEPTION_3 = [
    ("en", "How often do customers ask the girl's age, in your opinion?"),
    ("en", 'Where do most customers in this city go for paid sex, do you think?'),
    ("en", 'What happens to a pimp who is arrested, as far as you know?'),
    ("en", 'Do you think the price of young girls has gone up?'),
    ("en", 'Would you say customers know the punishment for buying sex from a minor?'),
    ("en", 'How do you think the police find out about brothels?'),
    ("hi", 'आपकी राय में ग्राहक कितनी बार लड़की की उम्र पूछते हैं?'),
    ("hi", 'आपको क्या लगता है, इस शहर में ज़्यादातर ग्राहक पैसे देकर सेक्स के लिए कहाँ जाते हैं?'),
    ("hi", 'आपकी जानकारी में, गिरफ़्तार होने वाले दलाल के साथ क्या होता है?'),
    ("hi", 'क्या आपको लगता है कि कम उम्र की लड़कियों की कीमत बढ़ गई है?'),
    ("hi", 'आपको क्या लगता है, पुलिस को कोठों के बारे में कैसे पता चलता है?'),
    ("mr", 'तुमच्या मते गिऱ्हाईक किती वेळा मुलीचे वय विचारतात?'),
    ("mr", 'तुम्हाला काय वाटते, या शहरातील बहुतेक गिऱ्हाईक पैसे देऊन सेक्ससाठी कुठे जातात?'),
    ("mr", 'तुमच्या माहितीनुसार, अटक झालेल्या दलालाचे काय होते?'),
    ("mr", 'कमी वयाच्या मुलींची किंमत वाढली आहे असे तुम्हाला वाटते का?'),
    ("mr", 'पोलिसांना कुंटणखान्यांबद्दल कसे कळते असे तुम्हाला वाटते?'),
]


@pytest.mark.parametrize(("lang", "text"), OWN_3)
def test_third_set_own_acts(lang: str, text: str) -> None:
    assert find_self_reference(text, lang) is not None, f"missed: {text}"


@pytest.mark.parametrize(("lang", "text"), PERCEPTION_3)
def test_third_set_perception(lang: str, text: str) -> None:
    hit = find_self_reference(text, lang)
    assert hit is None, f"false alarm on {text!r}: {hit.phrase if hit else ''}"
