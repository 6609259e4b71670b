//! Reading a cost model from TOML: every key checked, and errors that name the file, the key and
//! what to change.

use std::collections::BTreeMap;

use super::model::{CostModel, ResidentialCost, ServiceCost};

/// A cost model, delivery figures or budget request the model refuses, with a message a person can act on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CostingError {
    /// The file is not valid TOML.
    #[error("{file}{}: {message}", at_line(.line))]
    Toml {
        file: String,
        line: Option<usize>,
        message: String,
    },
    /// A key is missing, unknown, of the wrong type or out of range.
    #[error("{file}: {key}: {why}")]
    Invalid {
        file: String,
        key: String,
        why: String,
    },
    /// A service code the model does not cost.
    #[error("service {service} is not in the cost model{}; add a [services.{service}] table to the model", context_suffix(.context))]
    UnknownService { service: String, context: String },
    /// A budget request that cannot be computed.
    #[error("budget: {0}")]
    Budget(String),
}

fn at_line(line: &Option<usize>) -> String {
    match line {
        Some(l) => format!(", line {l}"),
        None => String::new(),
    }
}

fn context_suffix(context: &str) -> String {
    if context.is_empty() {
        String::new()
    } else {
        format!(" ({context})")
    }
}

/// Reads keys from a TOML table and names the file and the key in every refusal.
struct Reader<'a> {
    file: &'a str,
}

impl Reader<'_> {
    fn invalid(&self, key: &str, why: impl Into<String>) -> CostingError {
        CostingError::Invalid {
            file: self.file.to_string(),
            key: key.to_string(),
            why: why.into(),
        }
    }

    fn only_keys(
        &self,
        table: &toml::Table,
        path: &str,
        allowed: &[&str],
    ) -> Result<(), CostingError> {
        for key in table.keys() {
            if !allowed.contains(&key.as_str()) {
                return Err(self.invalid(
                    &join(path, key),
                    format!("unknown key (expected one of: {})", allowed.join(", ")),
                ));
            }
        }
        Ok(())
    }

    fn value<'t>(
        &self,
        table: &'t toml::Table,
        path: &str,
        key: &str,
    ) -> Result<&'t toml::Value, CostingError> {
        table
            .get(key)
            .ok_or_else(|| self.invalid(&join(path, key), "missing"))
    }

    fn table<'t>(
        &self,
        table: &'t toml::Table,
        path: &str,
        key: &str,
    ) -> Result<&'t toml::Table, CostingError> {
        match self.value(table, path, key)? {
            toml::Value::Table(t) => Ok(t),
            other => Err(self.invalid(
                &join(path, key),
                format!("expected a table, got {}", kind(other)),
            )),
        }
    }

    fn string(&self, table: &toml::Table, path: &str, key: &str) -> Result<String, CostingError> {
        match self.value(table, path, key)? {
            toml::Value::String(s) if !s.trim().is_empty() => Ok(s.clone()),
            toml::Value::String(_) => Err(self.invalid(&join(path, key), "must not be empty")),
            other => Err(self.invalid(
                &join(path, key),
                format!("expected text in quotes, got {}", kind(other)),
            )),
        }
    }

    fn optional_string(
        &self,
        table: &toml::Table,
        path: &str,
        key: &str,
    ) -> Result<String, CostingError> {
        if table.contains_key(key) {
            self.string(table, path, key)
        } else {
            Ok(String::new())
        }
    }

    fn number(&self, value: &toml::Value, key: &str) -> Result<f64, CostingError> {
        let x = match value {
            toml::Value::Integer(i) => *i as f64,
            toml::Value::Float(f) => *f,
            other => {
                return Err(self.invalid(key, format!("expected a number, got {}", kind(other))))
            }
        };
        if !x.is_finite() {
            return Err(self.invalid(key, format!("must be a finite number, got {x}")));
        }
        Ok(x)
    }

    /// A number that must not be negative.
    fn amount(&self, table: &toml::Table, path: &str, key: &str) -> Result<f64, CostingError> {
        let x = self.number(self.value(table, path, key)?, &join(path, key))?;
        if x < 0.0 {
            return Err(self.invalid(&join(path, key), format!("must be 0 or more, got {x}")));
        }
        Ok(x)
    }

    /// A number that must be more than 0 (a divisor).
    fn positive(&self, table: &toml::Table, path: &str, key: &str) -> Result<f64, CostingError> {
        let x = self.number(self.value(table, path, key)?, &join(path, key))?;
        if x <= 0.0 {
            return Err(self.invalid(&join(path, key), format!("must be more than 0, got {x}")));
        }
        Ok(x)
    }

    /// A share between 0 and 1.
    fn share(&self, value: &toml::Value, key: &str) -> Result<f64, CostingError> {
        let x = self.number(value, key)?;
        if !(0.0..=1.0).contains(&x) {
            return Err(self.invalid(
                key,
                format!("must be a share between 0 and 1 (0.25 = 25%), got {x}"),
            ));
        }
        Ok(x)
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn kind(value: &toml::Value) -> &'static str {
    match value {
        toml::Value::String(_) => "text",
        toml::Value::Integer(_) => "a whole number",
        toml::Value::Float(_) => "a number",
        toml::Value::Boolean(_) => "true or false",
        toml::Value::Datetime(_) => "a date",
        toml::Value::Array(_) => "a list",
        toml::Value::Table(_) => "a table",
    }
}

const SERVICE_KEYS: [&str; 9] = [
    "unit",
    "staff_hours_per_unit",
    "salary_per_month",
    "working_hours_per_month",
    "overhead_share",
    "transport_per_unit",
    "materials_per_unit",
    "units_per_user_year",
    "source",
];

impl CostModel {
    /// Reads and checks a cost model. `file` is how errors name the file (its path, as the user gave it).
    ///
    /// Refused, naming the file, the key and why: TOML syntax errors (with the line), unknown or missing keys,
    /// values of the wrong type, negative amounts, zero working hours, shares outside 0..=1, a residential service
    /// that is also a community service, and mix entries for services the model does not cost.
    pub fn from_toml(text: &str, file: &str) -> Result<CostModel, CostingError> {
        let root: toml::Table = toml::from_str(text).map_err(|e| CostingError::Toml {
            file: file.to_string(),
            line: e
                .span()
                .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1),
            message: e.message().trim_end().to_string(),
        })?;
        let r = Reader { file };
        r.only_keys(
            &root,
            "",
            &["currency", "price_year", "services", "residential", "mix"],
        )?;
        let currency = r.string(&root, "", "currency")?;
        let price_year = match r.value(&root, "", "price_year")? {
            toml::Value::Integer(y) => i32::try_from(*y)
                .map_err(|_| r.invalid("price_year", format!("{y} is not a year")))?,
            other => {
                return Err(r.invalid(
                    "price_year",
                    format!("expected a whole number (a year), got {}", kind(other)),
                ))
            }
        };

        let mut services = BTreeMap::new();
        for (code, value) in r.table(&root, "", "services")? {
            let path = format!("services.{code}");
            let toml::Value::Table(t) = value else {
                return Err(r.invalid(
                    &path,
                    format!("expected a table [{path}], got {}", kind(value)),
                ));
            };
            r.only_keys(t, &path, &SERVICE_KEYS)?;
            let service = ServiceCost {
                unit: r.string(t, &path, "unit")?,
                staff_hours_per_unit: r.amount(t, &path, "staff_hours_per_unit")?,
                salary_per_month: r.amount(t, &path, "salary_per_month")?,
                working_hours_per_month: r.positive(t, &path, "working_hours_per_month")?,
                overhead_share: r.share(
                    r.value(t, &path, "overhead_share")?,
                    &join(&path, "overhead_share"),
                )?,
                transport_per_unit: r.amount(t, &path, "transport_per_unit")?,
                materials_per_unit: r.amount(t, &path, "materials_per_unit")?,
                units_per_user_year: r.amount(t, &path, "units_per_user_year")?,
                source: r.optional_string(t, &path, "source")?,
            };
            services.insert(code.clone(), service);
        }

        let res = r.table(&root, "", "residential")?;
        r.only_keys(
            res,
            "residential",
            &["service", "cost_per_person_year", "source"],
        )?;
        let residential = ResidentialCost {
            service: r.string(res, "residential", "service")?,
            cost_per_person_year: r.amount(res, "residential", "cost_per_person_year")?,
            source: r.optional_string(res, "residential", "source")?,
        };
        if services.contains_key(&residential.service) {
            return Err(r.invalid(
                "residential.service",
                format!(
                    "{} is also a [services.{}] table; cost residential care in one place only",
                    residential.service, residential.service
                ),
            ));
        }

        let mut mix = BTreeMap::new();
        if root.contains_key("mix") {
            for (code, value) in r.table(&root, "", "mix")? {
                let key = format!("mix.{code}");
                if !services.contains_key(code) && *code != residential.service {
                    return Err(r.invalid(
                        &key,
                        "this service is not in the model: add a [services] table for it first",
                    ));
                }
                mix.insert(code.clone(), r.share(value, &key)?);
            }
        }

        Ok(CostModel {
            currency,
            price_year,
            services,
            residential,
            mix,
        })
    }
}
