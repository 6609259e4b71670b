-- Issue #22: the social workforce register. Staff records (never deleted: leaving is an end date
-- and a reason), the establishment of funded posts, courses and who attended them, certifications,
-- supervision sessions and career steps. The ministry's norms (CPD hours a year, supervisions a
-- month) are rows of `settings` (keys workforce.cpd_hours, workforce.supervisions_per_month).
-- Agreed actions of a supervision may name people: sealed like case notes.

CREATE TABLE workforce_staff (
    id                 BLOB PRIMARY KEY,
    external_id        TEXT NOT NULL UNIQUE,
    given_name         TEXT NOT NULL,
    family_name        TEXT NOT NULL,
    sex                TEXT CHECK (sex IN ('F', 'M')),
    birth_date         TEXT,
    admin_unit         TEXT NOT NULL REFERENCES admin_units(code),
    organisation       TEXT NOT NULL,
    org_kind           TEXT NOT NULL CHECK (org_kind IN ('state', 'ngo')),
    position           TEXT NOT NULL,
    specialism         TEXT,
    employment         TEXT NOT NULL CHECK (employment IN ('full_time', 'part_time')),
    fte_percent        INTEGER NOT NULL CHECK (fte_percent BETWEEN 1 AND 100),
    hired_on           TEXT NOT NULL,
    left_on            TEXT,
    leaving_reason     TEXT,
    degree_social_work INTEGER NOT NULL DEFAULT 0,
    languages          TEXT NOT NULL DEFAULT '',
    user_id            BLOB REFERENCES users(id),
    supervisor_id      BLOB REFERENCES workforce_staff(id),
    version            INTEGER NOT NULL DEFAULT 1,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    CHECK ((left_on IS NULL) = (leaving_reason IS NULL))
);
CREATE INDEX workforce_staff_unit ON workforce_staff(admin_unit);
CREATE UNIQUE INDEX workforce_staff_user ON workforce_staff(user_id);
CREATE INDEX workforce_staff_supervisor ON workforce_staff(supervisor_id);

-- The establishment: funded posts per etrap and organisation, filled by one member of staff or
-- vacant, since `since`.
CREATE TABLE workforce_posts (
    id           BLOB PRIMARY KEY,
    external_id  TEXT NOT NULL UNIQUE,
    admin_unit   TEXT NOT NULL REFERENCES admin_units(code),
    organisation TEXT NOT NULL,
    position     TEXT NOT NULL,
    fte_percent  INTEGER NOT NULL CHECK (fte_percent BETWEEN 1 AND 100),
    funded_from  TEXT NOT NULL,
    abolished_on TEXT,
    holder_id    BLOB REFERENCES workforce_staff(id),
    since        TEXT NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1,
    updated_at   TEXT NOT NULL
);
CREATE INDEX workforce_posts_unit ON workforce_posts(admin_unit);
CREATE UNIQUE INDEX workforce_posts_holder ON workforce_posts(holder_id);

CREATE TABLE workforce_courses (
    id          BLOB PRIMARY KEY,
    external_id TEXT NOT NULL UNIQUE,
    topic       TEXT NOT NULL,
    hours       INTEGER NOT NULL CHECK (hours > 0),
    trainer     TEXT NOT NULL DEFAULT '',
    starts_on   TEXT NOT NULL,
    ends_on     TEXT NOT NULL,
    place       TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    CHECK (ends_on >= starts_on)
);

-- Who attended which course; a completed course counts its hours as CPD in the year it ended.
CREATE TABLE workforce_attendance (
    course_id    BLOB NOT NULL REFERENCES workforce_courses(id),
    staff_id     BLOB NOT NULL REFERENCES workforce_staff(id),
    status       TEXT NOT NULL CHECK (status IN ('enrolled', 'completed', 'not_completed')),
    completed_on TEXT,
    recorded_by  TEXT NOT NULL,
    recorded_at  TEXT NOT NULL,
    PRIMARY KEY (course_id, staff_id),
    CHECK ((status = 'completed') = (completed_on IS NOT NULL))
);
CREATE INDEX workforce_attendance_staff ON workforce_attendance(staff_id);

CREATE TABLE workforce_certifications (
    id           BLOB PRIMARY KEY,
    staff_id     BLOB NOT NULL REFERENCES workforce_staff(id),
    name         TEXT NOT NULL,
    certified_on TEXT NOT NULL,
    expires_on   TEXT,
    recorded_by  TEXT NOT NULL,
    recorded_at  TEXT NOT NULL,
    CHECK (expires_on IS NULL OR expires_on >= certified_on)
);
CREATE INDEX workforce_certifications_staff ON workforce_certifications(staff_id);

-- A supervision session: a supervisor (a staff record) with one worker or a group.
CREATE TABLE workforce_supervisions (
    id             BLOB PRIMARY KEY,
    supervisor_id  BLOB NOT NULL REFERENCES workforce_staff(id),
    held_on        TEXT NOT NULL,
    form           TEXT NOT NULL CHECK (form IN ('one_to_one', 'group')),
    case_codes     TEXT NOT NULL DEFAULT '',
    actions_sealed BLOB,
    recorded_by    TEXT NOT NULL,
    recorded_at    TEXT NOT NULL
);
CREATE INDEX workforce_supervisions_supervisor ON workforce_supervisions(supervisor_id, held_on);

CREATE TABLE workforce_supervision_workers (
    supervision_id BLOB NOT NULL REFERENCES workforce_supervisions(id),
    staff_id       BLOB NOT NULL REFERENCES workforce_staff(id),
    held_on        TEXT NOT NULL,
    PRIMARY KEY (supervision_id, staff_id)
);
CREATE INDEX workforce_supervision_workers_staff ON workforce_supervision_workers(staff_id, held_on);

-- Careers: each promotion along the path, with its date.
CREATE TABLE workforce_career_steps (
    id            BLOB PRIMARY KEY,
    staff_id      BLOB NOT NULL REFERENCES workforce_staff(id),
    from_position TEXT NOT NULL,
    to_position   TEXT NOT NULL,
    effective_on  TEXT NOT NULL,
    recorded_by   TEXT NOT NULL,
    recorded_at   TEXT NOT NULL
);
CREATE INDEX workforce_career_steps_staff ON workforce_career_steps(staff_id);
