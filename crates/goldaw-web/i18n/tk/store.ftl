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
