//! leadroute routes inbound sales leads to the reps most likely to win them.
//!
//! Data flows one way: CSV exports are read and validated (`io`, `data`), eligibility rules
//! are compiled into classes of leads (`eligibility`), a policy turns the batch into a plan
//! (`assign`), an independent checker re-verifies the plan, and the plan is written
//! atomically (`output`). `generate` makes synthetic worlds with a known truth for tests and
//! benchmarks.
//!
//! Lead scores come from a gradient-boosted model (`features` → `model`, trees fitted with
//! smartcore) trained on won/lost history; `scoring` turns them into ranks, tiers and
//! signed top factors.
//!
//! `skill` learns each rep's effect by segment, controlled for lead quality; the optimizer
//! (`assign::optimize`) routes the whole batch on p_win = sigmoid(score log-odds + effect);
//! `report` and `html` explain the plan; `backtest` replays a policy on held-out history
//! and holds it to quality gates.

pub mod assign;
pub mod backtest;
pub mod batch;
pub mod cmd;
pub mod config;
pub mod data;
pub mod eligibility;
pub mod error;
pub mod explain;
pub mod features;
pub mod fmt;
pub mod generate;
pub mod html;
pub mod io;
pub mod model;
pub mod modelfile;
pub mod output;
pub mod outputs;
pub mod progress;
pub mod report;
pub mod scoring;
pub mod skill;
pub mod truth;
pub mod whatif;
