-- The supervisor's list of unallocated cases at velayat and national scope (issue #24, found by
-- bench/loadmix.sh on PostgreSQL: p99 over 100 ms at 160 requests a second). Unallocated open
-- cases are few (4,660 of 69,202 on the national set; most imported cases are closed and
-- unallocated), so an index of them alone, in the list's order, gives the first page by walking
-- a few entries at any scope (0.1-1 ms instead of 20-640 ms: a scan of every case, then every
-- person of every unallocated case joined before the sort).
CREATE INDEX cases_unallocated ON cases(opened_on, external_id)
    WHERE worker_user_id IS NULL AND status <> 'closed';

-- `cases_worker` answers "the cases of these workers" (`worker_user_id = ?` or `IN (...)`, which
-- imply NOT NULL): it no longer holds the unallocated cases, so SQLite (which plans without
-- statistics) cannot take it for `worker_user_id IS NULL` and read every unallocated case of the
-- country instead of the index above.
DROP INDEX cases_worker;
CREATE INDEX cases_worker ON cases(worker_user_id, status) WHERE worker_user_id IS NOT NULL;
