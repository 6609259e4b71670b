//! Planning models (workforce, costing, gaps): pure functions over plain data.
//!
//! - [`workforce`]: how many social workers the country needs (the requirement calculator).
//! - [`projection`]: how many it will have, year by year (stock and flow from a TOML scenario).
//!
//! Both reproduce the seeds' tables exactly (`shared/seeds/002_596a45bacafcab1f.txt`) and document
//! how the seeds rounded, so a planner can see why a figure is what it is.

pub mod projection;
pub mod workforce;
