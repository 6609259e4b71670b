# Ynam telefonynyň jaňlar žurnaly (mesele №18): ammaryň ret etmeleri we sahypalaryň sözleri.
hotline-call-back-needs-time = Gaýtadan jaň etmek ylalaşyldy: liniýanyň haçan jaň etjekdigini ýazyň.
hotline-emergency-needs-consent = Gyssagly ýagdaýy polisiýa ýa-da saglyk gullugyna bermek üçin jaň edeniň razylygy gerek: soraň we ýazyň ýa-da başga netije saýlaň.
hotline-already-a-case = Bu jaň boýunça eýýäm iş açyldy.
hotline-follow-up-other-line = Gaýtalanýan jaň şol bir liniýanyň öňki jaňy bilen baglanyşdyrylýar.
hotline-bad-duration = Jaň 0 sekuntdan bir gije-gündize çenli dowam edýär: dowamlylygyny barlaň.
hotline-line-code-invalid = “{ $code }” liniýanyň kody däl: baş harplar, sanlar we defisler, iň köp 32.
hotline-line-name-invalid = Liniýa iň köp 200 belgili at beriň.
hotline-line-exists = { $code } liniýasy eýýäm bar.
hotline-member-role = Liniýada diňe ynam telefonynyň işgärleri we gözegçiler işleýär.
hotline-caller-code-invalid = Jaň edeniň kod ady iň köp 40 harp, dolandyryş belgisiz.
hotline-received-future = Jaň gelen wagty ýazylýar: bu wagt entek gelmedi.
hotline-case-sex-needed = Adam üçin iş açmak üçin onuň jynsyny ýazyň.
