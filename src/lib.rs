//! leadroute routes inbound sales leads to the reps most likely to win them.
//!
//! Data flows one way: CSV exports are read and validated (`io`, `config`, `data`, `batch`),
//! eligibility rules are compiled into classes of leads (`eligibility`), leads are scored by
//! a gradient-boosted model (`features` → `model`, trees fitted with smartcore; `scoring`
//! turns scores into ranks, tiers and signed top factors), rep skill is learned by segment,
//! controlled for lead quality (`skill`), a policy turns the batch into a plan (`assign`;
//! the optimizer routes on p_win = sigmoid(score log-odds + rep effect)), an independent
//! checker re-verifies the plan, and the plan is explained (`explain`, `whatif`, `report`,
//! `html`) and written atomically (`output`, `outputs`). `backtest` replays a policy on
//! held-out history and holds it to quality gates; `cmd` holds one file per command.
//! `generate` makes synthetic worlds with a known truth (`truth`) for tests and benchmarks.
//!
//! ARCHITECTURE.md lists the modules in dependency order; a test holds the code to it.

pub mod assign;
pub mod backtest;
pub mod batch;
pub mod calendar;
pub mod cmd;
pub mod config;
pub mod data;
pub mod eligibility;
pub mod error;
pub mod explain;
pub mod features;
pub mod fmt;
pub mod generate;
pub mod guess;
pub mod html;
pub mod io;
pub mod join;
pub mod model;
pub mod modelfile;
pub mod output;
pub mod outputs;
pub mod parse;
pub mod progress;
pub mod report;
pub mod scoring;
pub mod skill;
pub mod stream;
pub mod timing;
#[cfg(any(test, feature = "testing"))]
pub mod truth;
pub mod whatif;
