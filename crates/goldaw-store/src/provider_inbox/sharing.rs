//! Whether consent closes the referrals of one inbox page, read in three statements for the whole
//! page (issue #24) instead of three per referral. The rule stays in one place,
//! `goldaw_core::consent::sharing_basis` (and `governed`), asked per referral with the facts read
//! here — the same facts `consent::sharing_facts!` reads for one referral, which
//! `Store::consent_closes` asks on a single read and on every action (tests/store/paging_lists.rs
//! holds the two to the same answer).

use crate::error::{StoreError, StoreResult};
use crate::service_referrals::ReferralRow;
use crate::Store;
use chrono::{NaiveDate, Utc};
use goldaw_core::consent::{sharing_basis, ConsentFacts, ConsentPurpose, OverrideFacts, Recipient};
use goldaw_core::deadlines::local_date;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

#[derive(sqlx::FromRow)]
struct ConsentLine {
    person_id: Uuid,
    purpose: String,
    provider: Option<String>,
    provider_kind: Option<String>,
    valid_from: NaiveDate,
    valid_until: Option<NaiveDate>,
    withdrawn: bool,
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

/// `$1, $2, ...` for `n` values.
fn placeholders(n: usize) -> String {
    (1..=n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The consent register's facts for a set of people and cases, read in three statements: the
/// people's consents, the cases' overrides, and which cases began as a hotline call.
#[derive(Default)]
pub(crate) struct PageFacts {
    by_person: HashMap<Uuid, Vec<ConsentFacts>>,
    by_case_person: HashMap<(Uuid, Uuid), Vec<OverrideFacts>>,
    from_call: HashSet<Uuid>,
}

impl PageFacts {
    /// The person's consents (in the order recorded).
    pub(crate) fn consents(&self, person: Uuid) -> &[ConsentFacts] {
        self.by_person
            .get(&person)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The case's overrides for the person.
    pub(crate) fn overrides(&self, case: Uuid, person: Uuid) -> &[OverrideFacts] {
        self.by_case_person
            .get(&(case, person))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Whether consent governs the person on the case (`goldaw_core::consent::governed`).
    pub(crate) fn governed(&self, case: Uuid, person: Uuid) -> bool {
        goldaw_core::consent::governed(
            !self.consents(person).is_empty(),
            self.from_call.contains(&case),
        )
    }
}

impl Store {
    /// The facts of the consent rule for these people and cases (each list without repeats).
    pub(crate) async fn consent_facts_for(
        &self,
        persons: &[Uuid],
        cases: &[Uuid],
    ) -> StoreResult<PageFacts> {
        if persons.is_empty() || cases.is_empty() {
            return Ok(PageFacts::default());
        }
        let consent_sql = format!(
            "SELECT c.person_id, c.purpose, pr.external_id AS provider, c.provider_kind, c.valid_from,
                    c.valid_until, (c.withdrawn_at IS NOT NULL) AS withdrawn
             FROM consents c LEFT JOIN providers pr ON pr.id = c.provider_id
             WHERE c.person_id IN ({}) ORDER BY c.recorded_at, c.id",
            placeholders(persons.len())
        );
        let override_sql = format!(
            "SELECT o.case_id, o.person_id, o.purpose, pr.external_id FROM consent_overrides o
             LEFT JOIN providers pr ON pr.id = o.provider_id
             WHERE o.case_id IN ({}) ORDER BY o.recorded_at, o.id",
            placeholders(cases.len())
        );
        let call_sql = format!(
            "SELECT DISTINCT case_id FROM hotline_calls WHERE case_id IN ({})",
            placeholders(cases.len())
        );
        type OverrideLine = (Uuid, Uuid, String, Option<String>);
        let (consents, overrides, calls) = with_db!(self.db(), pool => {
            let mut q = sqlx::query_as::<_, ConsentLine>(&consent_sql);
            for p in persons {
                q = q.bind(p);
            }
            let consents = q.fetch_all(pool).await?;
            let mut q = sqlx::query_as::<_, OverrideLine>(&override_sql);
            for c in cases {
                q = q.bind(c);
            }
            let overrides = q.fetch_all(pool).await?;
            let mut q = sqlx::query_as::<_, (Uuid,)>(&call_sql);
            for c in cases {
                q = q.bind(c);
            }
            let calls = q.fetch_all(pool).await?;
            (consents, overrides, calls)
        });
        let mut facts = PageFacts::default();
        for c in consents {
            facts
                .by_person
                .entry(c.person_id)
                .or_default()
                .push(ConsentFacts {
                    purpose: c
                        .purpose
                        .parse()
                        .map_err(|e| corrupt("consent purpose", e))?,
                    provider: c.provider,
                    provider_kind: c.provider_kind,
                    valid_from: c.valid_from,
                    valid_until: c.valid_until,
                    withdrawn: c.withdrawn,
                });
        }
        for (case, person, purpose, provider) in overrides {
            facts
                .by_case_person
                .entry((case, person))
                .or_default()
                .push(OverrideFacts {
                    purpose: purpose.parse().map_err(|e| corrupt("consent purpose", e))?,
                    provider,
                });
        }
        facts.from_call = calls.into_iter().map(|(c,)| c).collect();
        Ok(facts)
    }

    /// For each row of a page of the provider's (`ext`, of kind `kind`) inbox: consent no longer
    /// lets the provider see it.
    pub(crate) async fn consent_closes_page(
        &self,
        ext: &str,
        kind: &str,
        rows: &[ReferralRow],
    ) -> StoreResult<Vec<bool>> {
        let persons = distinct(rows.iter().map(|r| r.person_id));
        let cases = distinct(rows.iter().map(|r| r.case_id));
        let facts = self.consent_facts_for(&persons, &cases).await?;
        let today = local_date(Utc::now());
        Ok(rows
            .iter()
            .map(|row| {
                row.provider_external_id.is_some()
                    && sharing_basis(
                        facts.governed(row.case_id, row.person_id),
                        facts.consents(row.person_id),
                        facts.overrides(row.case_id, row.person_id),
                        ConsentPurpose::Referral,
                        Recipient::Provider { id: ext, kind },
                        today,
                    )
                    .is_err()
            })
            .collect())
    }
}

/// The values without repeats (in no particular order).
pub(crate) fn distinct(values: impl Iterator<Item = Uuid>) -> Vec<Uuid> {
    values.collect::<HashSet<_>>().into_iter().collect()
}
