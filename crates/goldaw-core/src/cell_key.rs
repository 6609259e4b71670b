//! Small counts must not come back by differencing (issue #16, item 10).
//!
//! Suppression (`crate::disclosure`) protects the cells of one table. A reader who may ask for
//! many tables can subtract them: two periods a day apart, an etrap against its velayat less the
//! other etraps, a table with and without a dimension, each one suppressed correctly on its own,
//! differ by the one survivor who started a service that day. Readers without the grant to see
//! unsuppressed statistics ([`Release::Protected`]) therefore get two more protections:
//!
//! - **Calendar periods only** ([`Release::check_period`]): a whole month, quarter or year. That
//!   takes away the choice of the day, which is what the day-apart attack needs.
//! - **Cell-key perturbation** ([`release`]), the method the Australian Bureau of Statistics and
//!   the UK's Office for National Statistics use for tables built on request. Every record (a
//!   person, a case, an episode, a goal) has a *record key*: a number drawn from a keyed hash of
//!   its id with a secret from the operator's key material ([`RecordKeys`]), so no reader can
//!   compute it. A cell's *cell key* is the sum of the record keys of the records counted in it,
//!   modulo 2³² ([`cell_key`]). The noise added to a shown count is looked up from the cell key
//!   ([`noise`]): the same records always give the same noise, so the same cell shows the same
//!   value in every table, page, download and export (asking again, or in another table,
//!   averages nothing away), and a cell with one record more or less gets independent noise, so
//!   the difference of two shown counts no longer says how many records differ.
//!
//! As in those methods, zeros are not perturbed (an empty cell has no records, hence no key),
//! and a total is perturbed as a cell of its own from all of its records, not summed from its
//! perturbed parts: a published table no longer adds up exactly, and every total agrees with the
//! same total in any other table. A perturbed count that falls below the rule's threshold is
//! hidden (as `secondary`: the true count is at least the threshold), so a shown count never
//! looks like a small one. `docs/statistics.md` ("Differencing") gives the figures and what is
//! left.

use crate::access::{Permission, Principal};
use crate::disclosure::{Published, Reason, Rule};
use crate::periods::CalendarPeriod;
use crate::statistics::Period;
use chrono::NaiveDate;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// How a reader's statistics are released.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Release {
    /// Readers with the grant to see unsuppressed statistics, and the operator's command line:
    /// any period, and counts exactly as suppression leaves them (or unsuppressed, if asked).
    Exact,
    /// Every other reader: calendar periods only, and every shown count perturbed by its cell
    /// key.
    Protected,
}

impl Release {
    /// The release a principal gets: exact only with the unsuppressed grant.
    pub fn of(principal: &Principal) -> Release {
        if principal.may(Permission::ReadUnsuppressed) {
            Release::Exact
        } else {
            Release::Protected
        }
    }

    /// Whether shown counts are perturbed.
    pub fn perturbs(self) -> bool {
        self == Release::Protected
    }

    /// Whether this reader may ask for `period`: any period with the grant; otherwise a whole
    /// calendar month, quarter or year, which it returns.
    pub fn check_period(self, period: &Period) -> Result<Option<CalendarPeriod>, PeriodRefused> {
        match (self, CalendarPeriod::exactly(period)) {
            (_, Some(calendar)) => Ok(Some(calendar)),
            (Release::Exact, None) => Ok(None),
            (Release::Protected, None) => Err(PeriodRefused {
                from: period.from(),
                to: period.to(),
            }),
        }
    }
}

/// A period a reader without the unsuppressed grant may not ask for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{from} to {to} is not a whole calendar month, quarter or year: without the grant to see \
     unsuppressed statistics, ask for a month (202501), a quarter (2025Q1) or a year (2025), \
     so that two periods a few days apart cannot be subtracted to reveal a few people"
)]
pub struct PeriodRefused {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// The record keys of one installation: a keyed hash of a record's id. The secret comes from
/// the operator's key material (the store derives it from the encryption key); without it no
/// reader can tell which noise a cell got.
#[derive(Clone)]
pub struct RecordKeys {
    secret: [u8; 32],
}

impl std::fmt::Debug for RecordKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecordKeys(…)")
    }
}

impl RecordKeys {
    pub fn new(secret: [u8; 32]) -> RecordKeys {
        RecordKeys { secret }
    }

    /// The record key of `id`: the first four bytes, big-endian, of SHA-256(secret ‖ the id's 16
    /// bytes). A database that hashes (PostgreSQL's `sha256`) computes the same number, so keys
    /// can be summed where the rows are counted. The message has a fixed length and the hash is
    /// never shown, so the secret prefix needs no HMAC construction around it.
    pub fn of(&self, id: &Uuid) -> u32 {
        let mut h = Sha256::new();
        h.update(self.secret);
        h.update(id.as_bytes());
        let d = h.finalize();
        u32::from_be_bytes([d[0], d[1], d[2], d[3]])
    }

    /// The secret, for a database to compute [`RecordKeys::of`] where it counts.
    pub fn secret(&self) -> &[u8; 32] {
        &self.secret
    }
}

/// The cell key of a cell whose records' keys add up to `sum` (in any width: only the low 32
/// bits count, so sums may wrap or be reduced at any point).
pub fn cell_key(sum: u64) -> u32 {
    (sum & 0xFFFF_FFFF) as u32
}

/// A count with the sum of its records' keys, as counted per group or cell.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counted {
    pub n: u64,
    /// The sum of the record keys, reduced modulo 2³² (so that sums of sums never overflow).
    pub keys: u64,
}

impl Counted {
    pub fn one(key: u32) -> Counted {
        Counted {
            n: 1,
            keys: u64::from(key),
        }
    }

    /// The cell key of these records.
    pub fn cell_key(&self) -> u32 {
        cell_key(self.keys)
    }
}

impl std::ops::AddAssign for Counted {
    fn add_assign(&mut self, other: Counted) {
        self.n += other.n;
        self.keys = u64::from(cell_key(self.keys.wrapping_add(other.keys)));
    }
}

/// The largest noise added to or taken from a count.
pub const MAX_NOISE: i64 = 3;

/// The chance of each noise from −3 to +3, in sixteenths: triangular, mean 0, variance 2.5. A
/// difference of two independent noises is 0 only 17% of the time, so a shown difference of 1
/// leaves a true difference anywhere from 1 to 7 (`docs/statistics.md`, "Differencing"). The
/// same table for every rule: a cell shown in a standard table and in a sensitive one must not
/// show two values whose difference tells the noise.
const NOISE_WEIGHTS: [u64; 7] = [1, 2, 3, 4, 3, 2, 1];

/// The noise of a cell key: the key, read as a fraction of 2³², picks a place in the
/// distribution of [`NOISE_WEIGHTS`].
pub fn noise(key: u32) -> i64 {
    let total: u64 = NOISE_WEIGHTS.iter().sum();
    let pick = (u64::from(key) * total) >> 32;
    let mut reached = 0;
    for (i, w) in NOISE_WEIGHTS.iter().enumerate() {
        reached += w;
        if pick < reached {
            return i as i64 - MAX_NOISE;
        }
    }
    0
}

/// `count` with the noise of its cell key; a zero stays zero (no records, no key). Never below
/// 1 for a count of someone: [`release`] hides such a value anyway.
pub fn perturb(count: u64, key: u32) -> u64 {
    if count == 0 {
        return 0;
    }
    let noise = noise(key);
    if noise < 0 {
        count.saturating_sub(noise.unsigned_abs()).max(1)
    } else {
        count.saturating_add(noise.unsigned_abs())
    }
}

/// A count as a reader gets it under `rule`: hidden if small (`primary`); else, when the
/// release perturbs (a cell key is given), perturbed, and hidden (`secondary`) if the noise took
/// it below the threshold; else as counted. Used for every lone count (a total without
/// dimensions, the dashboard's open cases, a planning line) and, by
/// [`crate::disclosure::SuppressedTable::perturbed`], for every shown cell of a table.
pub fn release(count: u64, key: Option<u32>, rule: Rule) -> Published<u64> {
    if rule.is_small(count) {
        return Published::Suppressed {
            reason: Reason::Primary,
        };
    }
    match key {
        Some(key) if !rule.is_off() && count > 0 => {
            let shown = perturb(count, key);
            if shown < rule.threshold() {
                Published::Suppressed {
                    reason: Reason::Secondary,
                }
            } else {
                Published::Shown { value: shown }
            }
        }
        _ => Published::Shown { value: count },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Scope;
    use crate::codes::Role;
    use crate::ids::AdminUnitCode;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn period(from: &str, to: &str) -> Period {
        Period::new(d(from), d(to)).unwrap()
    }

    /// A deterministic stream of ids and keys for the simulations.
    fn ids(seed: u128, n: usize) -> Vec<Uuid> {
        (0..n as u128)
            .map(|i| Uuid::from_u128(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (i + 1)))
            .collect()
    }

    fn keys_of(k: &RecordKeys, ids: &[Uuid]) -> Counted {
        let mut c = Counted::default();
        for id in ids {
            c += Counted::one(k.of(id));
        }
        c
    }

    #[test]
    fn record_keys_are_keyed_and_spread_evenly() {
        let a = RecordKeys::new([1; 32]);
        let b = RecordKeys::new([2; 32]);
        let id = Uuid::from_u128(42);
        assert_eq!(a.of(&id), a.of(&id), "the same record, the same key");
        assert_ne!(a.of(&id), b.of(&id), "another secret, another key");
        // SHA-256 of 32 bytes of 0x01 followed by the id's bytes, first four bytes.
        let mut h = Sha256::new();
        h.update([1u8; 32]);
        h.update(id.as_bytes());
        let digest = h.finalize();
        assert_eq!(a.of(&id).to_be_bytes(), digest[..4]);
        // Sixteen equal buckets of 16,000 keys: each near 1,000.
        let mut buckets = [0u32; 16];
        for id in ids(7, 16_000) {
            buckets[(a.of(&id) >> 28) as usize] += 1;
        }
        assert!(
            buckets.iter().all(|&n| (850..1150).contains(&n)),
            "{buckets:?}"
        );
        assert_eq!(
            format!("{a:?}"),
            "RecordKeys(…)",
            "the secret is not printed"
        );
    }

    #[test]
    fn noise_follows_its_table_and_averages_zero() {
        let mut seen = [0u64; 7];
        let steps = 1u64 << 16;
        for i in 0..steps {
            let key = ((i << 32) / steps) as u32;
            let e = noise(key);
            assert!((-MAX_NOISE..=MAX_NOISE).contains(&e));
            seen[(e + MAX_NOISE) as usize] += 1;
        }
        let total: u64 = NOISE_WEIGHTS.iter().sum();
        for (got, w) in seen.iter().zip(NOISE_WEIGHTS) {
            assert_eq!(*got, steps * w / total, "{seen:?}");
        }
        let mean: i64 = seen
            .iter()
            .enumerate()
            .map(|(i, n)| (i as i64 - MAX_NOISE) * *n as i64)
            .sum();
        assert_eq!(mean, 0);
        assert_eq!(noise(0), -3);
        assert_eq!(noise(u32::MAX), 3);
    }

    #[test]
    fn zeros_stay_and_counts_move_by_at_most_three() {
        for key in [0, 1 << 31, u32::MAX] {
            assert_eq!(perturb(0, key), 0);
            assert_eq!(perturb(1, key).max(1), perturb(1, key));
            for n in [5u64, 12, 1_000] {
                let m = perturb(n, key);
                assert!(m.abs_diff(n) <= MAX_NOISE as u64, "{n} -> {m}");
                assert_eq!(m, perturb(n, key), "the same key, the same value");
            }
        }
        assert_eq!(perturb(10, 0), 7);
        assert_eq!(perturb(10, u32::MAX), 13);
        assert_eq!(perturb(u64::MAX, u32::MAX), u64::MAX);
    }

    #[test]
    fn a_count_is_released_hidden_perturbed_or_as_counted() {
        let shown = |v| Published::Shown { value: v };
        let primary = Published::Suppressed {
            reason: Reason::Primary,
        };
        let secondary = Published::Suppressed {
            reason: Reason::Secondary,
        };
        // Small counts are hidden whatever the key.
        assert_eq!(release(3, None, Rule::STANDARD), primary);
        assert_eq!(release(3, Some(u32::MAX), Rule::STANDARD), primary);
        assert_eq!(release(0, Some(7), Rule::SENSITIVE), primary);
        // Zeros are shown as zeros under the standard rule.
        assert_eq!(release(0, Some(7), Rule::STANDARD), shown(0));
        // Without a key (the exact release): as counted.
        assert_eq!(release(6, None, Rule::STANDARD), shown(6));
        // With one: perturbed, and hidden when the noise takes it below the threshold.
        assert_eq!(release(6, Some(u32::MAX), Rule::STANDARD), shown(9));
        assert_eq!(release(6, Some(0), Rule::STANDARD), secondary);
        assert_eq!(release(8, Some(0), Rule::STANDARD), shown(5));
        assert_eq!(release(12, Some(0), Rule::SENSITIVE), secondary);
        // Unsuppressed: exact, key or not.
        assert_eq!(release(2, Some(0), Rule::OFF), shown(2));
    }

    /// The attack of the issue: two tables whose cells hold the same people but one. Without
    /// perturbation the difference is exactly 1, every time. With it the shown difference is
    /// spread from −5 to 7, and it is 1 only about one time in six (44 in 256).
    #[test]
    fn one_person_more_is_lost_in_the_noise() {
        let k = RecordKeys::new([9; 32]);
        let rule = Rule::STANDARD;
        let mut by_difference = std::collections::BTreeMap::<i64, u32>::new();
        let trials = 4_000;
        for t in 0..trials {
            let people = ids(t, 20 + (t % 40) as usize);
            let (before, after) = people.split_at(people.len() - 1);
            assert_eq!(after.len(), 1);
            let small = keys_of(&k, before);
            let large = keys_of(&k, &people);
            let shown = |c: Counted| release(c.n, Some(c.cell_key()), rule).value();
            if let (Some(a), Some(b)) = (shown(small), shown(large)) {
                *by_difference.entry(b as i64 - a as i64).or_default() += 1;
            }
            // The same people always give the same value.
            assert_eq!(shown(keys_of(&k, before)), shown(small));
        }
        let total: u32 = by_difference.values().sum();
        let exact = by_difference.get(&1).copied().unwrap_or(0);
        println!("cell_key: a difference of one person shown as 1 in {exact} of {total} pairs: {by_difference:?}");
        assert!(total > trials as u32 * 9 / 10, "{by_difference:?}");
        assert!(
            f64::from(exact) / f64::from(total) < 0.22,
            "a shown difference of one person in {exact} of {total}: {by_difference:?}"
        );
        assert_eq!(by_difference.keys().next(), Some(&-5));
        assert_eq!(by_difference.keys().next_back(), Some(&7));
    }

    #[test]
    fn keys_add_up_modulo_two_to_the_32() {
        let mut c = Counted::one(u32::MAX);
        c += Counted::one(2);
        assert_eq!((c.n, c.cell_key()), (2, 1));
        assert_eq!(cell_key(u64::MAX), u32::MAX);
    }

    fn reader(role: Role, granted: bool) -> Principal {
        Principal::user(
            Uuid::nil(),
            "r",
            role,
            Scope::Unit(AdminUnitCode::from_stored("TM".into())),
            false,
        )
        .with_unsuppressed(granted)
    }

    #[test]
    fn only_the_grant_gives_exact_periods_and_counts() {
        assert_eq!(Release::of(&reader(Role::Planner, true)), Release::Exact);
        assert_eq!(Release::of(&reader(Role::Ministry, true)), Release::Exact);
        assert_eq!(Release::of(&Principal::system("report")), Release::Exact);
        for (role, granted) in [
            (Role::Planner, false),
            (Role::Ministry, false),
            (Role::Supervisor, true),
            (Role::SocialWorker, false),
        ] {
            assert_eq!(Release::of(&reader(role, granted)), Release::Protected);
        }
        assert!(Release::Protected.perturbs() && !Release::Exact.perturbs());
    }

    #[test]
    fn without_the_grant_only_calendar_periods_are_answered() {
        let p = Release::Protected;
        for (from, to, named) in [
            ("2025-01-01", "2025-12-31", "2025"),
            ("2025-04-01", "2025-06-30", "2025Q2"),
            ("2024-02-01", "2024-02-29", "202402"),
            ("2025-12-01", "2025-12-31", "202512"),
        ] {
            let got = p.check_period(&period(from, to)).unwrap();
            assert_eq!(got.map(|c| c.to_string()).as_deref(), Some(named));
        }
        // The issue's attack: two periods a day apart.
        for (from, to) in [
            ("2025-01-01", "2025-06-30"),
            ("2025-01-01", "2025-06-29"),
            ("2025-01-02", "2025-12-31"),
            ("2025-03-05", "2025-03-05"),
            ("2024-02-01", "2024-02-28"),
            ("2025-01-01", "2026-12-31"),
        ] {
            let e = p.check_period(&period(from, to)).unwrap_err();
            assert_eq!((e.from, e.to), (d(from), d(to)));
            assert!(e.to_string().contains("2025Q1"), "{e}");
            // With the grant: any period.
            assert_eq!(Release::Exact.check_period(&period(from, to)), Ok(None));
        }
    }
}
