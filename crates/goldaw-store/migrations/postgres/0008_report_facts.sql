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
-- Kept by triggers, so no writer can forget it. Episodes: statement-level triggers recompute the
-- rows of every person a statement touched, once, from its transition tables (the import's one
-- upsert of 50,000 episodes is one refresh, not 50,000). Persons: a row trigger copies a changed
-- column; its WHEN is checked without calling the function, so re-importing unchanged persons
-- costs nothing.
CREATE TABLE report_service_uses (
    person_id             UUID NOT NULL,
    episode_id            UUID NOT NULL,
    service_code          TEXT NOT NULL,
    started_on            DATE NOT NULL,
    -- the episode's last day; 9999-12-31 while it runs
    until_on              DATE NOT NULL,
    earlier_until         DATE,
    earlier_until_service DATE,
    -- copied from persons
    admin_unit            TEXT COLLATE "C" NOT NULL,
    sex                   TEXT NOT NULL,
    birth_date            DATE,
    disability            BOOLEAN NOT NULL,
    settlement            TEXT,
    target_groups         TEXT NOT NULL,
    PRIMARY KEY (person_id, episode_id)
);
-- Everything a report reads, in the order of its period condition: a report is one index-only scan.
CREATE INDEX report_service_uses_period ON report_service_uses (until_on, started_on)
    INCLUDE (earlier_until, earlier_until_service, admin_unit, sex, birth_date, disability,
             settlement, target_groups, service_code, person_id);

-- What the table must hold, computed from the base tables. The services are those of
-- goldaw_core::statistics::SERVICE_USER_SERVICES (INTERCHANGE.md, "Report semantics"); a store
-- test checks that the two lists agree. Both windows are partitioned by person_id, so a condition
-- on person_id is pushed down to the service_episodes_person index.
CREATE VIEW report_service_uses_source AS
SELECT s.person_id, s.episode_id, s.service_code, s.started_on, s.until_on,
       MAX(s.until_on) OVER (PARTITION BY s.person_id ORDER BY s.started_on, s.until_on, s.episode_id
                             ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS earlier_until,
       s.earlier_until_service,
       p.admin_unit, p.sex, p.birth_date, p.disability, p.settlement, p.target_groups
FROM (
    SELECT e.person_id, e.id AS episode_id, e.service_code, e.started_on,
           COALESCE(e.ended_on, DATE '9999-12-31') AS until_on,
           MAX(COALESCE(e.ended_on, DATE '9999-12-31')) OVER (
               PARTITION BY e.person_id, e.service_code
               ORDER BY e.started_on, COALESCE(e.ended_on, DATE '9999-12-31'), e.id
               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS earlier_until_service
    FROM service_episodes e
    WHERE e.service_code IN ('S01', 'S02', 'S03', 'S04', 'S05', 'S06', 'S07', 'S08', 'S09', 'S10',
                             'S11', 'S12', 'ETRAP_SW')
) s JOIN persons p ON p.id = s.person_id;

-- Recomputes the rows of `people` (nothing to do for none: a statement that changed no episode).
CREATE FUNCTION report_service_uses_refresh(people UUID[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF cardinality(people) = 0 THEN
        RETURN;
    END IF;
    DELETE FROM report_service_uses WHERE person_id = ANY (people);
    INSERT INTO report_service_uses (person_id, episode_id, service_code, started_on, until_on,
        earlier_until, earlier_until_service, admin_unit, sex, birth_date, disability, settlement, target_groups)
    SELECT person_id, episode_id, service_code, started_on, until_on, earlier_until, earlier_until_service,
           admin_unit, sex, birth_date, disability, settlement, target_groups
    FROM report_service_uses_source WHERE person_id = ANY (people);
END $$;

INSERT INTO report_service_uses (person_id, episode_id, service_code, started_on, until_on,
    earlier_until, earlier_until_service, admin_unit, sex, birth_date, disability, settlement, target_groups)
SELECT person_id, episode_id, service_code, started_on, until_on, earlier_until, earlier_until_service,
       admin_unit, sex, birth_date, disability, settlement, target_groups
FROM report_service_uses_source;

-- An episode changes the rows of its person: a new one can come before the ones recorded.
CREATE FUNCTION report_service_uses_episodes_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM report_service_uses_refresh(ARRAY(SELECT DISTINCT person_id FROM new_episodes));
    RETURN NULL;
END $$;
CREATE TRIGGER report_service_uses_episodes_inserted AFTER INSERT ON service_episodes
    REFERENCING NEW TABLE AS new_episodes
    FOR EACH STATEMENT EXECUTE FUNCTION report_service_uses_episodes_inserted();

-- Only episodes whose person, service or days changed (not units delivered): both persons of an
-- episode that moved in a merge.
CREATE FUNCTION report_service_uses_episodes_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM report_service_uses_refresh(ARRAY(
        SELECT DISTINCT changed.person_id
        FROM old_episodes o JOIN new_episodes n ON n.id = o.id
        CROSS JOIN LATERAL (VALUES (o.person_id), (n.person_id)) AS changed (person_id)
        WHERE (o.person_id, o.service_code, o.started_on, o.ended_on)
              IS DISTINCT FROM (n.person_id, n.service_code, n.started_on, n.ended_on)));
    RETURN NULL;
END $$;
CREATE TRIGGER report_service_uses_episodes_updated AFTER UPDATE ON service_episodes
    REFERENCING OLD TABLE AS old_episodes NEW TABLE AS new_episodes
    FOR EACH STATEMENT EXECUTE FUNCTION report_service_uses_episodes_updated();

-- goldaw deletes no episode; this keeps the table right if an operator does.
CREATE FUNCTION report_service_uses_episodes_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM report_service_uses_refresh(ARRAY(SELECT DISTINCT person_id FROM old_episodes));
    RETURN NULL;
END $$;
CREATE TRIGGER report_service_uses_episodes_deleted AFTER DELETE ON service_episodes
    REFERENCING OLD TABLE AS old_episodes
    FOR EACH STATEMENT EXECUTE FUNCTION report_service_uses_episodes_deleted();

-- A person's copied columns follow the person (an edit, a Washington Group answer changing
-- disability, a merge filling in the kept record). Most persons have no rows: one index probe.
CREATE FUNCTION report_service_uses_person_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE report_service_uses SET admin_unit = NEW.admin_unit, sex = NEW.sex,
        birth_date = NEW.birth_date, disability = NEW.disability, settlement = NEW.settlement,
        target_groups = NEW.target_groups
    WHERE person_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER report_service_uses_person_updated
    AFTER UPDATE OF admin_unit, sex, birth_date, disability, settlement, target_groups ON persons
    FOR EACH ROW
    WHEN (OLD.admin_unit IS DISTINCT FROM NEW.admin_unit OR OLD.sex IS DISTINCT FROM NEW.sex
       OR OLD.birth_date IS DISTINCT FROM NEW.birth_date OR OLD.disability IS DISTINCT FROM NEW.disability
       OR OLD.settlement IS DISTINCT FROM NEW.settlement OR OLD.target_groups IS DISTINCT FROM NEW.target_groups)
    EXECUTE FUNCTION report_service_uses_person_updated();
