-- persons and households become WITHOUT ROWID tables keyed by their 16-byte id (issue #2). A rowid
-- table keyed by a BLOB is two b-trees, the rows by rowid and the `id` index pointing into them:
-- every insert writes both and every read by id seeks twice. Keyed by `id`, a row is one b-tree
-- and a read by id one seek. The ids are UUIDv7 (time-ordered), so new rows go to the end.
--
-- The rebuild runs inside sqlx's migration transaction, where `PRAGMA foreign_keys` cannot be
-- switched off. Dropping a table then deletes its rows first and counts every child row left
-- without its parent; with `defer_foreign_keys` those counts wait for the commit, and putting the
-- rows back into the new table counts them off again, so the commit succeeds only when every
-- reference to persons and households is whole again. Both steps look the children up by their
-- foreign key column: the children without an index on it get one for the duration.
PRAGMA defer_foreign_keys = ON;

CREATE INDEX migration_0010_target_groups ON person_target_groups(person_id);
CREATE INDEX migration_0010_assessment_items ON assessment_items(person_id);
CREATE INDEX migration_0010_assessment_persons ON assessment_persons(person_id);
CREATE INDEX migration_0010_referrals ON service_referrals(person_id);
CREATE INDEX migration_0010_merged_old ON persons(merged_into) WHERE merged_into IS NOT NULL;

CREATE TABLE migration_0010_households AS SELECT * FROM households;
CREATE TABLE migration_0010_persons AS SELECT * FROM persons;
-- Drops persons_admin_unit, persons_household and the trigger report_service_uses_person_update
-- with the table; they are made again below. Households go after persons, their only child.
DROP TABLE persons;
DROP TABLE households;

CREATE TABLE households (
    id           BLOB NOT NULL PRIMARY KEY,
    external_id  TEXT NOT NULL UNIQUE,
    admin_unit   TEXT NOT NULL REFERENCES admin_units(code),
    settlement   TEXT CHECK (settlement IN ('urban', 'rural')),
    address      TEXT,
    -- Made by goldaw for a person who lives alone (external id '~' || person's id).
    implicit     INTEGER NOT NULL DEFAULT 0,
    version      INTEGER NOT NULL DEFAULT 1,
    import_batch INTEGER,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO households (id, external_id, admin_unit, settlement, address, implicit, version,
                        import_batch, created_at, updated_at)
SELECT id, external_id, admin_unit, settlement, address, implicit, version, import_batch,
       created_at, updated_at
FROM migration_0010_households ORDER BY id;

CREATE TABLE persons (
    id                BLOB NOT NULL PRIMARY KEY,
    external_id       TEXT NOT NULL UNIQUE,
    household_id      BLOB NOT NULL REFERENCES households(id),
    relationship      TEXT,
    given_name        TEXT NOT NULL,
    family_name       TEXT,
    -- folded "family given" for spelling-tolerant search (goldaw_core::names::fold_name)
    name_key          TEXT NOT NULL,
    sex               TEXT NOT NULL CHECK (sex IN ('F', 'M')),
    birth_date        TEXT,
    admin_unit        TEXT NOT NULL REFERENCES admin_units(code),
    settlement        TEXT CHECK (settlement IN ('urban', 'rural')),
    receives_benefits INTEGER,
    wg_seeing         INTEGER CHECK (wg_seeing BETWEEN 1 AND 4),
    wg_hearing        INTEGER CHECK (wg_hearing BETWEEN 1 AND 4),
    wg_walking        INTEGER CHECK (wg_walking BETWEEN 1 AND 4),
    wg_cognition      INTEGER CHECK (wg_cognition BETWEEN 1 AND 4),
    wg_selfcare       INTEGER CHECK (wg_selfcare BETWEEN 1 AND 4),
    wg_communication  INTEGER CHECK (wg_communication BETWEEN 1 AND 4),
    -- derived from the six answers by the WG cut-off; stored for statistics
    disability        INTEGER NOT NULL,
    -- codes joined by ';' in contract order; the person_target_groups rows are the index
    target_groups     TEXT NOT NULL DEFAULT '',
    sensitive         INTEGER NOT NULL DEFAULT 0,
    version           INTEGER NOT NULL DEFAULT 1,
    import_batch      INTEGER,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    merged_into       BLOB REFERENCES persons(id)
) WITHOUT ROWID;
-- Putting a person back looks up who points at it, merged records too (migration 0005).
CREATE INDEX migration_0010_merged ON persons(merged_into) WHERE merged_into IS NOT NULL;
INSERT INTO persons (id, external_id, household_id, relationship, given_name, family_name, name_key,
                     sex, birth_date, admin_unit, settlement, receives_benefits, wg_seeing,
                     wg_hearing, wg_walking, wg_cognition, wg_selfcare, wg_communication,
                     disability, target_groups, sensitive, version, import_batch, created_at,
                     updated_at, merged_into)
SELECT id, external_id, household_id, relationship, given_name, family_name, name_key, sex,
       birth_date, admin_unit, settlement, receives_benefits, wg_seeing, wg_hearing, wg_walking,
       wg_cognition, wg_selfcare, wg_communication, disability, target_groups, sensitive, version,
       import_batch, created_at, updated_at, merged_into
FROM migration_0010_persons ORDER BY id;
CREATE INDEX persons_admin_unit ON persons(admin_unit);
CREATE INDEX persons_household ON persons(household_id);

-- As in migration 0008.
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

DROP TABLE migration_0010_persons;
DROP TABLE migration_0010_households;
DROP INDEX migration_0010_merged;
DROP INDEX migration_0010_target_groups;
DROP INDEX migration_0010_assessment_items;
DROP INDEX migration_0010_assessment_persons;
DROP INDEX migration_0010_referrals;
