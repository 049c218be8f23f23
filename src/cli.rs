//! Command-line definitions (clap) and their translation into library settings. Only this
//! file and `main.rs` know about flags.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use leadroute::assign::Policy;
use leadroute::assign::optimize::Objective;
use leadroute::backtest::{BacktestSettings, Gates, Split};
use leadroute::cmd::assign::AssignSettings;
use leadroute::cmd::init::InitSettings;
use leadroute::cmd::score::ScoreSettings;
use leadroute::cmd::train::TrainSettings;
use leadroute::error::UsageError;
use leadroute::generate::GenerateSettings;
use leadroute::model::Params;
use leadroute::parse;

#[derive(Debug, Parser)]
#[command(
    name = "leadroute",
    version,
    about = "Route inbound sales leads to the reps most likely to win them.",
    after_help = "Exit codes: 0 ok, 1 input or runtime error, 2 usage error, 3 a quality gate failed.\n\n\
Summaries go to standard output, warnings and progress to standard error.\n\n\
Example:\n  leadroute assign --leads examples/leads.csv --reps examples/reps.csv \\\n      \
--history examples/history.csv --config examples/leadroute.toml --out assignments.csv"
)]
pub struct Cli {
    /// Print nothing but errors (no summary, no warnings, no progress bars).
    #[arg(long, short, global = true, help_heading = "Global options")]
    pub quiet: bool,

    /// Print a one-line timing summary per stage.
    #[arg(long, short, global = true, conflicts_with = "quiet", help_heading = "Global options")]
    pub verbose: bool,

    /// Worker threads (default: one per core). Outputs are identical at any thread count.
    #[arg(long, global = true, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024),
          help_heading = "Global options")]
    pub threads: Option<u16>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a synthetic sales world with a hidden ground truth.
    #[command(after_help = "Writes history.csv, leads.csv, reps.csv, leadroute.toml and truth/ into DIR.\n\n\
Example:\n  leadroute generate --out world --seed 7 --leads 500 --reps 12 --history 5000")]
    Generate(GenerateArgs),
    /// Route a batch of leads to reps and write one row per lead.
    #[command(after_help = "Every input lead appears once in the output, assigned or with a reason code \
(no_eligible_rep, no_active_rep, no_available_rep, workload_exceeds_capacity, all_eligible_at_capacity, closed_deal).\n\n\
Examples:\n  # optimize (the default): learn scores and skill from the history, route the whole batch\n  \
leadroute assign --leads examples/leads.csv --reps examples/reps.csv \\\n      \
--history examples/history.csv --config examples/leadroute.toml --out assignments.csv --html report.html\n  \
# a rule policy needs no history\n  \
leadroute assign --leads examples/leads.csv --reps examples/reps.csv \\\n      \
--config examples/leadroute.toml --policy weighted --out assignments.csv\n  \
# time-aware (reps with time_zones and working_hours): the plan starts at --at\n  \
leadroute assign --leads leads.csv --reps reps.csv --config leadroute.toml --model model.json \\\n      \
--at 2026-11-30T08:00:00Z --out assignments.csv")]
    Assign(AssignArgs),
    /// Learn a lead-scoring model from won/lost history and write the model file.
    #[command(after_help = "Holds out the most recent 20 % of history (by created_at; a seeded random 20 % \
without it) for early stopping, calibration and the metrics it prints: AUC, log loss, a calibration \
table and the lift of the top decile. Refuses a history with fewer than 40 won or 40 lost deals.\n\n\
Example:\n  leadroute train --history examples/history.csv --config examples/leadroute.toml --model model.json")]
    Train(TrainArgs),
    /// Train on the earlier history, replay the later part: scoring, skill and policies judged on
    /// outcomes the training never saw; optional quality gates for CI.
    #[command(after_help = "Policies are compared on the held-out leads with a doubly robust estimate of \
their expected wins and won value (the p_win model, corrected by the real outcome wherever a policy \
picks the rep who really worked the lead), with 90 % bootstrap intervals; the report states the \
assumptions. A violated gate prints which and by how much and exits with code 3.\n\n\
Example:\n  leadroute backtest --history examples/history.csv --reps examples/reps.csv \\\n      \
--config examples/leadroute.toml --test-fraction 0.25 --json backtest.json --min-uplift 0.02")]
    Backtest(BacktestArgs),
    /// Score a batch of leads: probability to convert, rank, tier and top factors.
    #[command(after_help = "Writes lead_id, score, rank, tier (A-D by batch quartile) and top_factors, \
the features that pushed each score up or down in log-odds, e.g. \"demo_requested=yes +0.41\".\n\n\
Example:\n  leadroute score --leads examples/leads.csv --model model.json \\\n      --config examples/leadroute.toml --out scores.csv")]
    Score(ScoreArgs),
    /// Read the exports and write a commented starter config: the columns it recognised and
    /// why, the joins, the columns to leave out of the score and the segments for rep skill.
    #[command(after_help = "Reads the history (or leads), the reps and any lookup tables, and writes \
leadroute.toml (or --out) with each guess explained in a comment. An existing file is kept unless \
--force is given.\n\n\
Example:\n  leadroute init --history sales_pipeline.csv --reps sales_teams.csv \\\n      \
--lookup accounts.csv --lookup products.csv --out leadroute.toml")]
    Init(InitArgs),
    /// Route leads one at a time as they arrive on standard input, at the prices of the
    /// night's plan (`assign --state-out`): one row per lead on standard output, at once.
    #[command(after_help = "Each lead goes to the eligible active rep with room whose expected worth \
(value × p_win, or p_win) net of the price of the capacity it takes is largest; prices move after each \
lead (a rep filling faster than its capacity lasts for the expected arrivals gets dearer). A lead id \
routed before is answered with its earlier decision; a bad row gets a row with status error and the \
stream goes on. The state file is updated atomically every --save-every leads and at the end, so a \
killed stream restarted on the same input loses and repeats no decision.\n\n\
Example:\n  leadroute train --history examples/history.csv --config examples/leadroute.toml --model model.json\n  \
leadroute assign --leads examples/leads.csv --reps examples/reps.csv --config examples/leadroute.toml \\\n      \
--model model.json --out plan.csv --state-out state.json\n  \
tail -n +2 new_leads.csv | leadroute stream --state state.json --model model.json \\\n      \
--reps examples/reps.csv --config examples/leadroute.toml")]
    Stream(StreamArgs),
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Command options")]
pub struct StreamArgs {
    /// Routing state from `assign --state-out` (updated in place as leads are routed).
    #[arg(long, value_name = "FILE")]
    pub state: PathBuf,
    /// The model file the state was made with.
    #[arg(long, value_name = "FILE")]
    pub model: PathBuf,
    /// Reps CSV: who is active now and their eligibility lists.
    #[arg(long, value_name = "FILE")]
    pub reps: PathBuf,
    /// The config the state was made with.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// How leads arrive: CSV with a header line, or one JSON object per line.
    #[arg(long, value_enum, default_value_t = FormatArg::Csv)]
    pub format: FormatArg,
    /// Compact the journal into the state after this many new decisions (and at the end).
    /// Every decision is on disk in the journal before its row goes out whatever this is;
    /// a smaller value replays fewer records on restart, a larger one rewrites the state less.
    #[arg(long, default_value_t = 10_000, value_name = "N", value_parser = positive)]
    pub save_every: usize,
    /// Route every lead while an eligible active rep has room. By default a lead worth less
    /// than the price of the capacity it would take is held back (capacity_reserved) for
    /// the better leads still expected, as the best plan in hindsight would leave it out.
    #[arg(long)]
    pub fill: bool,
    /// When another stream (or assign --state-out) holds the state, wait for it to finish
    /// instead of refusing (exit 1).
    #[arg(long)]
    pub wait: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    Csv,
    Jsonl,
}

impl StreamArgs {
    pub fn settings(&self) -> leadroute::cmd::stream::StreamSettings {
        leadroute::cmd::stream::StreamSettings {
            state: self.state.clone(),
            model: self.model.clone(),
            reps: self.reps.clone(),
            config: self.config.clone(),
            format: match self.format {
                FormatArg::Csv => leadroute::cmd::stream::Format::Csv,
                FormatArg::Jsonl => leadroute::cmd::stream::Format::Jsonl,
            },
            save_every: self.save_every,
            fill: self.fill,
            wait: self.wait,
        }
    }
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("deals").required(true).multiple(true).args(["history", "leads"])))]
#[command(next_help_heading = "Command options")]
pub struct InitArgs {
    /// History CSV: past deals with their outcomes (a pipeline export with open deals too).
    #[arg(long, value_name = "FILE")]
    pub history: Option<PathBuf>,
    /// Leads CSV (when the history is not given, the guesses are made on it).
    #[arg(long, value_name = "FILE")]
    pub leads: Option<PathBuf>,
    /// Reps CSV (users export): its id column tells which deal column is the owner.
    #[arg(long, value_name = "FILE")]
    pub reps: Option<PathBuf>,
    /// A lookup table (accounts, products, …) to join by a key; repeat for several.
    #[arg(long = "lookup", value_name = "FILE")]
    pub lookups: Vec<PathBuf>,
    /// Config file to write.
    #[arg(long, value_name = "FILE", default_value = "leadroute.toml")]
    pub out: PathBuf,
    /// Replace --out if it exists.
    #[arg(long)]
    pub force: bool,
}

impl InitArgs {
    pub fn settings(&self) -> InitSettings {
        InitSettings {
            history: self.history.clone(),
            leads: self.leads.clone(),
            reps: self.reps.clone(),
            lookups: self.lookups.clone(),
            out: self.out.clone(),
            force: self.force,
        }
    }
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Command options")]
pub struct TrainArgs {
    /// History CSV: lead columns plus rep_id and outcome.
    #[arg(long, value_name = "FILE")]
    pub history: PathBuf,
    /// TOML config: column mapping, outcome values, excluded columns.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Model file to write (JSON).
    #[arg(long, value_name = "FILE")]
    pub model: PathBuf,
    /// Continue this earlier model file: keep its features, add trees learned from the new
    /// outcomes in --history, recalibrate, and append this run to its training history.
    #[arg(long, value_name = "FILE")]
    pub from: Option<PathBuf>,
    /// Seed for the row and column subsamples (and a random hold-out without created_at).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Shrinkage of each tree, in (0, 1].
    #[arg(long, default_value_t = 0.05, value_name = "X", value_parser = share)]
    pub learning_rate: f64,
    /// Tree depths to try (split levels), comma-separated; the best on held-out data is kept.
    #[arg(long, value_delimiter = ',', default_values_t = [3u16, 5u16], value_name = "N,..",
          value_parser = clap::value_parser!(u16).range(1..=12))]
    pub depth: Vec<u16>,
    /// Most boosting rounds (training stops earlier when held-out loss stops improving).
    #[arg(long, default_value_t = 800, value_name = "N", value_parser = positive)]
    pub max_rounds: usize,
    /// Fewest history rows in a leaf.
    #[arg(long, default_value_t = 20, value_name = "N", value_parser = positive)]
    pub min_leaf: usize,
    /// Share of rows each tree sees, in (0, 1].
    #[arg(long, default_value_t = 0.7, value_name = "X", value_parser = share)]
    pub subsample: f64,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("cut").required(true).args(["test_from", "test_fraction"])))]
#[command(next_help_heading = "Command options")]
pub struct BacktestArgs {
    /// History CSV: lead columns plus rep_id, outcome and (ideally) created_at.
    #[arg(long, value_name = "FILE")]
    pub history: PathBuf,
    /// Reps CSV: who can be routed to, their capacities and territories.
    #[arg(long, value_name = "FILE")]
    pub reps: PathBuf,
    /// TOML config.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Test on the leads created on or after this date (YYYY-MM-DD or a full timestamp).
    #[arg(long, value_name = "DATE", value_parser = date)]
    pub test_from: Option<chrono::NaiveDateTime>,
    /// Test on this most recent share of the history (by created_at, else file order), in (0, 1).
    #[arg(long, value_name = "X", value_parser = open_share)]
    pub test_fraction: Option<f64>,
    /// What optimize maximises.
    #[arg(long, value_enum, default_value_t = ObjectiveArg::Value)]
    pub objective: ObjectiveArg,
    /// Seed for training, routing and the bootstrap.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Bootstrap resamples for the intervals.
    #[arg(long, default_value_t = 500, value_name = "N")]
    pub bootstrap: usize,
    /// Write every figure as JSON (also what a later run takes as --baseline).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write a readable Markdown report.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Gate: fail (exit 3) when the held-out AUC is below X.
    #[arg(long, value_name = "X")]
    pub min_auc: Option<f64>,
    /// Gate: fail when optimize's expected wins beat round robin's by less than this share (0.05 = 5 %).
    #[arg(long, value_name = "X")]
    pub min_uplift: Option<f64>,
    /// Gate: compare with an earlier run's --json: AUC, log loss, p_win log loss, optimize's wins and value.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// With --baseline: how much worse each figure may be, as a share of the baseline's.
    #[arg(long, default_value_t = 0.01, value_name = "X", requires = "baseline", value_parser = non_negative)]
    pub max_regression: f64,
}

fn date(s: &str) -> Result<chrono::NaiveDateTime, String> {
    parse::datetime(s).ok_or_else(|| format!("expected a date like 2025-06-30 or 2025-06-30T12:00:00, found {s:?}"))
}

impl BacktestArgs {
    pub fn settings(&self) -> BacktestSettings {
        BacktestSettings {
            history: self.history.clone(),
            reps: self.reps.clone(),
            config: self.config.clone(),
            split: match (self.test_from, self.test_fraction) {
                (Some(d), _) => Split::From(d),
                (None, x) => Split::Fraction(x.unwrap_or(0.25)),
            },
            seed: self.seed,
            objective: self.objective.into(),
            bootstrap: self.bootstrap,
            json: self.json.clone(),
            report: self.report.clone(),
            gates: Gates {
                min_auc: self.min_auc,
                min_uplift: self.min_uplift,
                baseline: self.baseline.clone(),
                max_regression: self.max_regression,
            },
        }
    }
}

impl From<ObjectiveArg> for Objective {
    fn from(o: ObjectiveArg) -> Objective {
        match o {
            ObjectiveArg::Value => Objective::Value,
            ObjectiveArg::Wins => Objective::Wins,
        }
    }
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Command options")]
pub struct ScoreArgs {
    /// Leads CSV to score.
    #[arg(long, value_name = "FILE")]
    pub leads: PathBuf,
    /// Model file written by `leadroute train`.
    #[arg(long, value_name = "FILE")]
    pub model: PathBuf,
    /// TOML config (column mapping).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Output CSV, written atomically.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Factors listed per lead.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub factors: usize,
}

impl TrainArgs {
    pub fn settings(&self) -> TrainSettings {
        TrainSettings {
            history: self.history.clone(),
            config: self.config.clone(),
            model: self.model.clone(),
            from: self.from.clone(),
            params: Params {
                learning_rate: self.learning_rate,
                depths: self.depth.clone(),
                max_rounds: self.max_rounds,
                min_leaf: self.min_leaf,
                subsample: self.subsample,
                seed: self.seed,
                ..Params::default()
            },
        }
    }
}

impl ScoreArgs {
    pub fn settings(&self) -> ScoreSettings {
        ScoreSettings {
            leads: self.leads.clone(),
            model: self.model.clone(),
            config: self.config.clone(),
            out: self.out.clone(),
            factors: self.factors,
        }
    }
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Command options")]
pub struct GenerateArgs {
    /// Folder to write into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Random seed; the same seed gives byte-identical files.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Leads in the new batch to route.
    #[arg(long, default_value_t = 500)]
    pub leads: usize,
    /// Reps in reps.csv (a few departed reps also appear in the history).
    #[arg(long, default_value_t = 12)]
    pub reps: usize,
    /// Rows of past outcomes in history.csv.
    #[arg(long, default_value_t = 5000)]
    pub history: usize,
    /// Spread (standard deviation, log-odds) of the reps' true skill by industry.
    #[arg(long, default_value_t = 0.5, value_name = "X", value_parser = non_negative)]
    pub skill_spread: f64,
    /// Large and enterprise leads cost 2 and 3 workload units instead of 1.
    #[arg(long)]
    pub varied_workload: bool,
    /// Extra columns of pure noise (alternately numeric and categorical).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub noise_features: usize,
    /// Where the reps' skill lives: industry and company size (default), or one of them.
    #[arg(long, value_enum, default_value_t = SkillInArg::Both, value_name = "SEGMENTS")]
    pub skill_in: SkillInArg,
    /// The last N reps of reps.csv are new: they appear in no history row.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub new_reps: usize,
    /// Give the reps time zones, working hours (one a night shift) and absences (away.csv),
    /// make the batch a weekend's leads routed on Monday 30 November 2026 08:00 UTC, and let
    /// p_win halve every --half-life hours a lead waits (the history records first responses).
    #[arg(long)]
    pub calendars: bool,
    /// With --calendars: the true half-life of p_win, in hours of waiting.
    #[arg(long, default_value_t = 12.0, value_name = "HOURS", requires = "calendars", value_parser = positive_f64)]
    pub half_life: f64,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SkillInArg {
    Both,
    Industry,
    CompanySize,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PolicyArg {
    /// The next eligible rep with room, in a fixed rotation.
    RoundRobin,
    /// Shares in proportion to the reps' `weight` column.
    Weighted,
    /// The eligible rep with the fewest open plus newly assigned leads.
    LeastLoaded,
    /// The whole batch at once: the most expected value (or wins) under every cap and rule.
    Optimize,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ObjectiveArg {
    /// Σ deal value × p_win.
    Value,
    /// Σ p_win (expected wins).
    Wins,
}

#[derive(Debug, Args)]
pub struct AssignArgs {
    /// Leads CSV to route.
    #[arg(long, value_name = "FILE", help_heading = "Inputs")]
    pub leads: PathBuf,
    /// Reps CSV (rep_id, capacity, …).
    #[arg(long, value_name = "FILE", help_heading = "Inputs")]
    pub reps: PathBuf,
    /// TOML config: column mapping, outcomes, features, eligibility rules.
    #[arg(long, value_name = "FILE", help_heading = "Inputs")]
    pub config: Option<PathBuf>,
    /// How leads are handed out.
    #[arg(long, value_enum, default_value_t = PolicyArg::Optimize, help_heading = "Routing")]
    pub policy: PolicyArg,
    /// What `optimize` maximises.
    #[arg(long, value_enum, default_value_t = ObjectiveArg::Value, help_heading = "Routing")]
    pub objective: ObjectiveArg,
    /// Today's owners: a CSV of lead id and rep id (headers as the config maps lead_id and
    /// rep_id); replaces the leads file's rep_id column. Leads it does not list are unowned.
    #[arg(long, value_name = "FILE", help_heading = "Inputs")]
    pub current: Option<PathBuf>,
    /// Keep current owners: a lead stays with its owner when the owner is active, eligible and
    /// has room; only the other leads are routed (any policy).
    #[arg(long, visible_alias = "keep-owners", help_heading = "Routing")]
    pub lock: bool,
    /// Move a lead away from its current owner only when that gains more than X (optimize; in
    /// the objective's units: expected value, or expected wins with --objective wins).
    #[arg(long, value_name = "X", conflicts_with = "lock", value_parser = non_negative, help_heading = "Routing")]
    pub move_penalty: Option<f64>,
    /// Re-plan with a change to one rep and report the difference, e.g. "R007:capacity=+5",
    /// "R012:active=false", "R003:min_leads=4" (repeatable; each compared with the plan alone).
    #[arg(long, value_name = "REP:FIELD=VALUE", help_heading = "Routing")]
    pub what_if: Vec<leadroute::whatif::WhatIf>,
    /// Lower every rep's capacity to this share (0-1] of the batch's workload (any policy).
    #[arg(long, value_name = "X", value_parser = share, help_heading = "Routing")]
    pub max_share: Option<f64>,
    /// Stop improving the plan after this many seconds (the result may then depend on timing).
    #[arg(long, value_name = "SECONDS", help_heading = "Routing")]
    pub time_limit: Option<f64>,
    /// When the plan takes effect, ISO 8601 with an offset (e.g. 2026-11-30T08:00:00Z):
    /// routing then knows when each rep can start on each lead (time zones, working hours,
    /// absences) and what the wait costs. Default: now, when the reps have calendars or the
    /// config a [timing] or [availability] section (set it for reproducible runs).
    #[arg(long, value_name = "TIME", value_parser = at_time, help_heading = "Routing")]
    pub at: Option<i64>,
    /// Seed: where the rotation starts and the optimizer's random choices; the same seed gives
    /// the same plan (and the scoring model trained from --history, as `train --seed`).
    #[arg(long, default_value_t = 42, help_heading = "Routing")]
    pub seed: u64,
    /// Output CSV, written atomically.
    #[arg(long, value_name = "FILE", help_heading = "Outputs")]
    pub out: PathBuf,
    /// Fill the score columns with this model (from `leadroute train`); with --history as
    /// well, the history only teaches rep skill.
    #[arg(long, value_name = "FILE", help_heading = "Inputs")]
    pub model: Option<PathBuf>,
    /// Past outcomes: rep skill is learned from them, and without --model a scoring model is
    /// trained on them first.
    #[arg(long, value_name = "FILE", help_heading = "Inputs")]
    pub history: Option<PathBuf>,
    /// Also write a Markdown report: summary, policies compared, reps, work queues, every lead.
    #[arg(long, value_name = "FILE", help_heading = "Outputs")]
    pub report: Option<PathBuf>,
    /// Also write the report as one self-contained HTML page with charts.
    #[arg(long, value_name = "FILE", help_heading = "Outputs")]
    pub html: Option<PathBuf>,
    /// Most leads the reports' per-lead sections show, by priority (the assignment CSV always
    /// has every lead).
    #[arg(long, default_value_t = 20_000, value_name = "N", help_heading = "Outputs")]
    pub report_leads: usize,
    /// Also write the summary's figures as JSON (for cron jobs and dashboards).
    #[arg(long, value_name = "FILE", help_heading = "Outputs")]
    pub summary_json: Option<PathBuf>,
    /// Also write `lead id,owner id` rows of the assigned leads, for a CRM's data loader
    /// (headers as the config names lead_id and rep_id).
    #[arg(long, value_name = "FILE", help_heading = "Outputs")]
    pub owner_csv: Option<PathBuf>,
    /// Also write the routing state for leads that arrive after this batch: each rep's
    /// remaining capacity and the price of one more unit of it, the model and config
    /// fingerprints, the batch's arrival mix and the leads routed (optimize with --model).
    #[arg(long, value_name = "FILE", help_heading = "Outputs")]
    pub state_out: Option<PathBuf>,
    /// With --state-out: leads expected to arrive over the period the remaining capacity is
    /// for (default: as many as this batch has).
    #[arg(long, value_name = "N", requires = "state_out", value_parser = positive, help_heading = "Outputs")]
    pub expect_arrivals: Option<usize>,
    /// With --state-out: this batch is a forecast of the coming arrivals (e.g. yesterday's
    /// leads), not leads to route now: the state keeps every rep's whole capacity, priced as
    /// the forecast's plan prices it, and lists no lead as routed.
    #[arg(long, requires = "state_out", help_heading = "Outputs")]
    pub forecast: bool,
}

impl From<PolicyArg> for Policy {
    fn from(p: PolicyArg) -> Policy {
        match p {
            PolicyArg::RoundRobin => Policy::RoundRobin,
            PolicyArg::Weighted => Policy::Weighted,
            PolicyArg::LeastLoaded => Policy::LeastLoaded,
            PolicyArg::Optimize => Policy::Optimize,
        }
    }
}

impl GenerateArgs {
    /// The settings, or a usage error naming the flags.
    pub fn settings(&self) -> Result<GenerateSettings, UsageError> {
        if self.new_reps >= self.reps && self.reps > 0 {
            return Err(UsageError(format!(
                "--new-reps must be fewer than --reps ({}), got {}",
                self.reps, self.new_reps
            )));
        }
        Ok(GenerateSettings {
            out: self.out.clone(),
            seed: self.seed,
            leads: self.leads,
            reps: self.reps,
            history: self.history,
            skill_spread: self.skill_spread,
            varied_workload: self.varied_workload,
            noise_features: self.noise_features,
            skill_in: match self.skill_in {
                SkillInArg::Both => leadroute::generate::SkillIn::Both,
                SkillInArg::Industry => leadroute::generate::SkillIn::Industry,
                SkillInArg::CompanySize => leadroute::generate::SkillIn::CompanySize,
            },
            new_reps: self.new_reps,
            calendars: self.calendars.then_some(self.half_life),
        })
    }
}

fn positive_f64(s: &str) -> Result<f64, String> {
    match parse::number(s) {
        Some(x) if x > 0.0 && x.is_finite() => Ok(x),
        _ => Err(format!("expected a number > 0, found {s:?}")),
    }
}

impl AssignArgs {
    /// The settings, or a usage error naming the flags that contradict each other.
    pub fn settings(&self) -> Result<AssignSettings, UsageError> {
        let policy: Policy = self.policy.into();
        if policy == Policy::Optimize && self.model.is_none() && self.history.is_none() {
            return Err(UsageError(
                "--policy optimize needs --history FILE (to learn lead scores and rep skill) or --model FILE; \
                 or choose a rule-based --policy (round-robin, weighted, least-loaded)"
                    .into(),
            ));
        }
        if self.move_penalty.is_some() && policy != Policy::Optimize {
            return Err(UsageError(format!(
                "--move-penalty weighs a move against what it gains, which only --policy optimize knows; \
                 with --policy {policy} use --lock to keep current owners"
            )));
        }
        Ok(AssignSettings {
            leads: self.leads.clone(),
            reps: self.reps.clone(),
            config: self.config.clone(),
            policy: self.policy.into(),
            seed: self.seed,
            out: self.out.clone(),
            model: self.model.clone(),
            history: self.history.clone(),
            objective: self.objective.into(),
            keep_owners: self.lock,
            current: self.current.clone(),
            move_penalty: self.move_penalty,
            what_if: self.what_if.clone(),
            max_share: self.max_share,
            time_limit: self.time_limit,
            report: self.report.clone(),
            html: self.html.clone(),
            report_leads: self.report_leads,
            summary_json: self.summary_json.clone(),
            owner_csv: self.owner_csv.clone(),
            state_out: self.state_out.clone(),
            expect_arrivals: self.expect_arrivals,
            forecast: self.forecast,
            at: self.at,
        })
    }
}

fn at_time(s: &str) -> Result<i64, String> {
    leadroute::timing::parse_at(s)
}

fn non_negative(s: &str) -> Result<f64, String> {
    match parse::number(s) {
        Some(x) if x >= 0.0 => Ok(x),
        _ => Err(format!("expected a number ≥ 0, found {s:?}")),
    }
}

fn open_share(s: &str) -> Result<f64, String> {
    match parse::number(s) {
        Some(x) if x > 0.0 && x < 1.0 => Ok(x),
        _ => Err(format!("expected a share between 0 and 1 (exclusive), found {s:?}")),
    }
}

fn positive(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("expected a whole number ≥ 1, found {s:?}")),
    }
}

fn share(s: &str) -> Result<f64, String> {
    let x = parse::number(s).ok_or_else(|| format!("expected a share between 0 and 1, found {s:?}"))?;
    if x > 0.0 && x <= 1.0 { Ok(x) } else { Err(format!("expected a share in (0, 1], found {x}")) }
}
