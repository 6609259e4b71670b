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
