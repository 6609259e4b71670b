# Sanawlary sahypa-sahypa görkezmek (mesele #24).
store-page-link-damaged = Sahypanyň salgysy zaýalanypdyr ýa-da köneldipdir: birinji sahypadan başlaň.
page-next = Indiki sahypa
page-first = Birinji sahypa
page-count-more = { $count }-den köp
tasks-overdue-more = { $count }-den köp mesele gijikdirildi.
tasks-group-unallocated = Durmuş işgärine garaşýanlar
tasks-group-worker = Durmuş işgäri: { $name }
tasks-show-overdue = Diňe gijikdirilenler
tasks-show-all = Ähli meseleler
audit-intact-since = Žurnal bitewi: { $count } waka, hiç biri üýtgedilmedi we pozulmady ({ $from }-nji wakadan başlap häzir barlandy, öňküleri soňky barlagda).
audit-verify-all = Tutuş zynjyry barla
inbox-open = Jogap garaşýan ýa-da ýerine ýetirilýän: { $count }
