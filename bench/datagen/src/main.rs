//! goldaw-datagen: a deterministic, national-scale data set in the interchange CSV format
//! (`shared/design/INTERCHANGE.md`): households.csv, persons.csv, cases.csv, service_episodes.csv.
//!
//! ```text
//! goldaw-datagen --out DIR [--persons N] [--seed S] [--admin-units PATH]
//! ```
//!
//! Why no dependencies: this crate exists only to feed benchmarks. With nothing but `std` it compiles in a
//! couple of seconds, never waits for (or fights over) the workspace's heavy dependency graph, and its output
//! cannot change because some crate's random-number or formatting algorithm changed in a minor release: the
//! bytes depend only on this file, the seed, N and the admin-units file. So the PRNG (xoshiro256** seeded
//! by splitmix64), the date arithmetic, the small CSV reader/writer and the argument parsing are hand-written.
//!
//! Streaming: rows are written as they are generated, through one `BufWriter` per file; the only state kept
//! is the list of administrative units, so memory does not grow with N.
//!
//! The figures the generator aims at (see `bench/README.md`):
//! - persons spread over the leaf admin units in proportion to their velayat's population;
//! - ages about 35% under 18, 57% 18-59, 8% 60+ (on 2025-12-31); sex F/M about 51/49;
//! - about 3% of adults with a disability by the Washington Group cut-off; 1 in 6 receive benefits;
//! - cases for about 1% of persons, triaged critical 6% / support 32% / none 62% of those assessed;
//! - about 15,000 distinct persons per 7,057,841 with a secondary-level episode overlapping 2025.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

const CENSUS_2022: u64 = 7_057_841;
/// Ids are a letter and 8 zero-padded digits, so string order equals numeric order.
const MAX_ID: u64 = 99_999_999;
/// The data set's "today": ages, case statuses and ongoing episodes are as of this day.
const AS_OF: i32 = days_from_civil(2025, 12, 31);
const Y2025_START: i32 = days_from_civil(2025, 1, 1);
const CASES_FROM: i32 = days_from_civil(2021, 1, 1);
/// Cases per etrap social worker (DOMAIN.md: 75 a year), used to size each unit's pool of workers.
const CASES_PER_WORKER: f64 = 75.0;
/// Expected share of persons with a case; only used to size the worker pools.
const CASE_RATE: f64 = 0.01;

// ---------------------------------------------------------------------------------------------
// Random numbers: xoshiro256** (Blackman & Vigna), seeded with splitmix64.

struct Rng {
    s: [u64; 4],
}

fn splitmix64(x: &mut u64) -> u64 {
    *x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng {
    fn new(seed: u64) -> Rng {
        let mut x = seed;
        Rng {
            s: [
                splitmix64(&mut x),
                splitmix64(&mut x),
                splitmix64(&mut x),
                splitmix64(&mut x),
            ],
        }
    }

    #[inline]
    fn next(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in 0..n (n > 0); the multiply-shift bias is below 2^-40 for our n.
    #[inline]
    fn below(&mut self, n: u64) -> u64 {
        ((self.next() as u128 * n as u128) >> 64) as u64
    }

    /// Uniform in lo..=hi.
    #[inline]
    fn range(&mut self, lo: i32, hi: i32) -> i32 {
        debug_assert!(lo <= hi);
        lo + self.below((hi - lo + 1) as u64) as i32
    }

    #[inline]
    fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64) * (1.0 / 9_007_199_254_740_992.0) < p
    }

    /// Index chosen with the given (integer) weights.
    fn pick(&mut self, weights: &[u32]) -> usize {
        let total: u32 = weights.iter().sum();
        let mut r = self.below(total as u64) as u32;
        for (i, &w) in weights.iter().enumerate() {
            if r < w {
                return i;
            }
            r -= w;
        }
        weights.len() - 1
    }

    fn of<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

// ---------------------------------------------------------------------------------------------
// Dates as days since 1970-01-01 (H. Hinnant's civil-calendar algorithms, proleptic Gregorian).

const fn days_from_civil(y: i32, m: u32, d: u32) -> i32 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = (y - era * 400) as u32;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe as i32 - 719_468
}

fn civil_from_days(z: i32) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = (z - era * 146_097) as u32;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe as i32 + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// A uniformly random day of the given year.
fn day_in_year(rng: &mut Rng, year: i32) -> i32 {
    let first = days_from_civil(year, 1, 1);
    let len = days_from_civil(year + 1, 1, 1) - first;
    first + rng.below(len as u64) as i32
}

// ---------------------------------------------------------------------------------------------
// CSV output.

struct Out {
    w: BufWriter<File>,
    rows: u64,
    bytes: u64,
}

impl Out {
    fn create(dir: &std::path::Path, name: &str, header: &str) -> io::Result<Out> {
        let path = dir.join(name);
        let f = File::create(&path).map_err(|e| {
            io::Error::new(e.kind(), format!("cannot create {}: {e}", path.display()))
        })?;
        let mut o = Out {
            w: BufWriter::with_capacity(1 << 20, f),
            rows: 0,
            bytes: 0,
        };
        o.raw(header.as_bytes())?;
        o.raw(b"\n")?;
        Ok(o)
    }

    #[inline]
    fn raw(&mut self, b: &[u8]) -> io::Result<()> {
        self.bytes += b.len() as u64;
        self.w.write_all(b)
    }

    /// A text field, quoted per RFC 4180 when it holds a comma, a quote or a line break.
    fn text(&mut self, s: &str) -> io::Result<()> {
        if s.bytes().any(|c| matches!(c, b',' | b'"' | b'\n' | b'\r')) {
            self.raw(b"\"")?;
            for (i, part) in s.split('"').enumerate() {
                if i > 0 {
                    self.raw(b"\"\"")?;
                }
                self.raw(part.as_bytes())?;
            }
            self.raw(b"\"")
        } else {
            self.raw(s.as_bytes())
        }
    }

    #[inline]
    fn comma(&mut self) -> io::Result<()> {
        self.raw(b",")
    }

    fn end_row(&mut self) -> io::Result<()> {
        self.rows += 1;
        self.raw(b"\n")
    }

    /// `P00000042`: a letter (or two) and 8 zero-padded digits.
    fn id(&mut self, prefix: &[u8], n: u64) -> io::Result<()> {
        let mut buf = [b'0'; 8];
        let mut v = n;
        for i in (0..8).rev() {
            buf[i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
        self.raw(prefix)?;
        self.raw(&buf)
    }

    fn num(&mut self, n: u64) -> io::Result<()> {
        let mut buf = [0u8; 20];
        let mut i = buf.len();
        let mut v = n;
        loop {
            i -= 1;
            buf[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        self.raw(&buf[i..])
    }

    /// A number zero-padded to `width` digits (worker and provider ids).
    fn padded(&mut self, n: u64, width: usize) -> io::Result<()> {
        let mut buf = [b'0'; 20];
        let mut v = n;
        for i in (0..width).rev() {
            buf[i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
        self.raw(&buf[..width])
    }

    fn date(&mut self, d: i32) -> io::Result<()> {
        let (y, m, day) = civil_from_days(d);
        let y = y as u32;
        let b = [
            b'0' + (y / 1000 % 10) as u8,
            b'0' + (y / 100 % 10) as u8,
            b'0' + (y / 10 % 10) as u8,
            b'0' + (y % 10) as u8,
            b'-',
            b'0' + (m / 10) as u8,
            b'0' + (m % 10) as u8,
            b'-',
            b'0' + (day / 10) as u8,
            b'0' + (day % 10) as u8,
        ];
        self.raw(&b)
    }

    fn finish(mut self) -> io::Result<(u64, u64)> {
        self.w.flush()?;
        Ok((self.rows, self.bytes))
    }
}

// ---------------------------------------------------------------------------------------------
// Reading admin_units.csv (RFC 4180, the `source` column has quoted commas).

fn parse_csv(text: &str) -> Result<Vec<Vec<String>>, String> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut chars = text.trim_start_matches('\u{feff}').chars().peekable();
    let mut in_quotes = false;
    let mut any = false;
    while let Some(c) = chars.next() {
        any = true;
        if in_quotes {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    in_quotes = false;
                }
            } else {
                field.push(c);
            }
        } else {
            match c {
                '"' => in_quotes = true,
                ',' => row.push(std::mem::take(&mut field)),
                '\r' => {}
                '\n' => {
                    row.push(std::mem::take(&mut field));
                    rows.push(std::mem::take(&mut row));
                    any = false;
                }
                _ => field.push(c),
            }
        }
    }
    if in_quotes {
        return Err("unterminated quoted field".into());
    }
    if any {
        row.push(field);
        rows.push(row);
    }
    Ok(rows)
}

/// A leaf administrative unit (a unit that is no one's parent): where persons live.
struct Leaf {
    code: String,
    /// Index of the velayat (a child of the country) it lies in, in file order.
    velayat: usize,
    /// City, city-status etrap or borough: all urban. Etraps are mixed.
    urban_only: bool,
    persons: u64,
    /// Workers of this unit are W(first_worker + 0 .. workers).
    first_worker: u64,
    workers: u64,
}

fn load_leaves(path: &PathBuf, n: u64) -> Result<Vec<Leaf>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let rows = parse_csv(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let header = rows
        .first()
        .ok_or_else(|| format!("{}: empty file", path.display()))?;
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| format!("{}: no column {name}", path.display()))
    };
    let (c_code, c_level, c_parent, c_pop) = (
        col("code")?,
        col("level")?,
        col("parent_code")?,
        col("population")?,
    );
    struct Unit {
        code: String,
        level: String,
        parent: String,
        pop: Option<f64>,
    }
    let mut units = Vec::new();
    for (i, r) in rows.iter().enumerate().skip(1) {
        if r.len() == 1 && r[0].is_empty() {
            continue;
        }
        let get = |c: usize| r.get(c).map(|s| s.trim().to_string()).unwrap_or_default();
        let pop = get(c_pop);
        let pop = if pop.is_empty() {
            None
        } else {
            Some(pop.parse::<f64>().map_err(|_| {
                format!("{}: line {}: bad population {pop:?}", path.display(), i + 1)
            })?)
        };
        units.push(Unit {
            code: get(c_code),
            level: get(c_level),
            parent: get(c_parent),
            pop,
        });
    }
    let index = |code: &str| units.iter().position(|u| u.code == code);
    let is_parent = |code: &str| units.iter().any(|u| u.parent == code);
    // The country: the unit without a parent. Velayats: its children, in file order.
    let country = units
        .iter()
        .position(|u| u.parent.is_empty())
        .ok_or_else(|| format!("{}: no country row (empty parent_code)", path.display()))?;
    let velayats: Vec<usize> = (0..units.len())
        .filter(|&i| units[i].parent == units[country].code)
        .collect();
    if velayats.is_empty() {
        return Err(format!("{}: the country has no children", path.display()));
    }
    // Velayats without a population share what the country's figure leaves, evenly.
    let known: f64 = velayats.iter().filter_map(|&v| units[v].pop).sum();
    let unknown = velayats.iter().filter(|&&v| units[v].pop.is_none()).count();
    let rest = (units[country].pop.unwrap_or(known) - known).max(0.0);
    let mut weights = Vec::new();
    let mut leaves = Vec::new();
    for (vi, &v) in velayats.iter().enumerate() {
        let vpop = units[v].pop.unwrap_or(rest / unknown.max(1) as f64);
        // The velayat's leaves, in file order.
        let mine: Vec<usize> = (0..units.len())
            .filter(|&i| !is_parent(&units[i].code))
            .filter(|&i| {
                let mut p = i;
                while let Some(q) = index(&units[p].parent) {
                    if q == v {
                        return true;
                    }
                    p = q;
                }
                false
            })
            .collect();
        let mine = if mine.is_empty() { vec![v] } else { mine };
        let own: f64 = mine.iter().filter_map(|&i| units[i].pop).sum();
        let others = mine.iter().filter(|&&i| units[i].pop.is_none()).count();
        let share = if others > 0 {
            (vpop - own).max(0.0) / others as f64
        } else {
            0.0
        };
        for &i in &mine {
            weights.push(units[i].pop.unwrap_or(share));
            let capital = units[v].level.starts_with("capital");
            leaves.push(Leaf {
                code: units[i].code.clone(),
                velayat: vi,
                urban_only: capital || units[i].level != "etrap",
                persons: 0,
                first_worker: 0,
                workers: 0,
            });
        }
    }
    // Largest remainder: integer counts that add up to exactly n.
    let total: f64 = weights.iter().sum();
    if total <= 0.0 {
        return Err(format!("{}: no population figures", path.display()));
    }
    let exact: Vec<f64> = weights.iter().map(|w| w / total * n as f64).collect();
    for (l, e) in leaves.iter_mut().zip(&exact) {
        l.persons = e.floor() as u64;
    }
    let mut short = n - leaves.iter().map(|l| l.persons).sum::<u64>();
    let mut order: Vec<usize> = (0..leaves.len()).collect();
    order.sort_by(|&a, &b| {
        let (ra, rb) = (exact[a] - exact[a].floor(), exact[b] - exact[b].floor());
        rb.partial_cmp(&ra).unwrap().then(a.cmp(&b))
    });
    for &i in order.iter().cycle() {
        if short == 0 {
            break;
        }
        leaves[i].persons += 1;
        short -= 1;
    }
    let mut next = 1;
    for l in &mut leaves {
        if l.persons > 0 {
            l.workers = ((l.persons as f64 * CASE_RATE / CASES_PER_WORKER).round() as u64).max(1);
        }
        l.first_worker = next;
        next += l.workers;
    }
    if next - 1 > 99_999 {
        return Err("too many workers for 5-digit worker ids".into());
    }
    Ok(leaves)
}

// ---------------------------------------------------------------------------------------------
// Vocabulary.

const GIVEN_F: &[&str] = &[
    "Aýna",
    "Gülnara",
    "Maýsa",
    "Jeren",
    "Ogulgerek",
    "Bahar",
    "Aýgül",
    "Gözel",
    "Enejan",
    "Mähri",
    "Selbi",
    "Şirin",
    "Ogulşat",
    "Mähriban",
    "Nurjemal",
    "Leýli",
    "Läle",
    "Sona",
    "Aýjemal",
    "Bägül",
    "Dürdane",
    "Güljemal",
    "Ýazgül",
    "Ogulbibi",
    "Maral",
    "Gülälek",
    "Jahan",
    "Täzegül",
    "Näzik",
    "Ogulnabat",
];
const GIVEN_M: &[&str] = &[
    "Merdan",
    "Döwlet",
    "Oraz",
    "Serdar",
    "Berdi",
    "Batyr",
    "Arslan",
    "Myrat",
    "Rejep",
    "Aman",
    "Kerim",
    "Ata",
    "Nury",
    "Ýazmyrat",
    "Maksat",
    "Begenç",
    "Gadam",
    "Şatlyk",
    "Ahmet",
    "Meret",
    "Parahat",
    "Nepes",
    "Ylýas",
    "Täçmyrat",
    "Hojamyrat",
    "Çary",
    "Ýusup",
    "Öwez",
    "Bahtyýar",
    "Döwran",
    "Azat",
    "Sapar",
    "Perhat",
];
/// Family-name stems; men's names end in -ow, women's in -owa.
const FAMILY: &[&str] = &[
    "Aman",
    "Annamyrad",
    "Atamyrad",
    "Baýram",
    "Begmyrad",
    "Çaryýar",
    "Döwlet",
    "Durdymyrad",
    "Gandym",
    "Geldimyrad",
    "Gurban",
    "Gylyj",
    "Hojamyrad",
    "Hydyr",
    "Jumamyrad",
    "Kakamyrad",
    "Mered",
    "Muhammed",
    "Murad",
    "Nazar",
    "Nurmyrad",
    "Oraz",
    "Öwez",
    "Pirjan",
    "Rejep",
    "Sapar",
    "Seýitmyrad",
    "Söýün",
    "Şamyrad",
    "Täçmämmed",
    "Ýazmyrad",
    "Ybraýym",
    "Agamyrad",
    "Allamyrad",
];
const STREETS: &[&str] = &[
    "Görogly",
    "Magtymguly",
    "Atatürk",
    "Oguzhan",
    "Garaşsyzlyk",
    "Azady",
    "Andalyp",
    "Gurbansoltan eje",
    "Türkmenbaşy",
    "Arçabil",
    "Çandybil",
    "Galkynyş",
    "Zelili",
    "Kemine",
    "Bagtyýarlyk",
    "Parahat",
    "Mollanepes",
    "Seýitnazar Seýdi",
    "Baba Gammar",
    "Bitarap Türkmenistan",
];
const VILLAGES: &[&str] = &[
    "Täze oba",
    "Gülüstan",
    "Bereket",
    "Ýaşlyk",
    "Zähmet",
    "Parahat",
    "Rowaç",
    "Bagtyýar",
    "Dostluk",
    "Hasyl",
    "Galkynyş",
    "Miras",
    "Altyn sähra",
    "Gökje",
    "Ýeňiş",
    "Sähra",
];

// Target groups, in the order of INTERCHANGE.md; a person's set is a bit mask.
const TG: &[&str] = &[
    "child_disability",
    "child_no_parental_care",
    "child_at_risk_separation",
    "infant_in_care",
    "care_leaver",
    "youth_at_risk",
    "family_difficult",
    "large_family",
    "family_substance_use",
    "woman_gbv",
    "woman_unintended_pregnancy",
    "adult_disability",
    "older_alone",
    "chronic_illness",
];
const CHILD_DISABILITY: u16 = 1 << 0;
const CHILD_NO_PARENTAL_CARE: u16 = 1 << 1;
const CHILD_AT_RISK_SEPARATION: u16 = 1 << 2;
const INFANT_IN_CARE: u16 = 1 << 3;
const CARE_LEAVER: u16 = 1 << 4;
const YOUTH_AT_RISK: u16 = 1 << 5;
const FAMILY_DIFFICULT: u16 = 1 << 6;
const LARGE_FAMILY: u16 = 1 << 7;
const FAMILY_SUBSTANCE_USE: u16 = 1 << 8;
const WOMAN_GBV: u16 = 1 << 9;
const WOMAN_UNINTENDED_PREGNANCY: u16 = 1 << 10;
const ADULT_DISABILITY: u16 = 1 << 11;
const OLDER_ALONE: u16 = 1 << 12;
const CHRONIC_ILLNESS: u16 = 1 << 13;

const REFERRAL: &[&str] = &[
    "benefits_list",
    "self",
    "outreach",
    "hotline",
    "police",
    "juvenile_inspectorate",
    "school",
    "health",
    "guardianship",
    "court",
    "mlsp",
    "ngo",
    "other",
];
const R_HOTLINE: usize = 3;
const R_COURT: usize = 9;
const R_MLSP: usize = 10;

/// Services: S01..S12 are indices 0..11.
const ETRAP_SW: usize = 12;
const HOTLINE: usize = 13;
const RES_CARE: usize = 14;
const U_FIRST: usize = 15; // U_EDU, U_HOUSING, U_BENEFIT, U_EMPLOY, U_HEALTH
const SERVICE: &[&str] = &[
    "S01",
    "S02",
    "S03",
    "S04",
    "S05",
    "S06",
    "S07",
    "S08",
    "S09",
    "S10",
    "S11",
    "S12",
    "ETRAP_SW",
    "HOTLINE",
    "RES_CARE",
    "U_EDU",
    "U_HOUSING",
    "U_BENEFIT",
    "U_EMPLOY",
    "U_HEALTH",
];

// ---------------------------------------------------------------------------------------------
// Generation.

#[derive(Clone, Copy)]
struct Member {
    age: i32,
    female: bool,
}

#[derive(Default)]
struct Stats {
    households: u64,
    alone: u64,
    female: u64,
    under18: u64,
    over60: u64,
    adults: u64,
    adults_disabled: u64,
    benefits: u64,
    with_groups: u64,
    urban: u64,
    priority: [u64; 3],
    status: [u64; 7],
    referral: [u64; 13],
    episodes_by_service: [u64; 20],
    users_2025: u64,
}

struct Gen {
    rng: Rng,
    households: Out,
    persons: Out,
    cases: Out,
    episodes: Out,
    next_household: u64,
    next_person: u64,
    next_case: u64,
    next_episode: u64,
    /// Share of an etrap's households that are urban, so that the country is about half urban.
    etrap_urban: f64,
    st: Stats,
}

/// Household size 1..8 (mean about 4.5) for households with an id.
const HH_SIZE_WEIGHTS: [u32; 8] = [5, 10, 15, 20, 20, 14, 9, 7];
/// Chance that the next "household" drawn is a person living alone without a household_id:
/// q / (q + (1-q) * 4.53) = 5% of persons.
const ALONE_P: f64 = 0.1925;

fn adult_age(rng: &mut Rng) -> i32 {
    // 18..59, more younger adults than older.
    let a = rng.range(0, 41);
    let b = rng.range(0, 41);
    18 + if rng.chance(0.5) { a } else { a.min(b) }
}

fn old_age(rng: &mut Rng) -> i32 {
    // 60..95, decreasing.
    let a = rng.range(0, 35);
    let b = rng.range(0, 35);
    60 + a.min(b)
}

impl Gen {
    fn generate(&mut self, leaf: &Leaf) -> io::Result<()> {
        let mut left = leaf.persons;
        let mut members: Vec<Member> = Vec::with_capacity(8);
        while left > 0 {
            let urban = leaf.urban_only || self.rng.chance(self.etrap_urban);
            members.clear();
            let alone = self.rng.chance(ALONE_P);
            if alone {
                let old = self.rng.chance(0.35);
                let age = if old {
                    old_age(&mut self.rng)
                } else {
                    adult_age(&mut self.rng).max(20)
                };
                let female = self.rng.chance(if old { 0.70 } else { 0.45 });
                members.push(Member { age, female });
            } else {
                let size = (self.rng.pick(&HH_SIZE_WEIGHTS) as u64 + 1).min(left) as usize;
                self.compose(size, &mut members);
            }
            left -= members.len() as u64;
            let household = if alone {
                None
            } else {
                self.next_household += 1;
                Some(self.next_household)
            };
            if let Some(h) = household {
                self.write_household(h, leaf, urban)?;
            }
            self.write_members(household, &members, leaf, urban)?;
        }
        Ok(())
    }

    /// Ages and sexes of a household: a head, often a spouse, then children, grandchildren, adult
    /// children or a grandparent, consistent with the head's age.
    fn compose(&mut self, size: usize, m: &mut Vec<Member>) {
        let r = &mut self.rng;
        let head_old = r.chance(0.13);
        let head_age = if head_old {
            old_age(r)
        } else {
            adult_age(r).max(20)
        };
        let head_female = r.chance(if size == 1 { 0.5 } else { 0.2 });
        m.push(Member {
            age: head_age,
            female: head_female,
        });
        if size >= 2 && r.chance(0.82) {
            let delta = r.range(-2, 8);
            let age = if head_female {
                head_age + delta
            } else {
                head_age - delta
            };
            m.push(Member {
                age: age.clamp(18, 95),
                female: !head_female,
            });
        }
        while m.len() < size {
            // The others are about 61% children, 36% adults under 60 and 3% older people.
            let kind = r.below(1000);
            let age = if kind < 610 {
                if head_age >= 60 {
                    r.range(1, 17) // grandchildren
                } else {
                    r.range((head_age - 42).max(1), (head_age - 18).min(17))
                }
            } else if kind < 975 {
                if head_age >= 38 {
                    r.range(18, (head_age - 20).min(59)) // an adult child
                } else if head_age + 20 <= 59 {
                    r.range(head_age + 20, (head_age + 32).min(59)) // a parent of the head
                } else {
                    r.range(18, (head_age + 8).min(59)) // a sibling
                }
            } else if head_age >= 30 {
                (head_age + r.range(20, 32)).clamp(60, 95) // a parent of the head
            } else {
                old_age(r)
            };
            let female = r.chance(if age >= 60 { 0.64 } else { 0.535 });
            m.push(Member { age, female });
        }
    }

    fn write_household(&mut self, h: u64, leaf: &Leaf, urban: bool) -> io::Result<()> {
        self.st.households += 1;
        let r = &mut self.rng;
        let mut addr = String::with_capacity(48);
        use std::fmt::Write as _;
        let p = r.below(3);
        let house = r.range(1, 160);
        let _ = if urban {
            match p {
                0 => write!(
                    addr,
                    "{} köçesi, jaý {house}, öý {}",
                    r.of(STREETS),
                    r.range(1, 90)
                ),
                1 => write!(
                    addr,
                    "mikroraýon {}, jaý {}, öý {}",
                    r.range(1, 30),
                    r.range(1, 60),
                    r.range(1, 120)
                ),
                _ => write!(addr, "Köçe {}, jaý {house}", r.range(1, 80)),
            }
        } else {
            match p {
                0 => write!(
                    addr,
                    "{} obasy, {} köçesi, jaý {house}",
                    r.of(VILLAGES),
                    r.of(STREETS)
                ),
                1 => write!(addr, "{} obasy, jaý {house}", r.of(VILLAGES)),
                _ => write!(addr, "Köçe {}, jaý {house}", r.range(1, 40)),
            }
        };
        let o = &mut self.households;
        o.id(b"H", h)?;
        o.comma()?;
        o.raw(leaf.code.as_bytes())?;
        o.comma()?;
        o.raw(if urban { b"urban" } else { b"rural" })?;
        o.comma()?;
        o.text(&addr)?;
        o.end_row()
    }

    fn write_members(
        &mut self,
        household: Option<u64>,
        m: &[Member],
        leaf: &Leaf,
        urban: bool,
    ) -> io::Result<()> {
        let family = self.rng.of(FAMILY);
        let children = m.iter().filter(|x| x.age < 18).count();
        let alone = m.len() == 1;
        // Family-level groups, recorded on the head and the children.
        let mut family_groups = 0u16;
        if children >= 5 || (children == 4 && self.rng.chance(0.15)) {
            family_groups |= LARGE_FAMILY;
        }
        if children > 0 {
            if self.rng.chance(0.02) {
                family_groups |= FAMILY_DIFFICULT;
            }
            if self.rng.chance(0.004) {
                family_groups |= FAMILY_SUBSTANCE_USE;
            }
        }
        for (i, p) in m.iter().enumerate() {
            self.write_person(
                household,
                i == 0,
                p,
                family,
                family_groups,
                alone,
                leaf,
                urban,
            )?;
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn write_person(
        &mut self,
        household: Option<u64>,
        head: bool,
        p: &Member,
        family: &str,
        family_groups: u16,
        alone: bool,
        leaf: &Leaf,
        urban: bool,
    ) -> io::Result<()> {
        self.next_person += 1;
        let id = self.next_person;
        let r = &mut self.rng;
        let age = p.age;
        let birth = day_in_year(r, 2025 - age);
        let given = if p.female {
            r.of(GIVEN_F)
        } else {
            r.of(GIVEN_M)
        };

        // Washington Group answers: not asked under 5.
        let mut wg = [0u8; 6];
        let mut disabled = false;
        if age >= 5 {
            let p_dis = match age {
                5..=17 => 0.012,
                18..=59 => 0.022,
                60..=74 => 0.06,
                _ => 0.15,
            };
            let some = match age {
                5..=17 => 20,
                18..=59 => 45,
                60..=74 => 160,
                _ => 280,
            }; // per 1024: chance of "some difficulty" in a domain
            let bits = r.next();
            for (d, v) in wg.iter_mut().enumerate() {
                *v = if ((bits >> (d * 10)) & 1023) < some {
                    2
                } else {
                    1
                };
            }
            if r.chance(p_dis) {
                disabled = true;
                let d = r.pick(&[15, 12, 35, 18, 10, 10]);
                wg[d] = if r.chance(0.7) { 3 } else { 4 };
                if r.chance(0.4) {
                    let e = r.below(6) as usize;
                    if e != d {
                        wg[e] = if r.chance(0.5) { 3 } else { 2 };
                    }
                }
            }
        }

        // Target groups.
        let mut g = 0u16;
        if age < 18 {
            g |= family_groups;
            if disabled {
                g |= CHILD_DISABILITY;
            }
            if r.chance(0.0025) {
                g |= CHILD_NO_PARENTAL_CARE;
            }
            if r.chance(0.003) {
                g |= CHILD_AT_RISK_SEPARATION;
            }
            if age <= 3 && r.chance(0.001) {
                g |= INFANT_IN_CARE;
            }
        } else {
            if head {
                g |= family_groups;
            }
            if disabled && r.chance(0.9) {
                g |= ADULT_DISABILITY;
            }
        }
        if (16..=23).contains(&age) && r.chance(0.0015) {
            g |= CARE_LEAVER;
        }
        if (12..=24).contains(&age) && r.chance(0.005) {
            g |= YOUTH_AT_RISK;
        }
        if p.female && (18..=59).contains(&age) && r.chance(0.004) {
            g |= WOMAN_GBV;
        }
        if p.female && (15..=45).contains(&age) && r.chance(0.001) {
            g |= WOMAN_UNINTENDED_PREGNANCY;
        }
        if age >= 60 && alone && r.chance(0.8) {
            g |= OLDER_ALONE;
        }
        let p_chronic = if age >= 60 {
            0.04
        } else if age >= 18 {
            0.006
        } else {
            0.002
        };
        if r.chance(p_chronic) {
            g |= CHRONIC_ILLNESS;
        }

        let benefits = r.chance(if disabled {
            0.6
        } else if age >= 60 {
            0.45
        } else if g & LARGE_FAMILY != 0 {
            0.5
        } else {
            0.11
        });

        // A case?
        let p_case = if g & !LARGE_FAMILY != 0 {
            0.05
        } else if g != 0 || benefits {
            0.012
        } else {
            0.0063
        };
        let has_case = r.chance(p_case);
        let mut case = None;
        if has_case {
            let c = self.plan_case(birth, age, g, benefits, leaf);
            // A person assessed as needing support belongs to some group: add the obvious one.
            if c.priority.is_some() && g == 0 {
                if age < 18 {
                    g |= FAMILY_DIFFICULT;
                } else if age >= 60 {
                    g |= if alone { OLDER_ALONE } else { CHRONIC_ILLNESS };
                }
            }
            case = Some(c);
        }

        // persons.csv
        let st = &mut self.st;
        st.female += p.female as u64;
        st.under18 += (age < 18) as u64;
        st.over60 += (age >= 60) as u64;
        if age >= 18 {
            st.adults += 1;
            st.adults_disabled += disabled as u64;
        }
        st.benefits += benefits as u64;
        st.with_groups += (g != 0) as u64;
        st.urban += urban as u64;
        st.alone += household.is_none() as u64;
        let o = &mut self.persons;
        o.id(b"P", id)?;
        o.comma()?;
        if let Some(h) = household {
            o.id(b"H", h)?;
        }
        o.comma()?;
        o.raw(given.as_bytes())?;
        o.comma()?;
        o.raw(family.as_bytes())?;
        o.raw(if p.female { "owa".as_bytes() } else { b"ow" })?;
        o.comma()?;
        o.raw(if p.female { b"F" } else { b"M" })?;
        o.comma()?;
        o.date(birth)?;
        o.comma()?;
        o.raw(leaf.code.as_bytes())?;
        o.comma()?;
        o.raw(if urban { b"urban" } else { b"rural" })?;
        o.comma()?;
        o.raw(if benefits { b"true" } else { b"false" })?;
        for v in wg {
            o.comma()?;
            if v > 0 {
                o.raw(&[b'0' + v])?;
            }
        }
        o.comma()?;
        let mut first = true;
        for (i, code) in TG.iter().enumerate() {
            if g & (1 << i) != 0 {
                if !first {
                    o.raw(b";")?;
                }
                o.raw(code.as_bytes())?;
                first = false;
            }
        }
        o.end_row()?;

        if let Some(c) = case {
            self.write_case(id, &c, g, age, p.female, leaf)?;
        }
        Ok(())
    }

    /// When the case was opened and how far it has come by AS_OF.
    fn plan_case(&mut self, birth: i32, age: i32, g: u16, benefits: bool, leaf: &Leaf) -> CasePlan {
        let r = &mut self.rng;
        // The programme grows: more cases each year.
        let year = 2021 + r.pick(&[8, 14, 22, 27, 29]) as i32;
        let mut opened = day_in_year(r, year);
        if opened <= birth {
            let from = (birth + 1).max(CASES_FROM);
            opened = r.range(from, AS_OF);
        }
        let mut w: [u32; 13] = [
            if benefits { 45 } else { 9 },
            10,
            8,
            5,
            3,
            2,
            1,
            8,
            2,
            2,
            3,
            6,
            3,
        ];
        if age < 18 {
            w[6] += 14; // school
        }
        if age >= 60 || g & CHRONIC_ILLNESS != 0 {
            w[7] += 8;
        }
        if g & (CHILD_NO_PARENTAL_CARE | INFANT_IN_CARE) != 0 {
            w[8] += 30;
            w[9] += 10;
            w[10] += 5;
        }
        if g & YOUTH_AT_RISK != 0 {
            w[4] += 10;
            w[5] += 15;
            w[9] += 6;
        }
        if g & WOMAN_GBV != 0 {
            w[3] += 20;
            w[4] += 10;
            w[11] += 8;
        }
        if g & (ADULT_DISABILITY | CHILD_DISABILITY | OLDER_ALONE) != 0 {
            w[10] += 3;
        }
        let referral = r.pick(&w);
        // Triage: critical 6%, support 32%, none 62% of those assessed; groups shift it a little.
        let pw: [u32; 3] = if g
            & (WOMAN_GBV | CHILD_NO_PARENTAL_CARE | INFANT_IN_CARE | FAMILY_SUBSTANCE_USE)
            != 0
        {
            [18, 42, 40]
        } else if g != 0 {
            [6, 38, 56]
        } else {
            [5, 29, 66]
        };
        let pr = r.pick(&pw);
        let critical = pr == 0;
        // Timeline: t1 initial assessment starts, t2 it ends (priority set), t3 holistic assessment done,
        // t4 support plan agreed, t5 end of active support, t6 closure after monitoring.
        let t1 = opened + if critical { 0 } else { r.range(0, 10) };
        let t2 = t1
            + if critical {
                r.range(0, 3)
            } else {
                r.range(1, 20)
            };
        let t3 = t2
            + if critical {
                r.range(3, 14)
            } else {
                r.range(7, 30)
            };
        let t4 = t3 + r.range(3, 21);
        let t5 = t4
            + if critical {
                r.range(30, 180)
            } else {
                r.range(90, 270)
            };
        let long_term = pr < 2
            && r.chance(
                if g & (ADULT_DISABILITY | CHILD_DISABILITY | OLDER_ALONE | CHRONIC_ILLNESS) != 0 {
                    0.22
                } else {
                    0.04
                },
            );
        let t6 = if long_term {
            i32::MAX
        } else {
            t5 + r.range(60, 180)
        };
        // Status on AS_OF (index into STATUS).
        let (status, priority, closed) = if AS_OF < t1 {
            (0, None, None)
        } else if AS_OF < t2 {
            (1, None, None)
        } else if pr == 2 {
            let close = t2 + r.range(0, 7);
            if close <= AS_OF {
                (6, Some(2), Some(close))
            } else {
                (2, Some(2), None)
            }
        } else if AS_OF < t3 {
            (2, Some(pr), None)
        } else if AS_OF < t4 {
            (3, Some(pr), None)
        } else if AS_OF < t5 {
            (4, Some(pr), None)
        } else if AS_OF < t6 {
            (5, Some(pr), None)
        } else {
            (6, Some(pr), Some(t6))
        };
        self.next_case += 1;
        let worker = leaf.first_worker + self.rng.below(leaf.workers.max(1));
        CasePlan {
            id: self.next_case,
            opened,
            referral,
            priority,
            status,
            closed,
            worker,
            t1,
            t2,
            t3,
            t4,
            t6,
        }
    }

    fn write_case(
        &mut self,
        person: u64,
        c: &CasePlan,
        g: u16,
        age: i32,
        female: bool,
        leaf: &Leaf,
    ) -> io::Result<()> {
        const PRIORITY: [&str; 3] = ["critical", "support", "none"];
        const STATUS: [&str; 7] = [
            "referred",
            "initial_assessment",
            "holistic_assessment",
            "support_plan",
            "active",
            "monitoring",
            "closed",
        ];
        self.st.status[c.status] += 1;
        self.st.referral[c.referral] += 1;
        if let Some(p) = c.priority {
            self.st.priority[p] += 1;
        }
        let o = &mut self.cases;
        o.id(b"C", c.id)?;
        o.comma()?;
        o.id(b"P", person)?;
        o.comma()?;
        o.raw(leaf.code.as_bytes())?;
        o.comma()?;
        o.date(c.opened)?;
        o.comma()?;
        o.raw(REFERRAL[c.referral].as_bytes())?;
        o.comma()?;
        if let Some(p) = c.priority {
            o.raw(PRIORITY[p].as_bytes())?;
        }
        o.comma()?;
        o.raw(STATUS[c.status].as_bytes())?;
        o.comma()?;
        if let Some(d) = c.closed {
            o.date(d)?;
        }
        o.comma()?;
        o.raw(b"W")?;
        o.padded(c.worker, 5)?;
        o.end_row()?;
        if matches!(c.priority, Some(0) | Some(1)) {
            self.write_episodes(person, c, g, age, female, leaf)?;
        }
        Ok(())
    }

    /// 1-4 service episodes for a case triaged critical or support.
    fn write_episodes(
        &mut self,
        person: u64,
        c: &CasePlan,
        g: u16,
        age: i32,
        female: bool,
        leaf: &Leaf,
    ) -> io::Result<()> {
        let critical = c.priority == Some(0);
        let r = &mut self.rng;
        // (service, start, natural end or None for open-ended)
        let mut eps: Vec<(usize, i32, Option<i32>)> = Vec::with_capacity(6);
        if c.referral == R_HOTLINE && r.chance(0.5) {
            eps.push((HOTLINE, c.opened, Some(c.opened + r.range(0, 2))));
        }
        let sw = r.chance(0.92);
        if sw {
            let start = if critical { c.t1 } else { c.t2 };
            eps.push((
                ETRAP_SW,
                start,
                if c.t6 == i32::MAX { None } else { Some(c.t6) },
            ));
        }
        // Specialized services matched to the person's groups (or age when there is none).
        let mut cands: Vec<usize> = Vec::with_capacity(8);
        let has = |m: u16| g & m != 0;
        if has(ADULT_DISABILITY) {
            cands.push(0);
        }
        if has(OLDER_ALONE) {
            cands.push(1);
        }
        if has(CHRONIC_ILLNESS) {
            cands.push(2);
        }
        if has(FAMILY_DIFFICULT | CHILD_AT_RISK_SEPARATION | LARGE_FAMILY) {
            cands.push(3);
        }
        if has(CHILD_DISABILITY) {
            cands.push(if age <= 17 && r.chance(0.5) { 4 } else { 3 });
        }
        if has(INFANT_IN_CARE | CHILD_NO_PARENTAL_CARE) {
            cands.push(5);
        }
        if has(CARE_LEAVER) {
            cands.push(6);
        }
        if has(YOUTH_AT_RISK) {
            cands.push(7);
        }
        if has(FAMILY_SUBSTANCE_USE) {
            cands.push(8);
        }
        if has(WOMAN_GBV) {
            cands.push(9);
            if critical {
                cands.push(10);
            }
        }
        if has(WOMAN_UNINTENDED_PREGNANCY) {
            cands.push(11);
        }
        if cands.is_empty() {
            if age < 18 {
                cands.push(3);
            } else if age >= 60 {
                cands.push(if r.chance(0.5) { 1 } else { 2 });
            } else if female && r.chance(0.3) {
                cands.push(3);
            }
        }
        let want = if !sw || r.chance(0.55) {
            1
        } else if r.chance(0.4) {
            2
        } else {
            0
        };
        for k in 0..want.min(cands.len()) {
            let pick = if k == 0 {
                r.below(cands.len() as u64) as usize
            } else {
                (k + 1) % cands.len()
            };
            let s = cands[pick];
            if eps.iter().any(|e| e.0 == s) {
                continue;
            }
            let start = if s == 10 {
                c.opened + r.range(0, 2) // crisis shelter at once
            } else if critical {
                c.t2 + r.range(0, 7)
            } else {
                c.t4 + r.range(0, 20)
            };
            let len = match s {
                0..=2 => {
                    if r.chance(0.5) {
                        None
                    } else {
                        Some(r.range(90, 540))
                    }
                }
                4 => Some(r.range(120, 365)),
                10 => Some(r.range(7, 90)),
                _ => Some(r.range(45, 270)),
            };
            eps.push((s, start, len.map(|l| start + l)));
        }
        // A referral to a universal service.
        if r.chance(0.4) {
            let u = if age < 18 {
                r.pick(&[5, 1, 3, 0, 3])
            } else if age >= 60 {
                r.pick(&[0, 2, 4, 0, 5])
            } else {
                r.pick(&[1, 2, 4, 5, 3])
            };
            let start = c.t3 + r.range(0, 30);
            eps.push((U_FIRST + u, start, Some(start + r.range(1, 120))));
        }
        if (c.referral == R_COURT || c.referral == R_MLSP) && r.chance(0.15) {
            let start = c.t2 + r.range(0, 30);
            let end = if r.chance(0.3) {
                None
            } else {
                Some(start + r.range(90, 720))
            };
            eps.push((RES_CARE, start, end));
        }
        eps.truncate(4);
        if eps.is_empty() {
            let start = if critical { c.t1 } else { c.t2 };
            eps.push((
                ETRAP_SW,
                start,
                if c.t6 == i32::MAX { None } else { Some(c.t6) },
            ));
        }

        let mut user_2025 = false;
        let mut written = 0;
        for (k, &(s, start, natural_end)) in eps.iter().enumerate() {
            // Clip to the case: never before it was opened, never after it was closed or after AS_OF.
            let start = start.max(c.opened);
            let limit = c.closed.unwrap_or(AS_OF);
            let start = if start > limit {
                if written == 0 && k + 1 == eps.len() {
                    limit // keep at least one episode
                } else {
                    continue;
                }
            } else {
                start
            };
            let end = match (natural_end, c.closed) {
                (Some(e), Some(cl)) => Some(e.min(cl)),
                (None, Some(cl)) => Some(cl),
                (Some(e), None) if e <= AS_OF => Some(e),
                _ => None,
            };
            let end = end.map(|e| e.max(start));
            let days = end.unwrap_or(AS_OF) - start + 1;
            let units = match s {
                ETRAP_SW => days / 10 + r.range(1, 6),
                0..=2 => days / 3 + r.range(1, 10),
                4 => days * 5 / 7,
                10 | RES_CARE => days,
                3 | 5..=9 | 11 => days / 7 + r.range(1, 4),
                HOTLINE => r.range(1, 3),
                _ => r.range(1, 5),
            }
            .clamp(1, 200);
            let provider = match s {
                ETRAP_SW => 1 + leaf.velayat as u64 % 6,
                HOTLINE => 12,
                RES_CARE => 13 + leaf.velayat as u64 % 6,
                s if s >= U_FIRST => 7 + (s - U_FIRST) as u64,
                s => 19 + (leaf.velayat as u64 * 5 + s as u64 * 7 + r.below(2)) % 30,
            };
            if s <= ETRAP_SW && start <= AS_OF && end.is_none_or(|e| e >= Y2025_START) {
                user_2025 = true;
            }
            self.st.episodes_by_service[s] += 1;
            self.next_episode += 1;
            let o = &mut self.episodes;
            o.id(b"E", self.next_episode)?;
            o.comma()?;
            o.id(b"C", c.id)?;
            o.comma()?;
            o.id(b"P", person)?;
            o.comma()?;
            o.raw(SERVICE[s].as_bytes())?;
            o.comma()?;
            o.raw(b"PR")?;
            o.padded(provider, 4)?;
            o.comma()?;
            o.date(start)?;
            o.comma()?;
            if let Some(e) = end {
                o.date(e)?;
            }
            o.comma()?;
            o.num(units as u64)?;
            o.end_row()?;
            written += 1;
        }
        self.st.users_2025 += user_2025 as u64;
        Ok(())
    }
}

struct CasePlan {
    id: u64,
    opened: i32,
    referral: usize,
    /// 0 critical, 1 support, 2 none; None while not assessed.
    priority: Option<usize>,
    status: usize,
    closed: Option<i32>,
    worker: u64,
    t1: i32,
    t2: i32,
    t3: i32,
    t4: i32,
    /// Closure after monitoring; i32::MAX for a long-term case that stays open.
    t6: i32,
}

// ---------------------------------------------------------------------------------------------
// Command line.

const USAGE: &str = "usage: goldaw-datagen --out DIR [--persons N] [--seed S] [--admin-units PATH]

Writes DIR/households.csv, persons.csv, cases.csv and service_episodes.csv (shared/design/INTERCHANGE.md).
  --out DIR            output directory (created if missing; files in it are overwritten)
  --persons N          number of persons (default 7057841, the 2022 census); 8-digit ids cap it at 99999999
  --seed S             random seed (default 1); the same seed and N give the same bytes
  --admin-units PATH   admin units file (default reference/admin_units.csv in the current directory)";

struct Args {
    out: PathBuf,
    persons: u64,
    seed: u64,
    admin_units: PathBuf,
}

fn parse_number(flag: &str, v: &str) -> Result<u64, String> {
    let clean: String = v.chars().filter(|&c| c != '_' && c != ',').collect();
    clean
        .parse::<u64>()
        .map_err(|_| format!("{flag}: not a whole number: {v:?}"))
}

fn parse_args() -> Result<Option<Args>, String> {
    let mut out = None;
    let mut persons = CENSUS_2022;
    let mut seed = 1;
    let mut admin_units = PathBuf::from("reference/admin_units.csv");
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (a.clone(), None),
        };
        if flag == "-h" || flag == "--help" {
            return Ok(None);
        }
        let mut value = || {
            inline
                .clone()
                .or_else(|| it.next())
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--out" => out = Some(PathBuf::from(value()?)),
            "--persons" => persons = parse_number(&flag, &value()?)?,
            "--seed" => seed = parse_number(&flag, &value()?)?,
            "--admin-units" => admin_units = PathBuf::from(value()?),
            _ => return Err(format!("unknown argument {a:?}")),
        }
    }
    let out = out.ok_or("--out DIR is required")?;
    if persons > MAX_ID {
        return Err(format!(
            "--persons {persons}: at most {MAX_ID} (ids have 8 digits)"
        ));
    }
    Ok(Some(Args {
        out,
        persons,
        seed,
        admin_units,
    }))
}

fn run(args: Args) -> Result<(), String> {
    let started = Instant::now();
    let mut leaves = load_leaves(&args.admin_units, args.persons)?;
    // Etraps get the urban share that makes the country about half urban (cities are all urban).
    let urban_only: u64 = leaves
        .iter()
        .filter(|l| l.urban_only)
        .map(|l| l.persons)
        .sum();
    let etraps = args.persons - urban_only;
    let etrap_urban = if etraps == 0 {
        0.0
    } else {
        ((args.persons as f64 * 0.5 - urban_only as f64) / etraps as f64).clamp(0.0, 1.0)
    };
    std::fs::create_dir_all(&args.out)
        .map_err(|e| format!("cannot create {}: {e}", args.out.display()))?;
    let io = |e: io::Error| e.to_string();
    let mut g = Gen {
        rng: Rng::new(args.seed),
        households: Out::create(&args.out, "households.csv", "household_id,admin_unit,settlement,address").map_err(io)?,
        persons: Out::create(
            &args.out,
            "persons.csv",
            "person_id,household_id,given_name,family_name,sex,birth_date,admin_unit,settlement,receives_benefits,\
             wg_seeing,wg_hearing,wg_walking,wg_cognition,wg_selfcare,wg_communication,target_groups",
        )
        .map_err(io)?,
        cases: Out::create(
            &args.out,
            "cases.csv",
            "case_id,person_id,admin_unit,opened_on,referral_source,priority,status,closed_on,worker_id",
        )
        .map_err(io)?,
        episodes: Out::create(
            &args.out,
            "service_episodes.csv",
            "episode_id,case_id,person_id,service_code,provider_id,started_on,ended_on,units",
        )
        .map_err(io)?,
        next_household: 0,
        next_person: 0,
        next_case: 0,
        next_episode: 0,
        etrap_urban,
        st: Stats::default(),
    };
    for leaf in &mut leaves {
        g.generate(leaf).map_err(io)?;
    }
    let st = std::mem::take(&mut g.st);
    let workers = leaves.iter().map(|l| l.workers).sum::<u64>();
    let files = [
        ("households.csv", g.households.finish().map_err(io)?),
        ("persons.csv", g.persons.finish().map_err(io)?),
        ("cases.csv", g.cases.finish().map_err(io)?),
        ("service_episodes.csv", g.episodes.finish().map_err(io)?),
    ];
    let secs = started.elapsed().as_secs_f64();
    let n = args.persons.max(1) as f64;
    let pct = |x: u64, of: f64| 100.0 * x as f64 / of.max(1.0);
    eprintln!(
        "goldaw-datagen: seed {}, {} persons in {} leaf units -> {}",
        args.seed,
        args.persons,
        leaves.len(),
        args.out.display()
    );
    for (name, (rows, bytes)) in &files {
        eprintln!(
            "  {name:<22} {rows:>10} rows {:>10.1} MB",
            *bytes as f64 / 1e6
        );
    }
    let cases = files[2].1 .0;
    let assessed: u64 = st.priority.iter().sum();
    eprintln!(
        "  persons: F {:.1}%, under 18 {:.1}%, 60+ {:.1}%, urban {:.1}%, alone without household_id {:.1}%, \
         benefits {:.1}%, disability among adults {:.2}%, some target group {:.1}%",
        pct(st.female, n),
        pct(st.under18, n),
        pct(st.over60, n),
        pct(st.urban, n),
        pct(st.alone, n),
        pct(st.benefits, n),
        pct(st.adults_disabled, st.adults as f64),
        pct(st.with_groups, n),
    );
    eprintln!(
        "  households: mean size {:.2}; cases: {:.2}% of persons, {} workers ({:.0} cases each); \
         priority of assessed: critical {:.1}%, support {:.1}%, none {:.1}%",
        (args.persons - st.alone) as f64 / st.households.max(1) as f64,
        pct(cases, n),
        workers,
        cases as f64 / workers.max(1) as f64,
        pct(st.priority[0], assessed as f64),
        pct(st.priority[1], assessed as f64),
        pct(st.priority[2], assessed as f64),
    );
    eprintln!(
        "  status: referred {} initial_assessment {} holistic_assessment {} support_plan {} active {} monitoring {} closed {}",
        st.status[0], st.status[1], st.status[2], st.status[3], st.status[4], st.status[5], st.status[6]
    );
    let by_service: Vec<String> = SERVICE
        .iter()
        .zip(st.episodes_by_service)
        .filter(|(_, c)| *c > 0)
        .map(|(s, c)| format!("{s} {c}"))
        .collect();
    eprintln!("  episodes: {}", by_service.join(", "));
    eprintln!(
        "  service users 2025 (distinct persons with an S01..S12/ETRAP_SW episode overlapping 2025): {} \
         (aim: about {:.0} for this N)",
        st.users_2025,
        15_000.0 * args.persons as f64 / CENSUS_2022 as f64
    );
    eprintln!("  done in {secs:.1} s");
    Ok(())
}

fn main() -> ExitCode {
    match parse_args() {
        Ok(None) => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Ok(Some(args)) => match run(args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("goldaw-datagen: {e}");
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("goldaw-datagen: {e}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}
