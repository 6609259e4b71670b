# Ammardan girizilen maglumatlaryň ret edilmegi (en/store.ftl serediň).
store-text-too-long = Bu tekst { $limit } belgiden uzyn: gysgaldyň ýa-da resminama hökmünde goşuň.
store-case-unit-not-etrap = { $unit } etrap däl: iş etrabyň (ýa-da şäheriň) toparyna degişli.
store-person-not-in-scope = Siziň çäkňizde beýle adam ýok: ilki adamy tapyň ýa-da hasaba alyň.
store-transfer-unit-missing = Işiň geçirilýän etrabyny saýlaň.
store-transfer-same-unit = Iş eýýäm şu etrapda.
store-allocate-closed = Ýapylan iş berkidilmeýär: ilki ony täzeden açyň.
store-worker-not-assignable = { $sensitive ->
    [1] { $user } { $unit } boýunça duýgur işlere rugsady bolan işleýän durmuş işgäri däl.
   *[0] { $user } { $unit } boýunça işleýän durmuş işgäri däl.
}
store-note-empty = Näme bolandygyny ýazyň: bellik boş bolup bilmez.
store-note-future = Bellik bolan zady ýazýar: onuň wagty entek gelmedi.
store-plan-not-now = Goldaw meýilnamasy toplumlaýyn baha berişden soň düzülýär we goldaw dowam edýärkä täzelenýär; bu iş «{ $status }» tapgyrynda.
store-plan-goal-count = Meýilnamadaky maksatlaryň sany 1 bilen { $limit } aralygynda bolmaly.
store-plan-action-count = Meýilnamada iň köp { $limit } çäre bolup biler.
store-plan-views-missing = Adam razy däl: onuň pikirini öz sözleri bilen ýazyň.
store-plan-agreement-missing = Meýilnamany tabşyrmazdan öň adamyň onuň bilen razydygyny ýa-da däldigini belläň.
store-plan-status = Meýilnama «{ $expected }» däl-de, «{ $status }» ýagdaýynda: näme üýtgändigini görmek üçin ony täzeden açyň.
store-review-kind-missing = Synyň görnüşini saýlaň.
store-review-future = Syn geçirilenden soň ýazylýar: onuň senesi entek gelmedi.
store-review-rating-range = Her maksada 0-dan 10-a çenli baha beriň.
store-review-plan-not-now = Meýilnamanyň syny goldaw dowam edýärkä geçirilýär (işjeň goldaw ýa-da gözegçilik).
store-review-closing-closed = Jemleýji syn iş ýapylmazdan öň geçirilýär.
store-review-follow-up-open = Netijeleriň soňky synlary iş ýapylandan soň geçirilýär.
store-review-goal-unknown = Maksat tassyklanan meýilnamada ýok ýa-da oňa iki gezek baha berildi: syny täzeden açyň.
store-review-goals-unrated = Meýilnamanyň her maksadyna baha beriň (baha berlen maksatlar: { $rated } / { $count }).
store-legal-basis-future = Kazyýetiň kararynyň ýa-da ugrukdyrmanyň senesi entek gelmedi.
store-provider-act-future = Sene entek gelmedi.
store-delivery-future = Hyzmatyň berlen senesi entek gelmedi.
store-refer-own-work = Etrabyň durmuş işi gullugyna we ynam telefonyna ugrukdyrylmaýar: bular işiň öz işi.
store-refer-not-household = Işdäki adamy ýa-da onuň öý hojalygynyň agzasyny ugrukdyryň.
store-refer-universal-offer = Umumy hyzmatlara üpjün edijiniň teklibi arkaly däl-de, mekdebi, saglyk öýüni ýa-da edarany görkezip ugrukdyrylýar.
store-refer-recipient-missing = Adamyň ugrukdyrylýan mekdebini, saglyk öýüni ýa-da edarasyny görkeziň.
store-refer-offer-missing = Ugrukdyrmak üçin üpjün edijiniň teklibini saýlaň.
store-refer-offer-unknown = Üpjün edijiniň beýle teklibi ýok: sahypany täzeden açyň we saýlaň.
store-point-ended = Bu hyzmat nokady ýapyldy: işleýänini saýlaň ýa-da ilki ony täzeden açyň.
store-point-has-offers = Bu hyzmat nokadynda işjeň teklipler berilýär ({ $detail }): ilki olary tamamlaň ýa-da başga nokada geçiriň.
store-decline-reason-missing = Ugrukdyrmanyň näme üçin ret edilýändigini görkeziň.
store-assessment-completed = Baha beriş tamamlandy we şol durşuna saklanýar: täzeden baha bermek üçin täzesini başlaň.
store-assessment-draft-exists = Bu iş boýunça «{ $name }» baha berişiň garalamasy bar: ony dowam ediň.
store-assessment-person-missing = Ilkinji baha berişe işdäki adam hem girýär: ol öý hojalygy baradaky soraglara jogap berýär.
store-username-form = «{ $user }» ulanyjy ady däl: 3-den 64-e çenli kiçi latyn harpy, san, «.», «_» ýa-da «-» ulanyň.
store-username-taken = «{ $user }» ulanyjy ady eýýäm eýelenen.
store-password-short = Açar sözünde azyndan { $limit } belgi bolmaly.
store-password-long = Açar sözi { $limit } belgiden uzyn.
store-password-username = Açar sözünde ulanyjy ady bolmaly däl.
store-password-repeated = Açar sözi gaýtalanýan bir belgiden ybarat bolmaly däl.
store-password-wrong = Häzirki açar sözi nädogry.
store-password-same = Täze açar sözi häzirkiden tapawutlanmaly.
store-scope-unit-unknown = { $unit } belli dolandyryş birligi däl.
store-scope-provider-only = Üpjün edijiniň çägi diňe üpjün edijiniň işgärlerine berilýär.
store-scope-provider-needed = Üpjün edijiniň işgärlerine üpjün edijiniň çägi gerek: provider:ID.
store-unsuppressed-not-allowed = Gizlenmedik statistika diňe meýilnamaçylara we ministrlige berlip bilner.
store-self-demotion = Öz hasabyňyzdan administrator roluny aýryp ýa-da ony öçürip bilmersiňiz: başga administratordan haýyş ediň.
store-account-disabled = «{ $user }» hasaby öçürilen ýa-da tassyklanmadyk.
store-person-exists = «{ $name }» belgili adam eýýäm bar.
store-household-exists = «{ $name }» belgili öý hojalygy eýýäm bar.
store-household-unknown = Siziň çäkňizde «{ $name }» belgili öý hojalygy ýok.
store-provider-id-form = Üpjün edijiniň belgisi diňe harplardan, sanlardan we dyngy belgilerinden ybarat, boşluksyz.
store-provider-exists = «{ $name }» belgili üpjün ediji eýýäm hasaba alnan.
store-places-negative = Orunlaryň sany otrisatel bolup bilmez.
store-offer-universal = Umumy hyzmatlar beýleki pudaklara degişli: olara teklip arkaly däl-de, mekdebi, saglyk öýüni ýa-da edarany görkezip ugrukdyryň.
store-point-unknown = Bu üpjün edijiniň beýle hyzmat nokady ýok.
store-offer-exists = Bu teklip eýýäm bar: ony üýtgetmek üçin sahypany täzeden açyň.
store-holiday-names = Baýramyň ady üç dilde hem bolmaly.
store-merge-already-undone = Bu birleşdirme eýýäm ýatyryldy.
store-merge-merged-since = Iki ýazgynyň biri şondan soň ýene birleşdirildi. Ilki şol birleşdirmäni ýatyryň.
store-merge-later-merge = Soňra saklanan ýazga başga bir ýazgy birleşdirildi. Ilki şol birleşdirmäni ýatyryň.
# A referral to a service: an action out of its order (goldaw_core::service_referrals::ReferralRefusal).
store-referral-out-of-order = Ugrukdyrma «{ $status }» ýagdaýynda durka «{ $action }» mümkin däl: näme üýtgändigini görmek üçin ony täzeden açyň.
store-referral-action-accept = Kabul etmek
store-referral-action-wait = Garaşylýanlaryň sanawyna goşmak
store-referral-action-decline = Ret etmek
store-referral-action-start = Hyzmaty başlamak
store-referral-action-deliver = Berlen birlikleri ýazmak
store-referral-action-complete = Tamamlamak
store-referral-action-cancel = Ugrukdyrmany ýatyrmak

# refusals şahasynyň açarlary (issue #17, 7-nji bölüm): adamlar, öý hojalyklary, statistika, meýilleşdirme, gündeligiň daýanç nokady.
store-address-too-long = Salgy { $limit } belgiden uzyn: gysgaldyň.
store-address-control = Salgyda dolandyryş belgisi bar: salgyny şol belgisiz täzeden ýazyň.
store-birth-date-future = { $date } doglan senesi geljekde.
store-birth-date-early = { $date } doglan senesi { $from } senesinden öň: ýyly barlaň.
store-place-unknown = { $unit } näbelli dolandyryş birligi (admin_units salgylanma maglumatlaryna serediň).
store-place-country = Tutuş ýurdy däl-de, welaýaty ýa-da etraby görkeziň.
store-indicator-dimension = { $indicator } görkezijisini «{ $dimension }» boýunça bölüp bolmaýar: kabul edilýän bölünişler — { $detail }.
store-min-cell-protection = { $limit }-den az sanlar gizlense, gizlenen sanyň 1 bilen { $to } aralygyndadygy belli bolýar: goramak üçin bu örän dar. { $number } ýa-da ondan köp saýlaň.
store-breakdown-too-fine = Bu bölüniş az sanlary gizlänsoň hem howpsuz çap etmek üçin örän jikme-jik: azrak bölüniş ýa-da uzagrak döwür saýlaň.
store-breakdown-failed = Bu bölünişi gurup bolmaýar ({ $detail }): başga bölünişleri saýlaň.
store-period-too-early-for-ages = Döwür ýaş toparlaryna bölmek üçin örän ir gutarýar: has giçki döwri saýlaň.
store-rate-range = { $service }: paý 0 bilen 1 aralygynda bolmaly, { $rate } däl.
store-audit-anchor-form = «{ $value }» { $reason ->
    [colon] iki nokady saklamaýar
    [number] waka belgisi bilen başlanmaýar
   *[digits] 64 onaltylyk san bilen gutarmaýar
}: daýanç nokady goldaw audit anchor çap edişi ýaly SEQ:HASH görnüşinde bolýar — waka belgisi, iki nokat we 64 onaltylyk san.
# Ugrukdyrmalar we hyzmat edijiler (referrals.rs).
store-field-required = { $field } hökmany: dolduryň.
store-field-too-long = { $field } { $limit } belgiden uzyn: gysgaldyň.
store-service-unknown = Beýle hyzmat ýok: «{ $service }» näbelli hyzmat kody (S01..S12, ETRAP_SW, HOTLINE, RES_CARE ýa-da U_*; hyzmatlar sanawyna serediň).
store-refer-offer-other-service = Bu teklip { $expected } üçin däl-de, { $service } üçin: şol hyzmatyň teklibini saýlaň.
store-refer-offer-inactive = Bu teklip indi işlemeýär: başgasyny saýlaň.
store-refer-offer-other-unit = Bu teklip işiň { $unit } etrabyna däl-de, { $area } üçin: şol ýerdäki teklibi saýlaň.
store-refer-offer-recipient = Hyzmat edijiniň teklibine ugrukdyrmada başga kabul ediji görkezilmeýär.
store-referral-reason-decline-only = Sebäp we bellik diňe ret edilende ýazylýar.
store-referral-complete-before-start = Hyzmat { $date } senesinde başlandy: ony şondan öň tamamlap bolmaýar.
store-delivery-units-range = 1 bilen 10000 aralygynda birlik ýazyň.
store-delivery-before-start = Hyzmatyň senesi hyzmat başlanmazdan öň.
# Meýilnamalar we bahalandyrmalar (cases/).
store-plan-text-empty = { $field } boş bolup bilmez: dolduryň.
store-plan-action-goal-unknown = { $action } hereketi meýilnamada ýok { $number } maksada salgylanýar (maksatlar 0-dan sanalýar).
store-plan-action-service-unknown = { $action } hereketi: «{ $service }» hyzmatlar sanawyndaky hyzmat däl.
store-assessment-persons-count = Bir bahalandyrma iň köp { $limit } adamy öz içine alýar.
store-assessment-person-outside = { $name } ne işiň adamy, ne-de onuň öý hojalygynyň agzasy.
store-assessment-person-twice = { $name } iki gezek görkezilen.
store-assessment-instrument-unknown = «{ $value }» güýjündäki bahalandyrma guraly däl (şulardan birini saýlaň: { $detail }).
store-assessment-outcome-review = Netijeleriň gözden geçirilişi bahalandyrma hökmünde däl-de, meýilnamanyň gözden geçirilişi bilen ýazylýar.
store-assessment-answers-count = Bir gezekde iň köp { $limit } jogaby ýatda saklaň.
store-answer-person-outside = «{ $field }» soragyna jogap: { $name } bu bahalandyrmanyň adamlarynyň arasynda ýok.
store-answer-item-unknown = { $name } üçin «{ $field }» soragyna jogap: «{ $value }» guralynyň { $number } wersiýasynda beýle sorag ýok.
store-answer-refused = { $name } üçin «{ $field }» soragyna jogap: { $detail }
store-answers-refused = { $count ->
    [0] { $detail }
   *[other] { $detail } (we ýene { $count })
}
store-answers-missing = Hökmany jogaplaryň { $count } sanysy ýok: { $detail }

# The web's own refusals (made with StoreError::refuse, so their English is this text too).
store-chart-too-many-steps = { $from } – { $to } döwri diagramma üçin { $limit } ädimden köp: has uzyn ädimi ýa-da has gysga döwri saýlaň.
store-role-scope-unknown = goldaw beýle wezipäni ýa-da çägi bilmeýär: wezipäni sanawdan saýlaň, çägi bolsa ýurt (TM), welaýat (TM-A), etrap (TM-A-01) ýa-da provider:ID görnüşinde beriň.
