//! Planning models (workforce, costing, gaps): pure functions over plain data.
//!
//! - [`workforce`]: how many social workers the country needs (the requirement calculator).
//! - [`projection`]: how many it will have, year by year (stock and flow from a TOML scenario).
//! - [`costing`]: what services cost (unit costs from a TOML cost model) and the budget to reach a coverage target.
//! - [`gaps`]: need against supply per etrap and service, and a costed draft service development plan.
//! - [`optimise`]: where to open places under a budget so that the most need is met.
//!
//! The workforce models reproduce the seeds' tables exactly (`shared/seeds/002_596a45bacafcab1f.txt`) and
//! document how the seeds rounded, so a planner can see why a figure is what it is. The seeds give no money
//! figures: every amount in the shipped cost model is composed, and says so (`reference/costing.toml`).

pub mod costing;
pub mod gaps;
pub mod optimise;
pub mod projection;
pub mod workforce;
