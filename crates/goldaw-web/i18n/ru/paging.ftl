# Постраничный вывод списков (задача #24).
store-page-link-damaged = Ссылка на страницу повреждена или устарела: начните с первой страницы.
page-next = Следующая страница
page-first = Первая страница
page-count-more = больше { $count }
tasks-overdue-more = Просрочено больше { $count } задач.
tasks-group-unallocated = Ждут социального работника
tasks-group-worker = Социальный работник: { $name }
tasks-show-overdue = Только просроченные
tasks-show-all = Все задачи
audit-intact-since = Журнал цел: { $count } событий, ни одно не изменено и не удалено (события начиная с { $from } проверены сейчас, более ранние — при прошлой проверке).
audit-verify-all = Проверить всю цепочку
inbox-open = Ждут ответа или выполняются: { $count }
