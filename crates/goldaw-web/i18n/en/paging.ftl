# Paging every list (issue #24): a page at a time, the next page after the last row shown.
store-page-link-damaged = The page link is damaged or out of date: start again from the first page.
page-next = Next page
page-first = First page
page-count-more = more than { $count }
tasks-overdue-more = More than { $count } tasks are overdue.
tasks-group-unallocated = Waiting for a social worker
tasks-group-worker = Social worker: { $name }
tasks-show-overdue = Only overdue
tasks-show-all = All tasks
audit-intact-since = The log is intact: { $count } events, none changed or removed (events from { $from } on were checked now, the earlier ones at the last check).
audit-verify-all = Check the whole chain
inbox-open = To answer or under way: { $count }
