//! The command line: one subcommand per operator task.

mod audit;
mod backup;
mod import_export;
mod indicators;
mod plan;
mod report;
mod retention;
mod users;
mod workforce;

use anyhow::Context;
use clap::{Parser, Subcommand};
use goldaw_store::{DatabaseUrl, Principal, Store};
use goldaw_web::ServeOptions;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "goldaw",
    version,
    about = "Case management for community-based social services"
)]
pub struct Args {
    /// Where the data lives: sqlite://PATH or postgres://USER@HOST/DB.
    /// Default: an SQLite file at ./goldaw-data/goldaw.db.
    #[arg(
        long,
        global = true,
        env = "GOLDAW_DATABASE_URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,

    /// How many days a new API token is good for (1 to 3650).
    #[arg(
        long,
        global = true,
        env = "GOLDAW_TOKEN_LIFETIME_DAYS",
        default_value_t = goldaw_store::users::TokenLifetime::default()
    )]
    pub token_lifetime_days: goldaw_store::users::TokenLifetime,

    /// Connections to the database per process (2 to 500). Default: 8 for SQLite, 16 for
    /// PostgreSQL.
    #[arg(long, global = true, env = "GOLDAW_DATABASE_POOL", value_name = "N")]
    pub database_pool: Option<goldaw_store::PoolSize>,

    /// A file holding the encryption key (64 hex digits; `goldaw key generate` makes one). Without
    /// it, the key itself may be given in GOLDAW_ENCRYPTION_KEY (never as a flag: the command
    /// line is visible to every user of the machine).
    #[arg(
        long,
        global = true,
        env = "GOLDAW_ENCRYPTION_KEY_FILE",
        value_name = "FILE"
    )]
    pub encryption_key_file: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Serve the web pages and the JSON API.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Fill the database with demo data first (skipped if already there). Refused for a
        /// database that holds anything but the demo.
        #[arg(long)]
        demo: bool,
        /// Mark cookies Secure: use when goldaw is reached over HTTPS (behind a TLS proxy).
        #[arg(long, env = "GOLDAW_SECURE_COOKIES")]
        secure_cookies: bool,
        /// The reverse proxies whose X-Forwarded-For names the client (for the audit log and the
        /// sign-in limit per address): comma-separated addresses or CIDR ranges, such as
        /// 127.0.0.1 or 10.0.0.0/24. None by default: every client is the connection's peer.
        #[arg(long, env = "GOLDAW_TRUSTED_PROXIES", value_name = "LIST")]
        trusted_proxies: Option<goldaw_web::TrustedProxies>,
        /// Seconds a connection has to send a request's headers; an idle connection, or one that
        /// takes none of an answer, is closed after the same time.
        #[arg(long, env = "GOLDAW_HEADER_READ_TIMEOUT", value_name = "SECONDS",
              default_value_t = ServeOptions::DEFAULT_HEADER_READ_TIMEOUT.as_secs(),
              value_parser = clap::value_parser!(u64).range(1..=3600))]
        header_read_timeout: u64,
        /// Seconds a request may take, its upload included, before it is stopped (503).
        #[arg(long, env = "GOLDAW_REQUEST_TIMEOUT", value_name = "SECONDS",
              default_value_t = ServeOptions::DEFAULT_REQUEST_TIMEOUT.as_secs(),
              value_parser = clap::value_parser!(u64).range(1..=86400))]
        request_timeout: u64,
        /// Connections open at once: when full, the oldest that has sent no request is closed to
        /// make room, or if all are busy the new one is told so (503). Keep it well below the
        /// open-files limit (ulimit -n).
        #[arg(long, env = "GOLDAW_MAX_CONNECTIONS", value_name = "N",
              default_value_t = ServeOptions::DEFAULT_MAX_CONNECTIONS as u32,
              value_parser = clap::value_parser!(u32).range(1..))]
        max_connections: u32,
        /// The DHIS2 mapping (TOML) of the statistics exports, read at each export (a changed
        /// file needs no restart). Default: reference/dhis2_mapping.toml as shipped.
        #[arg(long, env = "GOLDAW_DHIS2_MAPPING", value_name = "FILE")]
        dhis2_mapping: Option<PathBuf>,
        /// Seconds a dashboard is kept in memory (0: every view made from the store). Not a
        /// whole number: a warning in the log, and 600.
        #[arg(long, env = "GOLDAW_DASHBOARD_CACHE_SECONDS", value_name = "SECONDS")]
        dashboard_cache_seconds: Option<String>,
    },
    /// Apply database migrations and reload the shipped reference data.
    Migrate,
    /// Fill the database with a believable demo: etraps, households, people, cases. Refused for a
    /// database that holds anything but the demo.
    Demo,
    /// Import the interchange CSV files found in DIR, all or nothing.
    Import { dir: PathBuf },
    /// Export every interchange CSV file into DIR.
    Export { dir: PathBuf },
    /// Planning models.
    #[command(subcommand)]
    Plan(plan::PlanCommand),
    /// The encryption key for values stored encrypted (two-factor secrets, sensitive case text).
    #[command(subcommand)]
    Key(KeyCommand),
    /// User accounts and API tokens.
    #[command(subcommand)]
    User(users::UserCommand),
    /// The audit log.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Published statistics (small counts suppressed).
    #[command(subcommand)]
    Report(report::ReportCommand),
    /// Take a consistent backup while goldaw serves: the copy, checked, and its manifest, in a
    /// new folder. The encryption key is not in it (docs/operations.md).
    Backup {
        /// The new (or empty) folder to write the backup into.
        #[arg(long, value_name = "DIR")]
        output: PathBuf,
        /// The folder of PostgreSQL's pg_dump and pg_restore (default: the PATH).
        #[arg(long, env = "GOLDAW_PG_BIN_DIR", value_name = "DIR")]
        pg_bin_dir: Option<PathBuf>,
    },
    /// Restore a backup folder into the database (--database-url), which must be empty unless
    /// --force; stop goldaw serve first.
    Restore {
        /// The backup folder (`goldaw backup --output`).
        #[arg(long, value_name = "DIR")]
        input: PathBuf,
        /// Replace a database that holds data (SQLite keeps the old file beside it).
        #[arg(long)]
        force: bool,
        /// The folder of PostgreSQL's pg_dump and pg_restore (default: the PATH).
        #[arg(long, env = "GOLDAW_PG_BIN_DIR", value_name = "DIR")]
        pg_bin_dir: Option<PathBuf>,
    },
    /// The social workforce register: bulk import and export of staff, posts and training.
    #[command(subcommand)]
    Workforce(workforce::WorkforceCommand),
    /// Retention of closed cases (docs/operations.md): list what is due (--dry-run) or anonymise
    /// it (--apply); cases under a legal hold are kept. Needs the encryption key to apply.
    Retention {
        /// List what a run would anonymise; change nothing.
        #[arg(long, conflicts_with = "apply", required_unless_present = "apply")]
        dry_run: bool,
        /// Anonymise what is due: case text removed, sealed text destroyed, names and birth
        /// dates (to the year) of people all of whose cases are due.
        #[arg(long)]
        apply: bool,
        /// The day to run as (YYYY-MM-DD); today by default.
        #[arg(long, value_name = "DATE")]
        as_of: Option<chrono::NaiveDate>,
    },
}

#[derive(Subcommand)]
pub enum KeyCommand {
    /// Print a new random key (64 hex digits): save it in a file only the goldaw user can read and
    /// point GOLDAW_ENCRYPTION_KEY_FILE at it.
    Generate,
}

impl Args {
    fn database_url(&self) -> anyhow::Result<DatabaseUrl> {
        match &self.database_url {
            Some(u) => Ok(u.parse()?),
            None => Ok(DatabaseUrl::default_sqlite()),
        }
    }

    /// The encryption key, if the operator gave one: from `--encryption-key-file` (or
    /// GOLDAW_ENCRYPTION_KEY_FILE), else from GOLDAW_ENCRYPTION_KEY.
    fn secrets(&self) -> anyhow::Result<Option<goldaw_store::crypto::Secrets>> {
        use goldaw_store::crypto::{Secrets, KEY_ENV};
        if let Some(path) = &self.encryption_key_file {
            return Ok(Some(Secrets::from_file(path)?));
        }
        match std::env::var(KEY_ENV) {
            Ok(hex) => Ok(Some(Secrets::from_hex_named(&hex, KEY_ENV)?)),
            Err(_) => Ok(None),
        }
    }
}

pub(crate) async fn open(args: &Args) -> anyhow::Result<Store> {
    open_with(args, args.secrets()?).await
}

async fn open_with(
    args: &Args,
    secrets: Option<goldaw_store::crypto::Secrets>,
) -> anyhow::Result<Store> {
    let url = args.database_url()?;
    let options = goldaw_store::StoreOptions {
        secrets,
        token_lifetime: args.token_lifetime_days,
    };
    let pool_size = args
        .database_pool
        .unwrap_or_else(|| goldaw_store::PoolSize::default_for(&url));
    Store::open_with_pool(&url, pool_size, options)
        .await
        .with_context(|| format!("opening the database {url}"))
}

/// The key `serve` needs. Without one, `--demo` makes a demo key under ./goldaw-data/ (the demo
/// is for trying out, never for real data); otherwise serving refuses to start and says why.
fn serving_key(args: &Args, demo: bool) -> anyhow::Result<goldaw_store::crypto::Secrets> {
    use goldaw_store::crypto::{generate_key_hex, key_missing, Secrets};
    if let Some(secrets) = args.secrets()? {
        return Ok(secrets);
    }
    if !demo {
        return Err(key_missing("goldaw serve").into());
    }
    let path = std::path::Path::new("goldaw-data").join("demo-encryption.key");
    if !path.exists() {
        std::fs::create_dir_all("goldaw-data")?;
        write_private(&path, &generate_key_hex()?)?;
        eprintln!("demo: made an encryption key at {}", path.display());
    }
    Ok(Secrets::from_file(&path)?)
}

/// Writes a file only its owner can read (the key must not be world-readable).
fn write_private(path: &std::path::Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(content.as_bytes())
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    match &args.command {
        Command::Plan(cmd) => plan::run(&args, cmd).await,
        Command::Key(KeyCommand::Generate) => {
            println!("{}", goldaw_store::crypto::generate_key_hex()?);
            Ok(())
        }
        Command::User(cmd) => {
            let store = open(&args).await?;
            let result = users::run_user(&store, cmd).await;
            store.close().await;
            result
        }
        Command::Audit(cmd) => {
            let store = open(&args).await?;
            let result = audit::run(&store, cmd).await;
            store.close().await;
            result
        }
        Command::Report(cmd) => {
            let store = open(&args).await?;
            let result = report::run(&store, cmd).await;
            store.close().await;
            result
        }
        Command::Backup { output, pg_bin_dir } => {
            backup::backup(&args, output, pg_bin_dir.clone()).await
        }
        Command::Restore {
            input,
            force,
            pg_bin_dir,
        } => backup::restore_into(&args, input, *force, pg_bin_dir.clone()).await,
        Command::Retention { apply, as_of, .. } => retention::run(&args, *apply, *as_of).await,
        Command::Workforce(cmd) => {
            let store = open(&args).await?;
            let result = workforce::run(&store, cmd).await;
            store.close().await;
            result
        }
        Command::Migrate => {
            let store = open(&args).await?;
            println!("database {} is up to date", store.url());
            store.close().await;
            Ok(())
        }
        Command::Demo => {
            let store = open(&args).await?;
            let summary = crate::demo::load(&store).await?;
            println!("{summary}");
            store.close().await;
            Ok(())
        }
        Command::Import { dir } => {
            let store = open(&args).await?;
            let result = import_export::import(&store, dir).await;
            store.close().await;
            result
        }
        Command::Export { dir } => {
            let store = open(&args).await?;
            let result = import_export::export(&store, dir).await;
            store.close().await;
            result
        }
        Command::Serve {
            listen,
            demo,
            secure_cookies,
            trusted_proxies,
            header_read_timeout,
            request_timeout,
            max_connections,
            dhis2_mapping,
            dashboard_cache_seconds,
        } => {
            if *demo {
                // Before the demo key is made or any data written: a database with real data is
                // refused (`demo::judge`).
                let probe = open_with(&args, None).await?;
                let refused = crate::demo::refuse_real_data(&probe).await;
                probe.close().await;
                refused?;
            }
            let store = open_with(&args, Some(serving_key(&args, *demo)?)).await?;
            if *demo {
                let summary = crate::demo::load(&store).await?;
                eprintln!("{summary}");
                // A token to try the API at once; `goldaw user token USERNAME` makes more.
                let token = store
                    .create_token(&operator("demo"), "demo-supervisor")
                    .await?;
                eprintln!("API token for demo-supervisor: {token}");
                eprintln!("  try: curl -H 'Authorization: Bearer {token}' http://{listen}/api/v1/persons?name=orazow");
            }
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .with_context(|| format!("cannot listen on {listen}"))?;
            let local = listener.local_addr()?;
            eprintln!("goldaw is serving {} at http://{local}/", store.url());
            if let Some(proxies) = trusted_proxies.as_ref().filter(|p| !p.is_empty()) {
                eprintln!("  the client address is read from X-Forwarded-For of {proxies}");
            }
            let options = ServeOptions {
                secure_cookies: *secure_cookies,
                trusted_proxies: trusted_proxies.clone().unwrap_or_default(),
                header_read_timeout: Duration::from_secs(*header_read_timeout),
                request_timeout: Duration::from_secs(*request_timeout),
                max_connections: *max_connections as usize,
                dhis2_mapping: dhis2_mapping.clone(),
                dashboard_cache: ServeOptions::dashboard_cache_from(
                    dashboard_cache_seconds.as_deref(),
                ),
            };
            goldaw_web::serve_with(store.clone(), listener, options).await?;
            store.close().await;
            Ok(())
        }
    }
}

/// The principal for an operator command run on the server.
pub(crate) fn operator(command: &str) -> Principal {
    Principal::system(command)
}

pub fn operator_for_demo() -> Principal {
    operator("demo")
}
