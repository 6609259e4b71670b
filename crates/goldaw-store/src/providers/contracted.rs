//! The offers a signed contract puts in the register (`crate::contracting`): for each etrap the
//! contract covers, the provider's offer of the service with the contracted places, created or
//! changed inside the contract's own transaction (so a contract is never signed without its
//! offers, nor an offer changed without its contract). A suspended or ended contract makes them
//! inactive the same way. The register's keepers still see and change them as any offer.

/// Creates or changes the offer of `$provider` for `$service` in `$unit` with `$places` and
/// `$active`, inside the transaction `$tx` (of either backend: a macro, as `append_audit!`).
/// Evaluates to the offer's id.
macro_rules! set_contracted_offer {
    ($tx:ident, $provider:expr, $service:expr, $unit:expr, $places:expr, $active:expr, $now:expr) => {{
        let existing: Option<(uuid::Uuid,)> = sqlx::query_as(
            "SELECT id FROM provider_services WHERE provider_id = $1 AND service_code = $2 AND admin_unit = $3",
        )
        .bind($provider)
        .bind($service)
        .bind($unit)
        .fetch_optional(&mut *$tx)
        .await?;
        match existing {
            Some((id,)) => {
                sqlx::query(
                    "UPDATE provider_services SET places = $1, active = $2, version = version + 1, updated_at = $3
                     WHERE id = $4",
                )
                .bind($places)
                .bind($active)
                .bind($now)
                .bind(id)
                .execute(&mut *$tx)
                .await?;
                id
            }
            None => {
                let id = uuid::Uuid::now_v7();
                sqlx::query(
                    "INSERT INTO provider_services (id, provider_id, service_point_id, service_code, admin_unit, places, active, version, created_at, updated_at)
                     VALUES ($1, $2, NULL, $3, $4, $5, $6, 1, $7, $7)",
                )
                .bind(id)
                .bind($provider)
                .bind($service)
                .bind($unit)
                .bind($places)
                .bind($active)
                .bind($now)
                .execute(&mut *$tx)
                .await?;
                id
            }
        }
    }};
}

pub(crate) use set_contracted_offer;
