-- Assessments recorded against the instruments (docs/instruments.md, docs/case-management.md).
--
-- The instruments table of 0005 keeps every version ever shipped (its definition as JSON), loaded on
-- every migrate and never deleted, so an assessment keeps the questions it was asked with even after
-- a release stops shipping its version (`active` then turns false: no new assessments with it).

-- The people an assessment is about: the case's person and the household members the worker
-- includes, in the order shown. Answers are stored per person (assessment_items.person_id).
CREATE TABLE assessment_persons (
    assessment_id BLOB NOT NULL REFERENCES assessments(id),
    person_id     BLOB NOT NULL REFERENCES persons(id),
    position      INTEGER NOT NULL,
    PRIMARY KEY (assessment_id, person_id)
);

-- A free-text answer (details, the person's own words), sealed like every free text; the coded
-- answers stay in need / answer, readable for statistics without the key.
ALTER TABLE assessment_items ADD COLUMN text_sealed BLOB;
-- The row's own id, which the sealed columns are bound to: a merge of duplicate people moves a row
-- to the kept person (person_id changes), and its text must still open.
ALTER TABLE assessment_items ADD COLUMN row_id BLOB;

CREATE INDEX assessments_case_kind ON assessments(case_id, kind, status, completed_at);
