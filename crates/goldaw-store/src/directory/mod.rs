//! The public directory (issue #23, docs/directory.md): the services of the register as the
//! public reads them, the etrap offices and hotlines, and the operator's switches of the public
//! pages. Nothing here is personal data: the public reads it without signing in.
//!
//! - `list`: the directory itself (offers of the register with their public description, the
//!   places as a band), searched by place and by need; the contacts of a unit;
//! - `edit`: the ministry's public description of an offer, the offices and hotlines;
//! - `switches`: the public pages and the request form on or off (the `settings` table).

mod edit;
mod list;
mod switches;

pub use edit::{ContactChange, EntryChange};
pub use list::{Contact, DirectoryEntry};
pub use switches::PublicSwitches;

use crate::error::{SayArg, StoreError, StoreResult};

/// The longest public description, address, opening hours or contact (characters).
pub const MAX_PUBLIC_TEXT: usize = 2000;

/// Public text: trimmed, at most [`MAX_PUBLIC_TEXT`] characters, no control characters but
/// line breaks.
pub(crate) fn public_text(field: &str, text: &str) -> StoreResult<String> {
    let t = text.trim();
    if t.chars().count() > MAX_PUBLIC_TEXT {
        return Err(StoreError::refuse(
            field,
            "store-field-too-long",
            vec![
                ("field", SayArg::Text(field.to_owned())),
                ("limit", SayArg::Number(MAX_PUBLIC_TEXT as i64)),
            ],
        ));
    }
    Ok(t.chars()
        .filter(|c| !c.is_control() || *c == '\n')
        .collect::<String>()
        .replace("\r\n", "\n"))
}
