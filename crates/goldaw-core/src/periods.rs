//! Calendar periods of the statistics outputs (issue #5): a year, a quarter or a month, written
//! the way DHIS2 writes them (`2025`, `2025Q1`, `202501`), and the buckets a period is cut into
//! for a chart over time (its months or its quarters).

use crate::statistics::Period;
use crate::ParseError;
use chrono::{Datelike, NaiveDate};
use std::fmt;
use std::str::FromStr;

/// The earliest and latest years a calendar period may name: wide enough for any record, narrow
/// enough that a typo (`20255`) is refused rather than read as the year 20255.
const YEARS: std::ops::RangeInclusive<i32> = 1900..=2200;

/// A calendar year, quarter or month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CalendarPeriod {
    Year(i32),
    /// Quarter 1 to 4.
    Quarter(i32, u32),
    /// Month 1 to 12.
    Month(i32, u32),
}

impl CalendarPeriod {
    /// The first and last day, both included. (Fields out of range, possible only when built by
    /// hand, are clamped: a quarter to 1..=4, a month to 1..=12, a year to 1900..=2200.)
    pub fn period(&self) -> Period {
        let y = |y: i32| y.clamp(*YEARS.start(), *YEARS.end());
        let (first, last_month) = match *self {
            CalendarPeriod::Year(year) => (ymd(y(year), 1), (y(year), 12)),
            CalendarPeriod::Quarter(year, q) => {
                let m = 3 * (q.clamp(1, 4) - 1) + 1;
                (ymd(y(year), m), (y(year), m + 2))
            }
            CalendarPeriod::Month(year, m) => {
                (ymd(y(year), m.clamp(1, 12)), (y(year), m.clamp(1, 12)))
            }
        };
        let after = next_month(last_month.0, last_month.1);
        let last = after.pred_opt().unwrap_or(after);
        Period::new(first, last).expect("a calendar period's first day is before its last")
    }

    /// The year, quarter or month that `day` lies in.
    pub fn year_of(day: NaiveDate) -> CalendarPeriod {
        CalendarPeriod::Year(day.year())
    }

    pub fn quarter_of(day: NaiveDate) -> CalendarPeriod {
        CalendarPeriod::Quarter(day.year(), (day.month() - 1) / 3 + 1)
    }

    pub fn month_of(day: NaiveDate) -> CalendarPeriod {
        CalendarPeriod::Month(day.year(), day.month())
    }

    /// The calendar period that `period` is exactly (its first and last day), if any: the year
    /// first, then the quarter, then the month.
    pub fn exactly(period: &Period) -> Option<CalendarPeriod> {
        let from = period.from();
        [
            CalendarPeriod::year_of(from),
            CalendarPeriod::quarter_of(from),
            CalendarPeriod::month_of(from),
        ]
        .into_iter()
        .find(|c| c.period() == *period)
    }

    /// The same kind of period just before this one (last year, last quarter, last month).
    pub fn previous(&self) -> CalendarPeriod {
        match *self {
            CalendarPeriod::Year(y) => CalendarPeriod::Year(y - 1),
            CalendarPeriod::Quarter(y, 1) => CalendarPeriod::Quarter(y - 1, 4),
            CalendarPeriod::Quarter(y, q) => CalendarPeriod::Quarter(y, q - 1),
            CalendarPeriod::Month(y, 1) => CalendarPeriod::Month(y - 1, 12),
            CalendarPeriod::Month(y, m) => CalendarPeriod::Month(y, m - 1),
        }
    }
}

/// The first day of a month of a checked year (1900..=2201) and month (1..=12).
fn ymd(year: i32, month: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, 1).unwrap_or(NaiveDate::MIN)
}

/// The first day of the month after `month` of `year`.
fn next_month(year: i32, month: u32) -> NaiveDate {
    if month >= 12 {
        ymd(year + 1, 1)
    } else {
        ymd(year, month + 1)
    }
}

impl fmt::Display for CalendarPeriod {
    /// DHIS2's forms: `2025`, `2025Q1`, `202501`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CalendarPeriod::Year(y) => write!(f, "{y}"),
            CalendarPeriod::Quarter(y, q) => write!(f, "{y}Q{q}"),
            CalendarPeriod::Month(y, m) => write!(f, "{y}{m:02}"),
        }
    }
}

impl FromStr for CalendarPeriod {
    type Err = ParseError;

    /// Exactly DHIS2's yearly (`2025`), quarterly (`2025Q1`) and monthly (`202501`) forms;
    /// anything else (weeks, `2025-01`, `2025q1`, `20251`) is refused with the forms to use.
    fn from_str(s: &str) -> Result<Self, ParseError> {
        let refuse = |why: &str| {
            ParseError::new(format!(
                "'{s}' is not a period: {why}; write a year (2025), a quarter (2025Q1) or a month (202501)"
            ))
        };
        let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        let year = |t: &str| -> Result<i32, ParseError> {
            let y: i32 = t.parse().map_err(|_| refuse("the year is not a number"))?;
            if YEARS.contains(&y) {
                Ok(y)
            } else {
                Err(refuse("the year is out of range"))
            }
        };
        match s.as_bytes() {
            [_, _, _, _] if digits(s) => Ok(CalendarPeriod::Year(year(s)?)),
            [_, _, _, _, b'Q', q] if digits(&s[..4]) => match q {
                b'1'..=b'4' => Ok(CalendarPeriod::Quarter(year(&s[..4])?, u32::from(q - b'0'))),
                _ => Err(refuse("a quarter is Q1 to Q4")),
            },
            [_, _, _, _, _, _] if digits(s) => {
                let month: u32 = s[4..].parse().map_err(|_| refuse("bad month"))?;
                if (1..=12).contains(&month) {
                    Ok(CalendarPeriod::Month(year(&s[..4])?, month))
                } else {
                    Err(refuse("a month is 01 to 12"))
                }
            }
            _ => Err(refuse("not a form goldaw exports")),
        }
    }
}

/// How a period is cut for a chart over time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Month,
    Quarter,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Month => "month",
            Step::Quarter => "quarter",
        }
    }

    /// Months for a period of up to 15 months, quarters beyond: a chart of a year shows 12 bars.
    pub fn for_period(period: &Period) -> Step {
        if months_between(period.from(), period.to()) <= 15 {
            Step::Month
        } else {
            Step::Quarter
        }
    }
}

impl FromStr for Step {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        match s {
            "month" => Ok(Step::Month),
            "quarter" => Ok(Step::Quarter),
            other => Err(ParseError::new(format!(
                "'{other}' is not a step: use month or quarter"
            ))),
        }
    }
}

/// Calendar months from the month of `from` to the month of `to`, both counted.
fn months_between(from: NaiveDate, to: NaiveDate) -> i64 {
    i64::from(to.year() - from.year()) * 12 + i64::from(to.month()) - i64::from(from.month()) + 1
}

/// The most buckets a chart over time is cut into: each is one count, and more bars than this
/// would not be read anyway.
pub const MAX_BUCKETS: usize = 40;

/// The months or quarters that `period` touches, each clipped to the period (a period from
/// 15 January has a first bucket from 15 January to 31 January). Refused beyond [`MAX_BUCKETS`].
pub fn buckets(period: &Period, step: Step) -> Result<Vec<(CalendarPeriod, Period)>, ParseError> {
    let first = match step {
        Step::Month => CalendarPeriod::month_of(period.from()),
        Step::Quarter => CalendarPeriod::quarter_of(period.from()),
    };
    let mut out = Vec::new();
    let mut at = first;
    loop {
        let whole = at.period();
        if whole.from() > period.to() {
            break;
        }
        if out.len() == MAX_BUCKETS {
            return Err(ParseError::new(format!(
                "the period {}..{} has more than {MAX_BUCKETS} {}s: choose a longer step or a shorter period",
                period.from(),
                period.to(),
                step.as_str()
            )));
        }
        let from = whole.from().max(period.from());
        let to = whole.to().min(period.to());
        out.push((at, Period::new(from, to)?));
        at = next(at);
    }
    Ok(out)
}

fn next(p: CalendarPeriod) -> CalendarPeriod {
    match p {
        CalendarPeriod::Year(y) => CalendarPeriod::Year(y + 1),
        CalendarPeriod::Quarter(y, 4) => CalendarPeriod::Quarter(y + 1, 1),
        CalendarPeriod::Quarter(y, q) => CalendarPeriod::Quarter(y, q + 1),
        CalendarPeriod::Month(y, 12) => CalendarPeriod::Month(y + 1, 1),
        CalendarPeriod::Month(y, m) => CalendarPeriod::Month(y, m + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn dhis2_forms_parse_and_print_back() {
        for text in ["2025", "2025Q1", "2025Q4", "202501", "202512", "1999Q2"] {
            let p: CalendarPeriod = text.parse().unwrap();
            assert_eq!(p.to_string(), text);
        }
        assert_eq!(
            "2025Q3".parse::<CalendarPeriod>().unwrap(),
            CalendarPeriod::Quarter(2025, 3)
        );
        assert_eq!(
            "202502".parse::<CalendarPeriod>().unwrap(),
            CalendarPeriod::Month(2025, 2)
        );
    }

    #[test]
    fn other_forms_are_refused_with_the_forms_to_use() {
        for bad in [
            "",
            "25",
            "2025Q0",
            "2025Q5",
            "2025q1",
            "202500",
            "202513",
            "2025-01",
            "2025W1",
            "2025W01",
            "20251",
            "2025010",
            "2025S1",
            "2025BiW1",
            "0025",
            "9999",
            " 2025",
            "２０２５",
            "2025Q",
            "2025AprilQ1",
        ] {
            let e = bad.parse::<CalendarPeriod>().unwrap_err().to_string();
            assert!(e.contains("2025Q1") && e.contains("202501"), "{bad}: {e}");
        }
    }

    #[test]
    fn a_period_is_named_only_when_it_is_a_whole_calendar_period() {
        let named = |from: &str, to: &str| {
            CalendarPeriod::exactly(&Period::new(d(from), d(to)).unwrap()).map(|c| c.to_string())
        };
        assert_eq!(named("2025-01-01", "2025-12-31").as_deref(), Some("2025"));
        assert_eq!(named("2025-07-01", "2025-09-30").as_deref(), Some("2025Q3"));
        assert_eq!(named("2025-01-01", "2025-03-31").as_deref(), Some("2025Q1"));
        assert_eq!(named("2024-02-01", "2024-02-29").as_deref(), Some("202402"));
        assert_eq!(named("2025-01-01", "2025-01-31").as_deref(), Some("202501"));
        for (from, to) in [
            ("2025-01-01", "2025-12-30"),
            ("2025-01-02", "2025-12-31"),
            ("2024-02-01", "2024-02-28"),
            ("2025-01-01", "2025-02-28"),
            ("2025-01-15", "2025-01-15"),
            ("2024-01-01", "2025-12-31"),
        ] {
            assert_eq!(named(from, to), None, "{from}..{to}");
        }
    }

    #[test]
    fn periods_cover_their_days() {
        let p = CalendarPeriod::Year(2024).period();
        assert_eq!((p.from(), p.to()), (d("2024-01-01"), d("2024-12-31")));
        let p = CalendarPeriod::Quarter(2025, 1).period();
        assert_eq!((p.from(), p.to()), (d("2025-01-01"), d("2025-03-31")));
        let p = CalendarPeriod::Quarter(2025, 4).period();
        assert_eq!((p.from(), p.to()), (d("2025-10-01"), d("2025-12-31")));
        let p = CalendarPeriod::Month(2024, 2).period();
        assert_eq!((p.from(), p.to()), (d("2024-02-01"), d("2024-02-29")));
        let p = CalendarPeriod::Month(2025, 12).period();
        assert_eq!((p.from(), p.to()), (d("2025-12-01"), d("2025-12-31")));
        assert_eq!(
            CalendarPeriod::quarter_of(d("2025-08-15")),
            CalendarPeriod::Quarter(2025, 3)
        );
        assert_eq!(
            CalendarPeriod::Quarter(2025, 1).previous(),
            CalendarPeriod::Quarter(2024, 4)
        );
        assert_eq!(
            CalendarPeriod::Month(2025, 1).previous(),
            CalendarPeriod::Month(2024, 12)
        );
        assert_eq!(
            CalendarPeriod::Year(2025).previous(),
            CalendarPeriod::Year(2024)
        );
    }

    #[test]
    fn a_period_is_cut_into_clipped_months_or_quarters() {
        let year = Period::new(d("2025-01-01"), d("2025-12-31")).unwrap();
        assert_eq!(Step::for_period(&year), Step::Month);
        let months = buckets(&year, Step::Month).unwrap();
        assert_eq!(months.len(), 12);
        assert_eq!(months[1].0.to_string(), "202502");
        assert_eq!(months[1].1.to(), d("2025-02-28"));
        let quarters = buckets(&year, Step::Quarter).unwrap();
        assert_eq!(
            quarters.iter().map(|q| q.0.to_string()).collect::<Vec<_>>(),
            ["2025Q1", "2025Q2", "2025Q3", "2025Q4"]
        );
        // Clipped at both ends.
        let odd = Period::new(d("2025-01-15"), d("2025-03-10")).unwrap();
        let months = buckets(&odd, Step::Month).unwrap();
        assert_eq!(months.len(), 3);
        assert_eq!(months[0].1.from(), d("2025-01-15"));
        assert_eq!(months[0].1.to(), d("2025-01-31"));
        assert_eq!(months[2].1.from(), d("2025-03-01"));
        assert_eq!(months[2].1.to(), d("2025-03-10"));
        // One day is one bucket.
        let day = Period::new(d("2025-05-05"), d("2025-05-05")).unwrap();
        assert_eq!(buckets(&day, Step::Quarter).unwrap().len(), 1);
        // Three years: quarters by default, and months would be too many.
        let long = Period::new(d("2023-01-01"), d("2025-12-31")).unwrap();
        assert_eq!(Step::for_period(&long), Step::Quarter);
        assert_eq!(buckets(&long, Step::Quarter).unwrap().len(), 12);
        let long = Period::new(d("2020-01-01"), d("2025-12-31")).unwrap();
        let e = buckets(&long, Step::Month).unwrap_err().to_string();
        assert!(e.contains("more than 40 months"), "{e}");
    }
}
