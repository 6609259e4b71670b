-- The service-users report at national scale (issue #5; docs/statistics.md, "How the report is
-- kept fast"). One narrow row per episode of a service that makes someone a service user, with
-- what the report needs of the person copied next to it, so that a report reads one covering
-- index over the episodes of its period and never the nation's persons.
--
-- A person with several episodes in a period must count once. Each row therefore carries the
-- furthest day that the person's earlier episodes reach (`earlier_until`: of any counted service;
-- `earlier_until_service`: of the same service), earlier meaning before in the order
-- (started_on, until_on, episode_id). Of a person's episodes that overlap a period [from, to],
-- exactly the first in that order has nothing earlier reaching `from`: every earlier episode
-- started before `to`, so it overlaps unless it ended before `from`. A report counts the rows
-- that overlap the period and have `earlier_until < from` (or none), without DISTINCT.
--
-- Kept by triggers, so no writer can forget it: an episode inserted, changed or deleted
-- recomputes its person's rows (both persons' when it moves in a merge); a change of a copied
-- person column is copied. A bulk import into an empty episodes table drops the triggers and
-- fills the table once at the end (interchange/import_sqlite.rs).
CREATE TABLE report_service_uses (
    person_id             BLOB NOT NULL,
    episode_id            BLOB NOT NULL,
    service_code          TEXT NOT NULL,
    started_on            TEXT NOT NULL,
    -- the episode's last day; '9999-12-31' while it runs
    until_on              TEXT NOT NULL,
    earlier_until         TEXT,
    earlier_until_service TEXT,
    -- copied from persons
    admin_unit            TEXT NOT NULL,
    sex                   TEXT NOT NULL,
    birth_date            TEXT,
    disability            INTEGER NOT NULL,
    settlement            TEXT,
    target_groups         TEXT NOT NULL,
    PRIMARY KEY (person_id, episode_id)
) WITHOUT ROWID;
-- Everything a report reads, in the order of its period condition: a report is one range scan.
CREATE INDEX report_service_uses_period ON report_service_uses (
    until_on, started_on, earlier_until, earlier_until_service, admin_unit, sex, birth_date,
    disability, settlement, target_groups, service_code);

-- What the table must hold, computed from the base tables. The services are those of
-- goldaw_core::statistics::SERVICE_USER_SERVICES (INTERCHANGE.md, "Report semantics"); a store
-- test checks that the two lists agree. Both windows are partitioned by person_id (the second
-- in a subquery), so SQLite pushes a condition on person_id down to the service_episodes_person
-- index: a trigger's refresh reads only that person's episodes.
CREATE VIEW report_service_uses_source AS
SELECT s.person_id, s.episode_id, s.service_code, s.started_on, s.until_on,
       MAX(s.until_on) OVER (PARTITION BY s.person_id ORDER BY s.started_on, s.until_on, s.episode_id
                             ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS earlier_until,
       s.earlier_until_service,
       p.admin_unit, p.sex, p.birth_date, p.disability, p.settlement, p.target_groups
FROM (
    SELECT e.person_id, e.id AS episode_id, e.service_code, e.started_on,
           COALESCE(e.ended_on, '9999-12-31') AS until_on,
           MAX(COALESCE(e.ended_on, '9999-12-31')) OVER (
               PARTITION BY e.person_id, e.service_code
               ORDER BY e.started_on, COALESCE(e.ended_on, '9999-12-31'), e.id
               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS earlier_until_service
    FROM service_episodes e
    WHERE e.service_code IN ('S01', 'S02', 'S03', 'S04', 'S05', 'S06', 'S07', 'S08', 'S09', 'S10',
                             'S11', 'S12', 'ETRAP_SW')
) s JOIN persons p ON p.id = s.person_id;

INSERT INTO report_service_uses (person_id, episode_id, service_code, started_on, until_on,
    earlier_until, earlier_until_service, admin_unit, sex, birth_date, disability, settlement, target_groups)
SELECT person_id, episode_id, service_code, started_on, until_on, earlier_until, earlier_until_service,
       admin_unit, sex, birth_date, disability, settlement, target_groups
FROM report_service_uses_source;

-- An episode changes the rows of its person: a new one can come before the ones recorded.
CREATE TRIGGER report_service_uses_episode_insert AFTER INSERT ON service_episodes
BEGIN
    DELETE FROM report_service_uses WHERE person_id = NEW.person_id;
    INSERT INTO report_service_uses (person_id, episode_id, service_code, started_on, until_on,
        earlier_until, earlier_until_service, admin_unit, sex, birth_date, disability, settlement, target_groups)
    SELECT person_id, episode_id, service_code, started_on, until_on, earlier_until, earlier_until_service,
           admin_unit, sex, birth_date, disability, settlement, target_groups
    FROM report_service_uses_source WHERE person_id = NEW.person_id;
END;

-- Units delivered and other columns the report does not read change nothing here.
CREATE TRIGGER report_service_uses_episode_update
AFTER UPDATE OF person_id, service_code, started_on, ended_on ON service_episodes
WHEN OLD.person_id IS NOT NEW.person_id OR OLD.service_code IS NOT NEW.service_code
  OR OLD.started_on IS NOT NEW.started_on OR OLD.ended_on IS NOT NEW.ended_on
BEGIN
    DELETE FROM report_service_uses WHERE person_id IN (OLD.person_id, NEW.person_id);
    INSERT INTO report_service_uses (person_id, episode_id, service_code, started_on, until_on,
        earlier_until, earlier_until_service, admin_unit, sex, birth_date, disability, settlement, target_groups)
    SELECT person_id, episode_id, service_code, started_on, until_on, earlier_until, earlier_until_service,
           admin_unit, sex, birth_date, disability, settlement, target_groups
    FROM report_service_uses_source WHERE person_id IN (OLD.person_id, NEW.person_id);
END;

-- goldaw deletes no episode; this keeps the table right if an operator does.
CREATE TRIGGER report_service_uses_episode_delete AFTER DELETE ON service_episodes
BEGIN
    DELETE FROM report_service_uses WHERE person_id = OLD.person_id;
    INSERT INTO report_service_uses (person_id, episode_id, service_code, started_on, until_on,
        earlier_until, earlier_until_service, admin_unit, sex, birth_date, disability, settlement, target_groups)
    SELECT person_id, episode_id, service_code, started_on, until_on, earlier_until, earlier_until_service,
           admin_unit, sex, birth_date, disability, settlement, target_groups
    FROM report_service_uses_source WHERE person_id = OLD.person_id;
END;

-- A person's copied columns follow the person (an edit, a Washington Group answer changing
-- disability, a merge filling in the kept record). Most persons have no rows: one index probe.
CREATE TRIGGER report_service_uses_person_update
AFTER UPDATE OF admin_unit, sex, birth_date, disability, settlement, target_groups ON persons
WHEN OLD.admin_unit IS NOT NEW.admin_unit OR OLD.sex IS NOT NEW.sex
  OR OLD.birth_date IS NOT NEW.birth_date OR OLD.disability IS NOT NEW.disability
  OR OLD.settlement IS NOT NEW.settlement OR OLD.target_groups IS NOT NEW.target_groups
BEGIN
    UPDATE report_service_uses SET admin_unit = NEW.admin_unit, sex = NEW.sex,
        birth_date = NEW.birth_date, disability = NEW.disability, settlement = NEW.settlement,
        target_groups = NEW.target_groups
    WHERE person_id = NEW.id;
END;
