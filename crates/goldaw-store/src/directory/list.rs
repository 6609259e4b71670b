//! The directory as the public reads it: the active offers of active providers, each with its
//! service, place, form, address, the ministry's public description and the places as a band
//! (`goldaw_core::directory::places_band`: never an exact small number); the etrap office and
//! the hotlines of a place. Read without a principal: nothing here is about a person.

use crate::error::StoreResult;
use crate::Store;
use goldaw_core::directory::{matches_need, places_band, query_words, PlacesBand};
use goldaw_core::ids::AdminUnitCode;
use serde::Serialize;
use uuid::Uuid;

/// One service in the directory.
#[derive(Debug, Clone, Serialize)]
pub struct DirectoryEntry {
    /// The offer's id (the page's address).
    pub id: Uuid,
    pub provider_name: String,
    pub service_code: String,
    /// The service's form (`day_care`, `home_based`, ...), from the catalogue.
    pub form: Option<String>,
    /// The unit the offer serves (an etrap, a velayat).
    pub admin_unit: String,
    pub point_name: Option<String>,
    pub address: Option<String>,
    pub places: PlacesBand,
    pub description_tk: String,
    pub description_ru: String,
    pub description_en: String,
    pub how_to_apply: String,
    pub opening_hours: String,
    pub contact: String,
    /// The description's version (for the ministry's edit form); 0 when none was written.
    pub version: i32,
}

impl DirectoryEntry {
    /// The public description in `lang`, or in another language when that one is empty.
    pub fn description(&self, lang: &str) -> &str {
        let first = match lang {
            "en" => &self.description_en,
            "ru" => &self.description_ru,
            _ => &self.description_tk,
        };
        [
            first,
            &self.description_tk,
            &self.description_ru,
            &self.description_en,
        ]
        .into_iter()
        .find(|d| !d.is_empty())
        .map_or("", |d| d.as_str())
    }
}

/// An etrap office or a hotline.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Contact {
    pub id: Uuid,
    pub admin_unit: String,
    pub kind: String,
    pub name: String,
    pub address: String,
    pub phone: String,
    pub opening_hours: String,
    pub version: i32,
}

#[derive(sqlx::FromRow)]
struct EntryRow {
    id: Uuid,
    provider_name: String,
    service_code: String,
    admin_unit: String,
    places: Option<i32>,
    taken: i64,
    point_name: Option<String>,
    address: Option<String>,
    description_tk: Option<String>,
    description_ru: Option<String>,
    description_en: Option<String>,
    how_to_apply: Option<String>,
    opening_hours: Option<String>,
    contact: Option<String>,
    version: Option<i32>,
}

const SELECT_ENTRIES: &str = "SELECT o.id, pr.name AS provider_name, o.service_code, o.admin_unit,
        o.places,
        (SELECT COUNT(*) FROM service_referrals r WHERE r.provider_service_id = o.id AND r.status IN ('accepted', 'started')) AS taken,
        sp.name AS point_name, sp.address,
        d.description_tk, d.description_ru, d.description_en, d.how_to_apply, d.opening_hours,
        d.contact, d.version
    FROM provider_services o
    JOIN providers pr ON pr.id = o.provider_id
    LEFT JOIN service_points sp ON sp.id = o.service_point_id AND sp.active = $1
    LEFT JOIN directory_entries d ON d.offer_id = o.id
    WHERE o.active = $1 AND pr.active = $1 AND (d.published IS NULL OR d.published = $1)";

impl Store {
    fn entry_of(&self, r: EntryRow) -> DirectoryEntry {
        let form = self
            .catalogue()
            .services
            .iter()
            .find(|s| s.code == r.service_code)
            .and_then(|s| s.form.clone());
        DirectoryEntry {
            id: r.id,
            provider_name: r.provider_name,
            service_code: r.service_code,
            form,
            admin_unit: r.admin_unit,
            point_name: r.point_name,
            address: r.address,
            places: places_band(r.places.map(|p| i64::from(p) - r.taken)),
            description_tk: r.description_tk.unwrap_or_default(),
            description_ru: r.description_ru.unwrap_or_default(),
            description_en: r.description_en.unwrap_or_default(),
            how_to_apply: r.how_to_apply.unwrap_or_default(),
            opening_hours: r.opening_hours.unwrap_or_default(),
            contact: r.contact.unwrap_or_default(),
            version: r.version.unwrap_or(0),
        }
    }

    /// The services of the directory for the people of `place` (offers for the place, for a unit
    /// inside it, or for a unit it is inside), whose words (`names`: the caller's names of each
    /// service code in every language, and the entry's own text) match the `need` typed. In the
    /// order of the catalogue's services, then the provider's name.
    #[tracing::instrument(skip_all)]
    pub async fn directory(
        &self,
        place: Option<&AdminUnitCode>,
        need: &str,
        names: &(dyn Fn(&str) -> String + Sync),
    ) -> StoreResult<Vec<DirectoryEntry>> {
        let rows: Vec<EntryRow> = with_db!(self.db(), pool => {
            sqlx::query_as(SELECT_ENTRIES).bind(true).fetch_all(pool).await?
        });
        let words = query_words(need);
        let catalogue = self.catalogue();
        let order = |code: &str| {
            catalogue
                .services
                .iter()
                .position(|s| s.code == code)
                .unwrap_or(usize::MAX)
        };
        let mut found: Vec<DirectoryEntry> = rows
            .into_iter()
            .filter(|r| {
                place.is_none_or(|p| {
                    let unit = AdminUnitCode::from_stored(r.admin_unit.clone());
                    unit.is_within(p) || p.is_within(&unit)
                })
            })
            .map(|r| self.entry_of(r))
            .filter(|e| {
                let hay = format!(
                    "{} {} {} {} {} {}",
                    names(&e.service_code),
                    e.provider_name,
                    e.description_tk,
                    e.description_ru,
                    e.description_en,
                    e.form.as_deref().map(&names).unwrap_or_default()
                );
                matches_need(&words, &hay)
            })
            .collect();
        found.sort_by(|a, b| {
            (order(&a.service_code), &a.provider_name)
                .cmp(&(order(&b.service_code), &b.provider_name))
        });
        Ok(found)
    }

    /// One service of the directory; `None` when it is not (or no longer) public.
    pub async fn directory_entry(&self, id: Uuid) -> StoreResult<Option<DirectoryEntry>> {
        let sql = format!("{SELECT_ENTRIES} AND o.id = $2");
        let row: Option<EntryRow> = with_db!(self.db(), pool => {
            sqlx::query_as(&sql).bind(true).bind(id).fetch_optional(pool).await?
        });
        Ok(row.map(|r| self.entry_of(r)))
    }

    /// The etrap offices and hotlines for the people of `place`: its own, its velayat's and the
    /// nation's (a hotline kept at `TM`); everything when no place is given.
    pub async fn directory_contacts(
        &self,
        place: Option<&AdminUnitCode>,
    ) -> StoreResult<Vec<Contact>> {
        let rows: Vec<Contact> = with_db!(self.db(), pool => {
            sqlx::query_as("SELECT id, admin_unit, kind, name, address, phone, opening_hours, version
                            FROM directory_contacts ORDER BY kind, admin_unit, name")
                .fetch_all(pool)
                .await?
        });
        Ok(rows
            .into_iter()
            .filter(|c| {
                place.is_none_or(|p| {
                    let unit = AdminUnitCode::from_stored(c.admin_unit.clone());
                    p.is_within(&unit) || unit.is_within(p)
                })
            })
            .collect())
    }
}
