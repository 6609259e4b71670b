//! Reference data held in memory: small, read on every write, changed only by migrate or import.

use crate::db::Db;
use crate::error::StoreResult;
use goldaw_core::cases::{ServiceCode, ServiceRoute};
use goldaw_core::codes::ServiceLevel;
use goldaw_core::ids::AdminUnitCode;
use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, Clone, Serialize)]
pub struct AdminUnit {
    pub code: String,
    pub parent_code: Option<String>,
    pub level: String,
    pub name_tk: String,
    pub name_en: String,
    pub name_ru: String,
    pub population: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Service {
    pub code: String,
    pub level: ServiceLevel,
    pub r#type: Option<String>,
    pub form: Option<String>,
    pub unit: String,
}

impl Service {
    /// How a case reaches this service: own work, by naming the recipient, or through a
    /// provider's offer in the register (`goldaw_core::cases::ServiceRoute`).
    pub fn route(&self) -> ServiceRoute {
        ServiceRoute::of(&self.code, self.level)
    }
}

/// A named code of a small reference list (target group, referral source, ...).
#[derive(Debug, Clone, Serialize)]
pub struct Term {
    pub kind: String,
    pub code: String,
    pub name_en: String,
    pub name_ru: String,
    pub name_tk: String,
}

impl Term {
    /// The name in `lang` (en, ru, tk; Turkmen otherwise).
    pub fn name(&self, lang: &str) -> &str {
        match lang {
            "en" => &self.name_en,
            "ru" => &self.name_ru,
            _ => &self.name_tk,
        }
    }
}

#[derive(Debug, Default)]
pub struct Catalogue {
    /// The named codes, in the order of their reference files.
    pub terms: Vec<Term>,
    /// In the order of the reference file.
    pub admin_units: Vec<AdminUnit>,
    units_by_code: HashMap<String, usize>,
    pub services: Vec<Service>,
    services_by_code: HashMap<String, usize>,
}

impl Catalogue {
    #[tracing::instrument(skip_all)]
    pub(crate) async fn load(db: &Db) -> StoreResult<Catalogue> {
        type UnitRow = (
            String,
            Option<String>,
            String,
            String,
            String,
            String,
            Option<i64>,
        );
        type ServiceRow = (String, String, Option<String>, Option<String>, String);
        type Loaded = (
            Vec<UnitRow>,
            Vec<ServiceRow>,
            Vec<(String, String, String, String, String)>,
        );
        let (units, services, terms): Loaded = with_db!(db, pool => {
            let units = sqlx::query_as(
                "SELECT code, parent_code, level, name_tk, name_en, name_ru, population
                 FROM admin_units ORDER BY sort_order",
            )
            .fetch_all(pool)
            .await?;
            let services = sqlx::query_as(
                "SELECT code, level, type, form, unit FROM services ORDER BY sort_order",
            )
            .fetch_all(pool)
            .await?;
            let terms: Vec<(String, String, String, String, String)> = sqlx::query_as(
                "SELECT kind, code, name_en, name_ru, name_tk FROM reference_terms ORDER BY kind, sort_order",
            )
            .fetch_all(pool)
            .await?;
            (units, services, terms)
        });
        let terms = terms
            .into_iter()
            .map(|(kind, code, name_en, name_ru, name_tk)| Term {
                kind,
                code,
                name_en,
                name_ru,
                name_tk,
            })
            .collect();
        let admin_units: Vec<AdminUnit> = units
            .into_iter()
            .map(
                |(code, parent_code, level, name_tk, name_en, name_ru, population)| AdminUnit {
                    code,
                    parent_code,
                    level,
                    name_tk,
                    name_en,
                    name_ru,
                    population,
                },
            )
            .collect();
        let services: Vec<Service> = services
            .into_iter()
            .map(|(code, level, r#type, form, unit)| Service {
                code,
                // The CHECK constraint admits only the three levels.
                level: level.parse().unwrap_or(ServiceLevel::Secondary),
                r#type,
                form,
                unit,
            })
            .collect();
        Ok(Catalogue {
            terms,
            units_by_code: admin_units
                .iter()
                .enumerate()
                .map(|(i, u)| (u.code.clone(), i))
                .collect(),
            services_by_code: services
                .iter()
                .enumerate()
                .map(|(i, s)| (s.code.clone(), i))
                .collect(),
            admin_units,
            services,
        })
    }

    /// The terms of one kind (`referral_source`, `target_group`, ...), in file order.
    pub fn terms_of<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Term> + 'a {
        self.terms.iter().filter(move |t| t.kind == kind)
    }

    pub fn term(&self, kind: &str, code: &str) -> Option<&Term> {
        self.terms.iter().find(|t| t.kind == kind && t.code == code)
    }

    pub fn admin_unit(&self, code: &AdminUnitCode) -> Option<&AdminUnit> {
        self.units_by_code
            .get(code.as_str())
            .map(|&i| &self.admin_units[i])
    }

    pub fn has_admin_unit(&self, code: &str) -> bool {
        self.units_by_code.contains_key(code)
    }

    pub fn service(&self, code: &ServiceCode) -> Option<&Service> {
        self.services_by_code
            .get(code.as_str())
            .map(|&i| &self.services[i])
    }

    /// Error text for an unknown unit code, shared by the API and the importer.
    pub fn unknown_unit_message(code: &str) -> String {
        format!("unknown administrative unit '{code}' (see the admin_units reference data)")
    }

    /// Why `code` cannot be the place of a person, household or case, if it cannot: it must be a
    /// known unit (`known` answers that: the catalogue, or an import's set that grows as it goes)
    /// below the country. Shared by the API and both importers so they say the same.
    pub fn place_problem(code: &str, known: impl Fn(&str) -> bool) -> Option<String> {
        if !known(code) {
            Some(Catalogue::unknown_unit_message(code))
        } else if code == "TM" {
            Some("give the velayat or etrap, not the whole country".to_owned())
        } else {
            None
        }
    }

    pub fn unknown_service_message(code: &str) -> String {
        format!("unknown service code '{code}' (S01..S12, ETRAP_SW, HOTLINE, RES_CARE or U_*; see the service catalogue)")
    }
}
