# The keyed audit chain (goldaw-store/src/audit.rs).
audit-unchecked = Журнал не удалось проверить полностью ({ $count } событий): для событий с ключом нужен ключ шифрования, или ни одно событие не защищено ключом. Подробности: goldaw audit verify на сервере.
