// `sqlx::migrate!` embeds the migration files at compile time; without this, adding or changing
// one does not rebuild the crate and a binary can ship without it.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
