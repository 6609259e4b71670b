# Maglumat bermegi kesgitleýän razylyk (mesele №18): ammaryň ret etmeleri we sahypalaryň sözleri.
consent-refused-missing = Adam bu maglumat bermäge razylyk bermedi: ilki razylygyny ýazyň ýa-da gözegçi kanunyň rugsat berýän sebäbi bilen ony çözüp biler.
consent-refused-expired = Bu maglumat bermäge razylygyň möhleti geçdi: ondan ýene soraň we ýazyň.
consent-refused-not-yet-valid = Bu maglumat bermäge razylyk entek güýje girmedi.
consent-refused-withdrawn = Adam bu maglumat bermäge razylygyny yzyna aldy.
consent-until-before-from = Razylyk başlanýan gününden öň gutarmaýar.
consent-referral-needs-recipient = Ugrukdyrmaga razylyk üpjün edijini ýa-da üpjün edijileriň görnüşini atlandyrýar.
consent-recipient-only-referral = Üpjün edijini diňe ugrukdyrmaga razylyk atlandyrýar.
consent-override-needs-reason = Razylyksyz karar üçin kanunyň rugsat berýän sebäbi we düşündiriş gerek.
consent-already-withdrawn = Bu razylyk eýýäm yzyna alyndy.
consent-person-not-household = Razylyk işiň adamy ýa-da onuň öý hojalygynyň agzasy üçin ýazylýar.
consent-provider-unknown = { $provider } üpjün edijisi ýok.
consent-disclosure-purpose = Bu ýerde maglumat diňe polisiýa ýa-da saglyk gullugyna berilýär.
consent-disclosure-recipient = Maglumatyň kime berilýändigini ýazyň.
