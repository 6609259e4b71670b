# Отказы хранилища при проверке ввода (см. en/store.ftl).
store-text-too-long = Текст длиннее { $limit } знаков: сократите его или приложите как документ.
store-case-unit-not-etrap = { $unit } — не этрап: дело ведёт команда этрапа (или города).
store-person-not-in-scope = В вашей территории нет такого человека: сначала найдите или зарегистрируйте его.
store-transfer-unit-missing = Выберите этрап, в который передаётся дело.
store-transfer-same-unit = Дело уже в этом этрапе.
store-allocate-closed = Закрытое дело не назначается: сначала откройте его снова.
store-worker-not-assignable = { $sensitive ->
    [1] { $user } — не действующий социальный работник { $unit } с допуском к чувствительным делам.
   *[0] { $user } — не действующий социальный работник { $unit }.
}
store-note-empty = Опишите, что произошло: запись не может быть пустой.
store-note-future = Запись фиксирует то, что произошло: её время ещё не наступило.
store-plan-not-now = Индивидуальный план поддержки составляется после комплексной оценки и пересматривается во время поддержки; это дело на этапе «{ $status }».
store-plan-goal-count = В плане должно быть от 1 до { $limit } целей.
store-plan-action-count = В плане не больше { $limit } действий.
store-plan-views-missing = Человек не согласен: запишите его мнение его словами.
store-plan-agreement-missing = Перед передачей плана отметьте, согласен ли с ним человек.
store-plan-status = План в состоянии «{ $status }», а не «{ $expected }»: откройте его снова, чтобы увидеть изменения.
store-review-kind-missing = Выберите вид обзора.
store-review-future = Обзор записывается после проведения: его дата ещё не наступила.
store-review-rating-range = Оцените каждую цель от 0 до 10.
store-review-plan-not-now = Обзор плана проводится во время поддержки (активная поддержка или мониторинг).
store-review-closing-closed = Заключительный обзор проводится до закрытия дела.
store-review-follow-up-open = Последующие обзоры результатов проводятся после закрытия дела.
store-review-goal-unknown = Цели нет в утверждённом плане или она оценена дважды: откройте обзор снова.
store-review-goals-unrated = Оцените каждую цель плана (оценено { $rated } из { $count }).
store-legal-basis-future = Дата решения суда или направления ещё не наступила.
store-provider-act-future = Дата ещё не наступила.
store-delivery-future = Дата оказания услуги ещё не наступила.
store-refer-own-work = В службу социальной работы этрапа и на горячую линию не направляют: это собственная работа по делу.
store-refer-not-household = Направьте человека по делу или члена его домохозяйства.
store-refer-universal-offer = В универсальные службы направляют, указывая школу, поликлинику или учреждение, а не предложение поставщика.
store-refer-recipient-missing = Укажите школу, поликлинику или учреждение, куда направляется человек.
store-refer-offer-missing = Выберите предложение поставщика, куда направить.
store-refer-offer-unknown = Такого предложения поставщика нет: откройте страницу снова и выберите.
store-point-ended = Этот пункт оказания услуг закрыт: выберите действующий или сначала откройте его снова.
store-point-has-offers = В этом пункте оказываются действующие услуги ({ $detail }): сначала завершите их или перенесите в другой пункт.
store-decline-reason-missing = Укажите, почему направление отклонено.
store-assessment-completed = Оценка завершена и сохранена как есть: чтобы оценить снова, начните новую.
store-assessment-draft-exists = По этому делу есть черновик оценки «{ $name }»: продолжите его.
store-assessment-person-missing = Первичная оценка включает человека по делу, который отвечает на вопросы о домохозяйстве.
store-username-form = «{ $user }» — не имя пользователя: используйте от 3 до 64 строчных латинских букв, цифр, «.», «_» или «-».
store-username-taken = Имя пользователя «{ $user }» уже занято.
store-password-short = Пароль должен содержать не меньше { $limit } знаков.
store-password-long = Пароль длиннее { $limit } знаков.
store-password-username = Пароль не должен содержать имя пользователя.
store-password-repeated = Пароль не должен состоять из одного повторённого знака.
store-password-wrong = Текущий пароль неверен.
store-password-same = Новый пароль должен отличаться от текущего.
store-scope-unit-unknown = { $unit } — неизвестная административная единица.
store-scope-provider-only = Область поставщика бывает только у сотрудников поставщиков.
store-scope-provider-needed = Сотрудникам поставщика нужна область поставщика: provider:ID.
store-unsuppressed-not-allowed = Доступ к статистике без подавления можно дать только планировщикам и министерству.
store-self-demotion = Нельзя снять роль администратора со своей учётной записи или отключить её: попросите другого администратора.
store-account-disabled = Учётная запись «{ $user }» отключена или не одобрена.
store-person-exists = Человек с идентификатором «{ $name }» уже есть.
store-household-exists = Домохозяйство с идентификатором «{ $name }» уже есть.
store-household-unknown = В вашей территории нет домохозяйства с идентификатором «{ $name }».
store-provider-id-form = Идентификатор поставщика — только буквы, цифры и знаки препинания, без пробелов.
store-provider-exists = Поставщик с идентификатором «{ $name }» уже зарегистрирован.
store-places-negative = Число мест не может быть отрицательным.
store-offer-universal = Универсальные услуги относятся к другим ведомствам: направляйте в них, указывая школу, поликлинику или учреждение, без предложения поставщика.
store-point-unknown = У этого поставщика нет такого пункта оказания услуг.
store-offer-exists = Такое предложение уже есть: откройте страницу снова, чтобы изменить его.
store-holiday-names = У праздника должно быть название на всех трёх языках.
store-merge-already-undone = Это объединение уже отменено.
store-merge-merged-since = Одна из двух записей с тех пор снова объединена. Сначала отмените то объединение.
store-merge-later-merge = Позже в сохранённую запись была объединена другая запись. Сначала отмените то объединение.
# A referral to a service: an action out of its order (goldaw_core::service_referrals::ReferralRefusal).
store-referral-out-of-order = «{ $action }» невозможно, пока направление в состоянии «{ $status }»: откройте его снова, чтобы увидеть изменения.
store-referral-action-accept = Принять
store-referral-action-wait = Внести в лист ожидания
store-referral-action-decline = Отклонить
store-referral-action-start = Начать услугу
store-referral-action-deliver = Записать оказанные единицы
store-referral-action-complete = Завершить
store-referral-action-cancel = Отменить направление

# Ключи ветки refusals (issue #17, п. 7): люди, домохозяйства, статистика, планирование, якорь журнала.
store-address-too-long = Адрес длиннее { $limit } знаков: сократите его.
store-address-control = В адресе есть управляющий символ: введите адрес заново без него.
store-birth-date-future = Дата рождения { $date } ещё не наступила.
store-birth-date-early = Дата рождения { $date } раньше { $from }: проверьте год.
store-place-unknown = { $unit } — неизвестная административная единица (см. справочник admin_units).
store-place-country = Укажите велаят или этрап, а не всю страну.
store-indicator-dimension = Показатель { $indicator } нельзя разбить по «{ $dimension }»: допустимые разбивки — { $detail }.
store-min-cell-protection = Если скрывать числа меньше { $limit }, известно, что скрытое число лежит между 1 и { $to }: это слишком узко для защиты. Выберите { $number } или больше.
store-breakdown-too-fine = Эта разбивка слишком подробна, чтобы безопасно опубликовать её даже со скрытием малых чисел: возьмите меньше разбивок или более длинный период.
store-breakdown-failed = Эту разбивку нельзя построить ({ $detail }): выберите другие разбивки.
store-period-too-early-for-ages = Период заканчивается слишком рано, чтобы разделить по возрастным группам: выберите более поздний период.
store-rate-range = { $service }: доля должна быть от 0 до 1, а не { $rate }.
store-audit-anchor-form = «{ $value }» { $reason ->
    [colon] не содержит двоеточия
    [number] не начинается с номера события
   *[digits] не заканчивается 64 шестнадцатеричными цифрами
}: якорь имеет вид SEQ:HASH, как его печатает goldaw audit anchor, — номер события, двоеточие и 64 шестнадцатеричные цифры.
# Направления и поставщики (referrals.rs).
store-field-required = Поле { $field } обязательно: заполните его.
store-field-too-long = Поле { $field } длиннее { $limit } знаков: сократите его.
store-service-unknown = Такой услуги нет: неизвестный код услуги «{ $service }» (S01..S12, ETRAP_SW, HOTLINE, RES_CARE или U_*; см. каталог услуг).
store-refer-offer-other-service = Это предложение относится к услуге { $service }, а не { $expected }: выберите предложение этой услуги.
store-refer-offer-inactive = Это предложение больше не действует: выберите другое.
store-refer-offer-other-unit = Это предложение действует в { $area }, а не в этрапе дела { $unit }: выберите предложение там.
store-refer-offer-recipient = Направление по предложению поставщика не называет другого получателя.
store-referral-reason-decline-only = Причина и примечание указываются только при отказе.
store-referral-complete-before-start = Услуга началась { $date }: завершить её раньше этой даты нельзя.
store-delivery-units-range = Укажите от 1 до 10000 единиц.
store-delivery-before-start = Дата оказания услуги раньше её начала.
# Планы и оценки (cases/).
store-plan-text-empty = Поле { $field } не может быть пустым: заполните его.
store-plan-action-goal-unknown = Действие { $action } ссылается на цель { $number }, которой нет в плане (цели считаются с 0).
store-plan-action-service-unknown = Действие { $action }: «{ $service }» — не услуга каталога.
store-assessment-persons-count = В одну оценку входит не больше { $limit } человек.
store-assessment-person-outside = { $name } — не человек, по которому ведётся дело, и не член его домохозяйства.
store-assessment-person-twice = { $name } указан(а) дважды.
store-assessment-instrument-unknown = «{ $value }» — не действующий инструмент оценки (выберите один из: { $detail }).
store-assessment-outcome-review = Итоговый обзор результатов записывается вместе с пересмотром плана, а не как оценка.
store-assessment-answers-count = Сохраняйте не больше { $limit } ответов за раз.
store-answer-person-outside = Ответ на вопрос «{ $field }»: { $name } нет среди участников этой оценки.
store-answer-item-unknown = Ответ на вопрос «{ $field }» для { $name }: в инструменте «{ $value }» версии { $number } такого вопроса нет.
store-answer-refused = Ответ на вопрос «{ $field }» для { $name }: { $detail }
store-answers-refused = { $count ->
    [0] { $detail }
   *[other] { $detail } (и ещё { $count })
}
store-answers-missing = Не хватает обязательных ответов: { $count } ({ $detail })

# The web's own refusals (made with StoreError::refuse, so their English is this text too).
store-chart-too-many-steps = Период с { $from } по { $to } содержит больше { $limit } шагов для диаграммы: выберите шаг длиннее или период короче.
store-role-scope-unknown = Такой роли или области goldaw не знает: выберите роль из списка, а область укажите как страну (TM), велаят (TM-A), этрап (TM-A-01) или provider:ID.
