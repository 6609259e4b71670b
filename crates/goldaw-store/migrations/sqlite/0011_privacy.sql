-- A person named in a sensitive case is hidden from readers without the `sensitive` permission,
-- as a person with a sensitive target group is (goldaw_core::privacy::person_hidden). The mark is
-- set by every write that names a person in a sensitive case and never cleared: closing the case
-- or later non-sensitive work does not show the person again.
ALTER TABLE persons ADD COLUMN named_in_sensitive_case INTEGER NOT NULL DEFAULT 0;

-- Whom a case names: its subject; when the case is the household's, the members of the subject's
-- household; the people it referred to services; the people its assessments are about. The one
-- definition the writes (scope.rs, MARK_NAMED_IN_CASE and MARK_NAMED_PERSON) and the fix of the
-- existing rows below use.
CREATE VIEW case_persons (case_id, person_id) AS
    SELECT c.id, c.person_id FROM cases c
    UNION ALL
    SELECT c.id, m.id FROM cases c
        JOIN persons s ON s.id = c.person_id
        JOIN persons m ON m.household_id = s.household_id
     WHERE c.household_case AND m.id <> s.id
    UNION ALL
    SELECT r.case_id, r.person_id FROM service_referrals r
    UNION ALL
    SELECT a.case_id, ap.person_id FROM assessment_persons ap
        JOIN assessments a ON a.id = ap.assessment_id;

-- The view asked by person (a merge, a person joining a household) finds them by these.
CREATE INDEX service_referrals_person ON service_referrals(person_id);
CREATE INDEX assessment_persons_person ON assessment_persons(person_id);

-- The people existing sensitive cases name.
UPDATE persons SET named_in_sensitive_case = 1
 WHERE id IN (SELECT n.person_id FROM case_persons n JOIN cases c ON c.id = n.case_id
               WHERE c.sensitive);
