//! Makes the OpenAPI document say what the API does (issue #20, item 3), for what the derive
//! cannot say by itself:
//!
//! - a record made of a closed object and more fields (`#[serde(flatten)]` of a struct with
//!   `deny_unknown_fields`, as `PersonRecord` = `PersonData` + `id`, `version`, ...) comes out as
//!   `allOf` of the closed object and the rest, which no object can satisfy (each part forbids
//!   the other's fields). Such a schema is merged here into the one object it is: every property,
//!   every required name, closed if a part was;
//! - every `/api/v1` operation needs a token (401), may be refused to a role (403), and one that
//!   names a record by id answers 404 outside the caller's scope; one with a query answers 400
//!   for a bad one, one with a JSON body 413, 415 and 422. These answers are added where an
//!   operation's own declaration does not list them, with the API's error body.

use utoipa::openapi::schema::{AdditionalProperties, Object, Schema};
use utoipa::openapi::{Content, OpenApi, Ref, RefOr, ResponseBuilder};

pub(super) struct TrueDocument;

impl utoipa::Modify for TrueDocument {
    fn modify(&self, openapi: &mut OpenApi) {
        merge_closed_all_of(openapi);
        add_error_answers(openapi);
    }
}

fn merge_closed_all_of(openapi: &mut OpenApi) {
    let Some(components) = openapi.components.as_mut() else {
        return;
    };
    let snapshot = components.schemas.clone();
    let resolve = |r: &RefOr<Schema>| -> Option<Object> {
        match r {
            RefOr::T(Schema::Object(o)) => Some(o.clone()),
            RefOr::Ref(reference) => {
                let name = reference.ref_location.rsplit('/').next()?;
                match snapshot.get(name)? {
                    RefOr::T(Schema::Object(o)) => Some(o.clone()),
                    _ => None,
                }
            }
            _ => None,
        }
    };
    for schema in components.schemas.values_mut() {
        let RefOr::T(Schema::AllOf(all)) = schema else {
            continue;
        };
        let parts: Option<Vec<Object>> = all.items.iter().map(&resolve).collect();
        let Some(parts) = parts else {
            continue;
        };
        let closed = parts.iter().any(|p| {
            matches!(
                p.additional_properties.as_deref(),
                Some(AdditionalProperties::FreeForm(false))
            )
        });
        let mut merged = Object::with_type(utoipa::openapi::Type::Object);
        merged.description = all.description.clone();
        for part in parts {
            for (name, property) in part.properties {
                merged.properties.entry(name).or_insert(property);
            }
            for name in part.required {
                if !merged.required.contains(&name) {
                    merged.required.push(name);
                }
            }
        }
        if closed {
            merged.additional_properties = Some(Box::new(AdditionalProperties::FreeForm(false)));
        }
        *schema = RefOr::T(Schema::Object(merged));
    }
}

fn add_error_answers(openapi: &mut OpenApi) {
    let error = |what: &str| {
        ResponseBuilder::new()
            .description(what)
            .content(
                "application/json",
                Content::new(Some(Ref::from_schema_name("ErrorBody"))),
            )
            .build()
    };
    for (path, item) in openapi.paths.paths.iter_mut() {
        if !path.starts_with("/api/v1") {
            continue;
        }
        let names_a_record = path.contains('{');
        for operation in [
            item.get.as_mut(),
            item.put.as_mut(),
            item.post.as_mut(),
            item.delete.as_mut(),
            item.patch.as_mut(),
        ]
        .into_iter()
        .flatten()
        {
            let has_query = operation.parameters.as_ref().is_some_and(|ps| {
                ps.iter()
                    .any(|p| matches!(p.parameter_in, utoipa::openapi::path::ParameterIn::Query))
            });
            let json_body = operation
                .request_body
                .as_ref()
                .is_some_and(|b| b.content.contains_key("application/json"));
            let mut wanted = vec![
                ("401", "No valid token: send Authorization: Bearer TOKEN"),
                ("403", "Your role may not do this"),
            ];
            if names_a_record {
                wanted.push(("404", "No such record, or not in your scope"));
            }
            if has_query {
                wanted.push(("400", "A query parameter is not valid"));
            }
            if json_body {
                wanted.push(("413", "The body is over the limit"));
                wanted.push(("415", "The body is not sent as application/json"));
                wanted.push(("422", "The body is not valid"));
            }
            for (status, what) in wanted {
                operation
                    .responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| RefOr::T(error(what)));
            }
        }
    }
}
