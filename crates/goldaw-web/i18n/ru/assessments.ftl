# Оценки по инструментам (pages/assessments.rs). Вопросы и варианты ответов берутся из файлов
# инструментов (reference/instruments), а не отсюда. Перевод составлен, требует проверки.
assessments-title = Оценки
assessment-none = Оценок пока нет.
assessment-instrument = Инструмент
assessment-instrument-version = { $name }, версия { $number }
assessment-when = Начата или завершена
assessment-open = Открыть
assessment-continue = Продолжить
assessment-status-draft = Черновик
assessment-status-completed = Завершена
assessment-start = Начать: { $name }
assessment-persons = Кого оценивают
assessment-respondent = отвечает за домохозяйство
assessment-person-age = { $name }, { $count ->
    [one] { $count } год
    [few] { $count } года
   *[other] { $count } лет
}
assessment-hint-initial = Сначала проведите с человеком первичную оценку: по ней завершается скрининг.
assessment-hint-holistic = Сначала проведите с человеком комплексную оценку: на ней строится план поддержки.
assessment-proposal = Первичная оценка предлагает: { $name }. Почему: { $detail }
assessment-needs-title = Потребности, выявленные комплексной оценкой
assessment-need-line = { $name } ({ $detail }): { $status }
assessment-back-to-case = Назад к случаю { $number }
assessment-steps = Разделы оценки
assessment-position = Раздел { $number } из { $count }
assessment-check = Проверить и завершить
assessment-notes = Сильные стороны и слова самого человека
assessment-strengths = Сильные стороны: что помогает, кто помогает
assessment-own-words = Словами самого человека
assessment-next = Сохранить и продолжить
assessment-save = Сохранить черновик
assessment-previous = Сохранить и вернуться
assessment-answer-it = Ответить
assessment-missing-count = { $count ->
    [one] Не хватает { $count } обязательного ответа:
   *[other] Не хватает обязательных ответов ({ $count }):
}
assessment-missing-line = { $name } — { $detail }
assessment-nothing-missing = Все обязательные ответы даны.
assessment-complete-help = После завершения оценка сохраняется как есть, а ответы по вопросам Вашингтонской группы записываются в карточку каждого человека.
assessment-complete = Завершить оценку
assessment-incomplete = Оценку пока нельзя завершить: ответьте на вопросы ниже.
assessment-author = Записал(а)
assessment-started = Начата
assessment-completed = Завершена
assessment-proposed-priority = Предлагаемый приоритет
assessment-col-question = Вопрос
assessment-col-person = Человек
assessment-col-answer = Ответ
assessment-not-answered = (нет ответа)
action-assessment_started = Начата оценка
action-assessment_completed = Завершена оценка
refusal-initial_assessment_missing = Сначала завершите с человеком первичную оценку: по ней завершается скрининг.
refusal-holistic_assessment_missing = Сначала завершите с человеком комплексную оценку: на ней строится план поддержки.
refusal-assessment_not_now = На этапе «{ $status }» оценку этого вида провести нельзя: первичная оценка относится к скринингу, комплексная — к своему этапу.
