//! `goldaw audit …`: check the audit log's chain, and take anchors to keep outside the database.

use anyhow::bail;
use clap::Subcommand;
use goldaw_store::audit::{AuditAnchor, AuditCheck, AuditReport};
use goldaw_store::Store;

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Check the audit log's chain: exit 0 if intact, non-zero naming the first broken event.
    /// With the encryption key (GOLDAW_ENCRYPTION_KEY_FILE) the keyed events are checked too;
    /// without it, the command says it could not check them and exits non-zero.
    Verify {
        /// An anchor printed earlier by `goldaw audit anchor` (SEQ:HASH): the log must still pass
        /// through it. May be given more than once.
        #[arg(long = "anchor", value_name = "SEQ:HASH")]
        anchors: Vec<AuditAnchor>,
    },
    /// Check the chain, then print its newest event as SEQ:HASH. Keep it where whoever can write
    /// the database cannot (another machine, a ticket, paper); `audit verify --anchor SEQ:HASH`
    /// later shows whether events up to it were changed or removed since.
    Anchor,
}

pub async fn run(store: &Store, cmd: &AuditCommand) -> anyhow::Result<()> {
    match cmd {
        AuditCommand::Verify { anchors } => {
            let report = store.verify_audit_with(anchors).await?;
            let summary = judge(&report)?;
            println!("{summary}");
            for a in anchors {
                println!("the log passes through the anchor {a}");
            }
            Ok(())
        }
        AuditCommand::Anchor => {
            let report = store.verify_audit_with(&[]).await?;
            let summary = judge(&report)?;
            eprintln!("{summary}");
            println!("{}", report.head);
            Ok(())
        }
    }
}

/// What the check found, in words; an error for anything but a fully checked chain.
fn judge(report: &AuditReport) -> anyhow::Result<String> {
    match &report.check {
        AuditCheck::Intact { events } => Ok(match report.keyed_from {
            Some(1) => format!("audit log intact: {events} events, all keyed"),
            Some(from) => format!(
                "audit log intact: {events} events; events 1 to {} were written before the log \
                 was keyed (plain SHA-256, held by the keyed events after them), {from} to \
                 {events} are keyed",
                from - 1
            ),
            None => format!("audit log intact: {events} events (none written yet with the key)"),
        }),
        AuditCheck::Broken { seq, reason } => bail!("audit log broken at event {seq}: {reason}"),
        AuditCheck::KeyNeeded { events, keyed_from } => bail!(
            "audit log not fully checked: events {keyed_from} to {events} are keyed, and their \
             content can be checked only with the encryption key: set {} as for goldaw serve. \
             Their order and links, and the events before them, are intact",
            goldaw_store::crypto::KEY_FILE_ENV
        ),
        AuditCheck::Unkeyed { events } => bail!(
            "audit log not keyed: none of its {events} events is keyed, so anyone who can write \
             the database could have rewritten them all. Every goldaw serve keys the log from the \
             first event it writes: if goldaw has served from this database, the keyed part was \
             replaced; check it against an anchor you kept (audit verify --anchor SEQ:HASH) or a \
             backup"
        ),
    }
}
