//! The social workforce register (issue #22): the rules, once, pure.
//!
//! - the codes of a staff record, a post, a course, a supervision session and a career step;
//! - who may read and change a staff record ([`staff_rights`]): the ministry everyone in its scope, a
//!   supervisor her etrap's staff (her team), a social worker her own record (and its training);
//! - supervision against its norm per month ([`supervision_due`]), continuing professional development
//!   against the ministry's norm of hours a year ([`cpd_standing`]), certification in force
//!   ([`certified_on`]);
//! - full-time equivalents ([`fte`]) and the caseload norm scaled by them ([`scaled_norm`]);
//! - the projection from the register: the actual stock and the observed leaving rate as a
//!   [`crate::planning::projection::Scenario`] ([`scenario_from_register`]); the stock-and-flow
//!   arithmetic itself is `planning::projection::project`, not restated here.

use crate::access::{Actor, Principal};
use crate::codes::{code_enum, Role};
use crate::ids::AdminUnitCode;
use crate::planning::projection::Scenario;
use crate::ParseError;
use chrono::{Datelike, NaiveDate, TimeDelta};
use std::collections::BTreeMap;
use uuid::Uuid;

code_enum!(
    /// The position a member of staff holds (the career path is social worker → senior social
    /// worker → supervisor; the others are outside it).
    Position, "position" {
        SocialWorker = "social_worker",
        SeniorSocialWorker = "senior_social_worker",
        Supervisor = "supervisor",
        /// A specialist of a service (psychologist, teacher of a day care centre, ...).
        Specialist = "specialist",
        /// A juvenile-affairs inspector (Ministry of Internal Affairs).
        JuvenileInspector = "juvenile_inspector",
    }
);

impl Position {
    /// The step on the career path, if the position is on it.
    pub fn career_step(self) -> Option<u8> {
        match self {
            Position::SocialWorker => Some(0),
            Position::SeniorSocialWorker => Some(1),
            Position::Supervisor => Some(2),
            Position::Specialist | Position::JuvenileInspector => None,
        }
    }

    /// Counted in the stock of social workers the plan projects (the etrap social work line).
    pub fn is_social_work(self) -> bool {
        self.career_step().is_some()
    }
}

code_enum!(Employment, "employment type" { FullTime = "full_time", PartTime = "part_time" });

code_enum!(
    /// Who employs the member of staff.
    OrgKind, "organisation kind" { State = "state", Ngo = "ngo" }
);

code_enum!(
    /// Why someone left (no record is deleted: leaving is an end date and one of these).
    LeavingReason, "leaving reason" {
        Resigned = "resigned",
        Retired = "retired",
        ContractEnded = "contract_ended",
        Dismissed = "dismissed",
        Moved = "moved",
        Died = "died",
        Other = "other",
    }
);

code_enum!(
    /// A person's part in a course.
    Attendance, "attendance" {
        Enrolled = "enrolled",
        Completed = "completed",
        NotCompleted = "not_completed",
    }
);

code_enum!(SupervisionForm, "supervision form" { OneToOne = "one_to_one", Group = "group" });

/// The ministry's default norm of continuing professional development, hours a year, until it sets
/// its own (a setting). Composed: the seeds give no figure.
pub const DEFAULT_CPD_HOURS: u32 = 40;

/// The default norm of supervision sessions a month per worker, until the ministry sets its own.
/// Composed: the seeds say supervision is part of practice, not how often.
pub const DEFAULT_SUPERVISIONS_PER_MONTH: u32 = 1;

/// The caseload norm per full-time worker (DOMAIN.md: 25 intensive + 25 monitored at a time).
pub const CASELOAD_NORM: u32 = 25 + 25;

/// What a reader may do with one staff record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StaffRights {
    /// See the record (identity, employment, training, supervision, career).
    pub read: bool,
    /// Change it: employment, leaving, promotion, posts.
    pub change: bool,
    /// Record its training, certification and CPD (the worker herself, her supervisor, the ministry).
    pub record_training: bool,
    /// Record a supervision session with it (supervisors).
    pub supervise: bool,
}

/// The staff record as the rules need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffFacts<'a> {
    pub admin_unit: &'a AdminUnitCode,
    /// The user account linked to the record, if any.
    pub user_id: Option<Uuid>,
}

/// Who may read and change a staff record (docs/workforce.md, "Who may do what"). Staff personal
/// data is personal data: outside these, the record is not found.
///
/// - the operator (the CLI): everything;
/// - the ministry: read and change every record in its scope; it does not supervise;
/// - a supervisor: her team, the staff of her scope: read, change, record training, supervise;
/// - a social worker: her own record (linked to her account): read it and record its training;
/// - everyone else (planners, admins, the hotline, providers): no staff record; planners see the
///   register's counts on the plan.
pub fn staff_rights(reader: &Principal, staff: &StaffFacts<'_>) -> StaffRights {
    if reader.actor_kind() == Actor::Operator {
        return StaffRights {
            read: true,
            change: true,
            record_training: true,
            supervise: true,
        };
    }
    if reader.actor_kind() != Actor::User {
        return StaffRights::default();
    }
    let in_scope = reader.can_see_unit(staff.admin_unit);
    match reader.role {
        Some(Role::Ministry) if in_scope => StaffRights {
            read: true,
            change: true,
            record_training: true,
            supervise: false,
        },
        Some(Role::Supervisor) if in_scope => StaffRights {
            read: true,
            change: true,
            record_training: true,
            supervise: true,
        },
        Some(Role::SocialWorker)
            if in_scope && staff.user_id.is_some() && staff.user_id == reader.user_id =>
        {
            StaffRights {
                read: true,
                change: false,
                record_training: true,
                supervise: false,
            }
        }
        _ => StaffRights::default(),
    }
}

/// Which staff records a reader's lists hold: everyone in the scope, or only her own record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StaffSight {
    /// Every record in the unit (and below).
    Unit(AdminUnitCode),
    /// Only the record linked to this account.
    Own(Uuid),
    /// None.
    Nothing,
}

/// The lists' form of [`staff_rights`]: the same answer for every record of the list.
pub fn staff_sight(reader: &Principal) -> StaffSight {
    if reader.actor_kind() == Actor::Operator {
        return StaffSight::Unit(crate::access::nation());
    }
    if reader.actor_kind() != Actor::User {
        return StaffSight::Nothing;
    }
    match (reader.role, reader.unit_scope(), reader.user_id) {
        (Some(Role::Ministry | Role::Supervisor), Some(unit), _) => StaffSight::Unit(unit.clone()),
        (Some(Role::SocialWorker), Some(_), Some(id)) => StaffSight::Own(id),
        _ => StaffSight::Nothing,
    }
}

/// Who may keep the establishment (funded posts) and the course catalogue: the ministry (and the
/// operator). Supervisors fill the posts of their scope with their staff.
pub fn may_keep_establishment(reader: &Principal) -> bool {
    reader.actor_kind() == Actor::Operator
        || (reader.actor_kind() == Actor::User && reader.role == Some(Role::Ministry))
}

/// Who may add courses: the ministry and supervisors (a supervisor records the training her team
/// attended).
pub fn may_add_courses(reader: &Principal) -> bool {
    may_keep_establishment(reader)
        || (reader.actor_kind() == Actor::User && reader.role == Some(Role::Supervisor))
}

/// Who may record supervision sessions: supervisors (with workers of their scope) and the operator.
pub fn may_supervise(reader: &Principal) -> bool {
    reader.actor_kind() == Actor::Operator
        || (reader.actor_kind() == Actor::User && reader.role == Some(Role::Supervisor))
}

/// Who has supervision tasks: supervisors (their team) and the ministry (everyone in its scope).
pub fn may_see_supervision_tasks(reader: &Principal) -> bool {
    may_supervise(reader)
        || (reader.actor_kind() == Actor::User && reader.role == Some(Role::Ministry))
}

/// Who may set the ministry's norms (CPD hours a year, supervisions a month).
pub fn may_set_norms(reader: &Principal) -> bool {
    may_keep_establishment(reader)
}

/// A fraction of full time as a percentage (1 to 100): full time is 100, part time less.
pub fn check_fte(employment: Employment, percent: u32) -> Result<(), FteProblem> {
    match employment {
        Employment::FullTime if percent == 100 => Ok(()),
        Employment::FullTime => Err(FteProblem::FullTimeNot100),
        Employment::PartTime if (1..100).contains(&percent) => Ok(()),
        Employment::PartTime => Err(FteProblem::PartTimeRange),
    }
}

/// Why a share of full time is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FteProblem {
    FullTimeNot100,
    PartTimeRange,
}

impl FteProblem {
    /// The translation key (`workforce.ftl`).
    pub fn key(self) -> &'static str {
        match self {
            FteProblem::FullTimeNot100 => "store-workforce-fte-full",
            FteProblem::PartTimeRange => "store-workforce-fte-part",
        }
    }
}

/// Full-time equivalents of a set of shares in percent (100 + 50 = 1.5).
pub fn fte(percents: impl IntoIterator<Item = u32>) -> f64 {
    percents.into_iter().map(f64::from).sum::<f64>() / 100.0
}

/// A norm for someone working `percent` of full time, rounded half up (25 at 50% is 13).
pub fn scaled_norm(norm: u32, percent: u32) -> u32 {
    (norm * percent + 50) / 100
}

/// Open cases per full-time equivalent against [`CASELOAD_NORM`]; `None` without staff.
pub fn caseload_per_fte(open_cases: u64, fte: f64) -> Option<f64> {
    (fte > 0.0).then(|| open_cases as f64 / fte)
}

/// Days between supervision sessions for a norm of `per_month` sessions a month (30 days a month,
/// rounded down so the norm is met: 1 → 30, 2 → 15, 4 → 7); `None` when the norm is 0 (none set).
pub fn supervision_interval_days(per_month: u32) -> Option<i64> {
    (per_month > 0).then(|| (30 / i64::from(per_month)).max(1))
}

/// When a worker's next supervision is due: the interval of the norm after her last session, or
/// after her first day when she has had none. `None` when the norm is 0.
pub fn supervision_due(
    last_session: Option<NaiveDate>,
    hired_on: NaiveDate,
    per_month: u32,
) -> Option<NaiveDate> {
    let days = supervision_interval_days(per_month)?;
    let from = last_session.map_or(hired_on, |d| d.max(hired_on));
    from.checked_add_signed(TimeDelta::days(days))
}

/// Whether the supervision due on `due` is overdue on `today` (due today is not yet overdue).
pub fn supervision_overdue(due: Option<NaiveDate>, today: NaiveDate) -> bool {
    due.is_some_and(|d| today > d)
}

/// A year's continuing professional development against the norm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct CpdStanding {
    pub year: i32,
    /// Hours of courses completed in the year.
    pub hours: u32,
    /// The ministry's norm of hours a year.
    pub norm: u32,
    /// Hours still to do (0 when met).
    pub short_by: u32,
    pub met: bool,
}

pub fn cpd_standing(year: i32, hours: u32, norm: u32) -> CpdStanding {
    CpdStanding {
        year,
        hours,
        norm,
        short_by: norm.saturating_sub(hours),
        met: hours >= norm,
    }
}

/// Whether a certification given on `given` and expiring on `expires` (none: no expiry) is in force
/// on `day`: given by then, and not expired (valid through its expiry day).
pub fn certified_on(given: NaiveDate, expires: Option<NaiveDate>, day: NaiveDate) -> bool {
    given <= day && expires.is_none_or(|e| day <= e)
}

/// Whether someone employed from `hired` to `left` (none: still employed) is in post on `day`
/// (her last day is `left`; from the day after she is not).
pub fn in_post_on(hired: NaiveDate, left: Option<NaiveDate>, day: NaiveDate) -> bool {
    hired <= day && left.is_none_or(|l| day <= l)
}

/// A promotion must move up the career path (social worker → senior social worker → supervisor),
/// one or more steps; other positions have no path.
pub fn promotion_allowed(from: Position, to: Position) -> bool {
    matches!((from.career_step(), to.career_step()), (Some(a), Some(b)) if b > a)
}

/// The stock the register shows for one calendar year: in post at its start, left during it, in
/// post at its end (counted as headcount or full-time equivalents, as the caller chose).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct ObservedYear {
    pub year: i32,
    /// In post on 1 January (hired before the year, not left before it).
    pub stock_start: f64,
    /// Of those, left during the year.
    pub leavers: f64,
    /// In post on 31 December.
    pub stock_end: f64,
}

impl ObservedYear {
    /// The observed leaving rate: leavers ÷ stock at the start; `None` without a stock.
    pub fn leaving_rate(&self) -> Option<f64> {
        (self.stock_start > 0.0).then(|| self.leavers / self.stock_start)
    }
}

/// One year of the register from each person's employment dates: `(hired, left)`.
pub fn observe_year(year: i32, people: &[(NaiveDate, Option<NaiveDate>)]) -> Option<ObservedYear> {
    let first = NaiveDate::from_ymd_opt(year, 1, 1)?;
    let last = NaiveDate::from_ymd_opt(year, 12, 31)?;
    let (mut start, mut leavers, mut end) = (0.0, 0.0, 0.0);
    for (hired, left) in people {
        let at_start = in_post_on(*hired, *left, first);
        if at_start {
            start += 1.0;
            if left.is_some_and(|l| l < last) {
                leavers += 1.0;
            }
        }
        if in_post_on(*hired, *left, last) {
            end += 1.0;
        }
    }
    Some(ObservedYear {
        year,
        stock_start: start,
        leavers,
        stock_end: end,
    })
}

/// The seeds' scenario restarted from the register: the stock in post at the end of `observed.year`,
/// the observed leaving rate (or `fallback_attrition` when nobody was in post at the start of the
/// year), and the inflow of `planned` after that year. `planning::projection::project` does the rest.
pub fn scenario_from_register(
    observed: &ObservedYear,
    fallback_attrition: f64,
    planned: &BTreeMap<i32, f64>,
) -> Scenario {
    Scenario {
        start_year: observed.year,
        start_stock: observed.stock_end,
        attrition: observed.leaving_rate().unwrap_or(fallback_attrition),
        inflow: planned
            .iter()
            .filter(|(y, _)| **y > observed.year)
            .map(|(y, v)| (*y, *v))
            .collect(),
    }
}

/// The last complete calendar year before `today`.
pub fn last_complete_year(today: NaiveDate) -> i32 {
    today.year() - 1
}

/// The actual stock of one unit (an etrap, a velayat, the nation) beside the plan.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct UnitStock {
    pub unit: String,
    /// Funded posts (not abolished).
    pub posts: u64,
    pub filled: u64,
    pub vacant: u64,
    /// Staff in post (headcount) and their full-time equivalents.
    pub staff: u64,
    pub fte: f64,
    /// Staff in post who completed at least one course.
    pub trained: u64,
    /// Staff in post with a certification in force today.
    pub certified: u64,
    /// Etrap social workers needed (the requirement calculator per etrap, rounded up); `None` where
    /// the population is unknown.
    pub requirement: Option<u64>,
    /// Open cases of the unit.
    pub open_cases: u64,
    /// Open cases per full-time equivalent of social-work staff in post (the norm is 25 + 25).
    pub caseload_per_fte: Option<f64>,
    /// Full-time equivalents of social-work staff (social workers, seniors, supervisors) in post.
    pub social_work_fte: f64,
}

impl UnitStock {
    /// Adds `other`'s counts (a velayat from its etraps, the nation from its velayats).
    pub fn add(&mut self, other: &UnitStock) {
        self.posts += other.posts;
        self.filled += other.filled;
        self.vacant += other.vacant;
        self.staff += other.staff;
        self.fte += other.fte;
        self.trained += other.trained;
        self.certified += other.certified;
        self.requirement = match (self.requirement, other.requirement) {
            (Some(a), Some(b)) => Some(a + b),
            (a, b) => a.or(b),
        };
        self.open_cases += other.open_cases;
        self.social_work_fte += other.social_work_fte;
        self.caseload_per_fte = caseload_per_fte(self.open_cases, self.social_work_fte);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::planning::projection::project;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn user(role: Role, unit: &str, id: u128) -> Principal {
        Principal::user(
            Uuid::from_u128(id),
            "u",
            role,
            crate::access::Scope::Unit(unit.parse().unwrap()),
            false,
        )
    }

    #[test]
    fn who_may_read_and_change_a_staff_record() {
        let unit: AdminUnitCode = "TM-A-01".parse().unwrap();
        let own = StaffFacts {
            admin_unit: &unit,
            user_id: Some(Uuid::from_u128(7)),
        };
        let worker = user(Role::SocialWorker, "TM-A-01", 7);
        let r = staff_rights(&worker, &own);
        assert!(r.read && r.record_training && !r.change && !r.supervise);
        let other = user(Role::SocialWorker, "TM-A-01", 8);
        assert_eq!(staff_rights(&other, &own), StaffRights::default());
        let sup = user(Role::Supervisor, "TM-A-01", 9);
        assert!(staff_rights(&sup, &own).supervise);
        let far = user(Role::Supervisor, "TM-A-02", 9);
        assert_eq!(staff_rights(&far, &own), StaffRights::default());
        let ministry = user(Role::Ministry, "TM", 10);
        let m = staff_rights(&ministry, &own);
        assert!(m.read && m.change && !m.supervise);
        for role in [Role::Planner, Role::Admin, Role::Hotline, Role::Provider] {
            assert_eq!(
                staff_rights(&user(role, "TM", 11), &own),
                StaffRights::default()
            );
        }
        assert!(staff_rights(&Principal::operator("t"), &own).change);
        assert_eq!(
            staff_rights(&Principal::anonymous("x"), &own),
            StaffRights::default()
        );
        assert_eq!(staff_sight(&worker), StaffSight::Own(Uuid::from_u128(7)));
        assert_eq!(
            staff_sight(&user(Role::Planner, "TM", 1)),
            StaffSight::Nothing
        );
        assert!(may_keep_establishment(&ministry) && !may_keep_establishment(&sup));
        assert!(may_add_courses(&sup) && !may_add_courses(&worker));
    }

    #[test]
    fn full_and_part_time() {
        assert!(check_fte(Employment::FullTime, 100).is_ok());
        assert_eq!(
            check_fte(Employment::FullTime, 50),
            Err(FteProblem::FullTimeNot100)
        );
        assert!(check_fte(Employment::PartTime, 50).is_ok());
        assert!(check_fte(Employment::PartTime, 100).is_err());
        assert!(check_fte(Employment::PartTime, 0).is_err());
        assert_eq!(fte([100, 50, 50]), 2.0);
        assert_eq!(scaled_norm(25, 50), 13);
        assert_eq!(scaled_norm(25, 100), 25);
        assert_eq!(caseload_per_fte(75, 1.5), Some(50.0));
        assert_eq!(caseload_per_fte(3, 0.0), None);
    }

    #[test]
    fn supervision_falls_due_by_the_norm() {
        assert_eq!(supervision_interval_days(1), Some(30));
        assert_eq!(supervision_interval_days(2), Some(15));
        assert_eq!(supervision_interval_days(0), None);
        let due = supervision_due(Some(d("2026-03-01")), d("2025-01-01"), 1);
        assert_eq!(due, Some(d("2026-03-31")));
        assert!(!supervision_overdue(due, d("2026-03-31")));
        assert!(supervision_overdue(due, d("2026-04-01")));
        // Never supervised: due a month after her first day.
        assert_eq!(
            supervision_due(None, d("2026-01-10"), 1),
            Some(d("2026-02-09"))
        );
        assert!(!supervision_overdue(None, d("2030-01-01")));
    }

    #[test]
    fn cpd_and_certification() {
        let s = cpd_standing(2026, 32, 40);
        assert_eq!((s.short_by, s.met), (8, false));
        assert!(cpd_standing(2026, 40, 40).met);
        assert!(certified_on(
            d("2025-01-01"),
            Some(d("2026-01-01")),
            d("2026-01-01")
        ));
        assert!(!certified_on(
            d("2025-01-01"),
            Some(d("2026-01-01")),
            d("2026-01-02")
        ));
        assert!(!certified_on(d("2025-01-01"), None, d("2024-12-31")));
        assert!(certified_on(d("2025-01-01"), None, d("2030-12-31")));
    }

    #[test]
    fn the_career_path_goes_up() {
        use Position::*;
        assert!(promotion_allowed(SocialWorker, SeniorSocialWorker));
        assert!(promotion_allowed(SocialWorker, Supervisor));
        assert!(!promotion_allowed(Supervisor, SocialWorker));
        assert!(!promotion_allowed(SocialWorker, SocialWorker));
        assert!(!promotion_allowed(Specialist, Supervisor));
    }

    #[test]
    fn the_projection_starts_from_the_register() {
        // 10 in post on 1 January 2025, 2 of them left in 2025, 3 hired during it: 11 at its end.
        let mut people = vec![(d("2020-01-01"), None); 8];
        people.push((d("2020-01-01"), Some(d("2025-03-31"))));
        people.push((d("2024-12-31"), Some(d("2025-10-01"))));
        people.extend([(d("2025-02-01"), None); 3]);
        // Left before the year and hired after it: not counted.
        people.push((d("2019-01-01"), Some(d("2024-12-31"))));
        people.push((d("2026-01-01"), None));
        let o = observe_year(2025, &people).unwrap();
        assert_eq!((o.stock_start, o.leavers, o.stock_end), (10.0, 2.0, 11.0));
        assert_eq!(o.leaving_rate(), Some(0.2));
        let planned = BTreeMap::from([(2025, 99.0), (2026, 5.0), (2027, 5.0)]);
        let s = scenario_from_register(&o, 0.5, &planned);
        assert_eq!(s.start_year, 2025);
        assert_eq!(
            s.inflow.len(),
            2,
            "inflow of the observed year is in the stock"
        );
        let rows = project(&s, 2027).unwrap();
        // By hand: 11 − 0.2 × 11 + 5 = 13.8; 13.8 − 2.76 + 5 = 16.04.
        assert!((rows[1].stock - 13.8).abs() < 1e-9);
        assert!((rows[2].stock - 16.04).abs() < 1e-9);
        let empty = observe_year(2025, &[]).unwrap();
        assert_eq!(scenario_from_register(&empty, 0.2, &planned).attrition, 0.2);
    }

    #[test]
    fn unit_stocks_add_up() {
        let mut v = UnitStock::default();
        let a = UnitStock {
            posts: 3,
            filled: 2,
            vacant: 1,
            requirement: Some(4),
            open_cases: 60,
            social_work_fte: 1.5,
            ..UnitStock::default()
        };
        let b = UnitStock {
            posts: 1,
            vacant: 1,
            requirement: None,
            open_cases: 15,
            social_work_fte: 1.0,
            ..UnitStock::default()
        };
        v.add(&a);
        v.add(&b);
        assert_eq!((v.posts, v.filled, v.vacant), (4, 2, 2));
        assert_eq!(v.requirement, Some(4));
        assert_eq!(v.caseload_per_fte, Some(30.0));
    }
}
