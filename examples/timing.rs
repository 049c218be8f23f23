//! Time-aware routing on generated worlds with calendars, judged against their hidden truth.
//!
//! ```sh
//! cargo run --release --example timing -- [--seed N] [--leads N] [--reps N] [--history N]
//!     [--half-life H]
//! cargo run --release --example timing -- --grid [--seeds N]
//! ```
//!
//! A world is generated with `--calendars`: reps in New York, Chicago, Los Angeles, London,
//! Berlin, Singapore, Sydney and São Paulo, day shifts, split shifts, a Tuesday–Saturday week
//! and a night shift, a tenth of them on a three-week holiday, a tenth back on Wednesday, a few
//! out on Monday morning, a company holiday on Thursday; the batch is the weekend's leads
//! routed on Monday 30 November 2026 08:00 UTC; the true p_win halves every `--half-life`
//! hours (default 12) a lead waits from its creation until its rep can start. The history
//! records when each deal was first answered.
//!
//! The scoring model, rep skill and the half-life are learned from the history as `train`
//! does, and the batch is routed by:
//!
//! - `round-robin`: the rotation, skipping reps who cannot start within the horizon;
//! - `available-round-robin`: LeanData-style, the rotation among the reps available when
//!   the lead's clock starts (on shift, not away), else among those available soonest;
//! - `optimize-blind`: the optimizer with the same scores and skill, blind to time (today's
//!   plan: no calendars, no decay);
//! - `optimize-time`: `assign --at` as shipped (calendars, the half-life learned from the
//!   history); `optimize-time-default` with the default half-life (24 h) instead, and
//!   `optimize-time-true` with the true one, to show what the estimate is worth;
//! - `optimum-under-truth`: the best plan under the truth (true scores, skill and decay;
//!   exact min-cost flow).
//!
//! Each plan is scored with the true P(win) after its wait; capture = (plan − round robin) /
//! (optimum − round robin). `--grid` runs sizes 500 × 20, 2,000 × 40 and 5,000 × 100 (leads ×
//! reps) with true half-lives 4, 12 and 48 hours, `--seeds` seeds each (default 2), and prints
//! the rows, then the means per policy and the checks: optimize-time ≥ 0.6, and ≥
//! optimize-blind + 0.2.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::{Context, Result};
use leadroute::assign::optimize::{Objective, OptimizeSettings, optimize_timed};
use leadroute::assign::solver::{self, SolveSettings, Sparse};
use leadroute::assign::{self, Plan, Rule};
use leadroute::assign::{auction, flow};
use leadroute::batch::{Batch, BatchFiles};
use leadroute::eligibility::Eligibility;
use leadroute::generate::{CALENDAR_AT, GenerateSettings, SkillIn, generate};
use leadroute::io::Table;
use leadroute::model::{self, Params};
use leadroute::progress::Progress;
use leadroute::skill::{self, SkillSettings};
use leadroute::timing::{HalfLife, HalfLifeSource};
use leadroute::truth::Truth;

struct Row {
    objective: &'static str,
    policy: String,
    true_expected: f64,
    capture: f64,
    assigned: usize,
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let get = |name: &str, default: f64| -> f64 {
        args.iter()
            .position(|a| a == name)
            .and_then(|k| args.get(k + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let base = GenerateSettings {
        out: Default::default(),
        seed: get("--seed", 1.0) as u64,
        leads: get("--leads", 2000.0) as usize,
        reps: get("--reps", 40.0) as usize,
        history: get("--history", 20_000.0) as usize,
        skill_spread: get("--skill-spread", 0.5),
        varied_workload: false,
        noise_features: 0,
        skill_in: SkillIn::Both,
        new_reps: 0,
        calendars: Some(get("--half-life", 12.0)),
    };
    let worlds: Vec<(String, GenerateSettings)> = if args.iter().any(|a| a == "--grid") {
        let seeds = get("--seeds", 2.0) as u64;
        let mut v = Vec::new();
        for (leads, reps) in [(500usize, 20usize), (2000, 40), (5000, 100)] {
            for h in [4.0, 12.0, 48.0] {
                for seed in 1..=seeds {
                    let s = GenerateSettings { leads, reps, seed, calendars: Some(h), ..base.clone() };
                    v.push((format!("{leads}x{reps}-h{h}"), s));
                }
            }
        }
        v
    } else {
        vec![(format!("{}x{}-h{}", base.leads, base.reps, base.calendars.unwrap_or(0.0)), base)]
    };
    println!("world,seed,objective,policy,true_expected,capture,assigned");
    let mut all: Vec<(String, Row)> = Vec::new();
    for (name, g) in &worlds {
        let t = std::time::Instant::now();
        let (rows, note) = world(g)?;
        eprintln!("{name} seed {}: {:.0}s; {note}", g.seed, t.elapsed().as_secs_f64());
        for r in rows {
            println!(
                "{name},{},{},{},{:.3},{:.3},{}",
                g.seed, r.objective, r.policy, r.true_expected, r.capture, r.assigned
            );
            all.push((name.clone(), r));
        }
    }
    println!("\nobjective,policy,mean_capture,min_capture,worlds");
    let mut by: HashMap<(&str, String), Vec<f64>> = HashMap::new();
    for (_, r) in &all {
        by.entry((r.objective, r.policy.clone())).or_default().push(r.capture);
    }
    let mut keys: Vec<_> = by.keys().cloned().collect();
    keys.sort();
    for k in &keys {
        let v = &by[k];
        let min = v.iter().copied().fold(f64::INFINITY, f64::min);
        println!("{},{},{:.3},{:.3},{}", k.0, k.1, v.iter().sum::<f64>() / v.len() as f64, min, v.len());
    }
    // The checks, per world and objective.
    let mut failed = 0;
    let cells: Vec<(String, &str)> = {
        let mut c: Vec<(String, &str)> = all.iter().map(|(w, r)| (w.clone(), r.objective)).collect();
        c.sort();
        c.dedup();
        c
    };
    println!("\nworld,objective,optimize_time,optimize_blind,available_round_robin,checks");
    for (w, obj) in cells {
        let mean = |p: &str| {
            let v: Vec<f64> = all
                .iter()
                .filter(|(ww, r)| *ww == w && r.objective == obj && r.policy == p)
                .map(|(_, r)| r.capture)
                .collect();
            v.iter().sum::<f64>() / v.len().max(1) as f64
        };
        let (t, b, a) = (mean("optimize-time"), mean("optimize-blind"), mean("available-round-robin"));
        let mut checks = Vec::new();
        if t < 0.6 {
            checks.push("optimize-time below 0.6");
        }
        if t < b + 0.2 {
            checks.push("optimize-time less than optimize-blind + 0.2");
        }
        failed += checks.len();
        println!("{w},{obj},{t:.3},{b:.3},{a:.3},{}", checks.join("; "));
    }
    println!("\nchecks failed: {failed}");
    Ok(())
}

/// Generates one world and judges every plan of it against the truth.
fn world(g: &GenerateSettings) -> Result<(Vec<Row>, String)> {
    let dir = tempfile::tempdir()?;
    let g = GenerateSettings { out: dir.path().to_path_buf(), ..g.clone() };
    generate(&g, &Progress::hidden())?;
    let w = dir.path();
    let at = leadroute::calendar::instant(CALENDAR_AT).context("the world's clock")?;
    let mut warnings = Vec::new();
    let files = BatchFiles {
        leads: &w.join("leads.csv"),
        reps: &w.join("reps.csv"),
        config: Some(&w.join("leadroute.toml")),
        current: None,
        max_share: None,
        at: Some(at),
    };
    let batch = Batch::load(&files, &mut warnings)?;
    let timing = batch.timing.clone().context("a calendar world routes with time")?;
    let (leads, reps) = (&batch.leads, &batch.reps);
    let cfg = &batch.cfg;
    let truth = Truth::load(w)?;
    let (_, true_h) = truth.timing.context("a calendar world's truth has its half-life")?;
    let history = Table::read(&w.join("history.csv"), "history")?;

    // Scores, skill and the half-life, learned as `train` learns them.
    let params = Params { seed: g.seed, ..Params::default() };
    let trained = model::train(&history, cfg, &params, String::new(), &Progress::hidden())?;
    let (x, _) = trained.model.bin_leads(&leads.table, cfg)?;
    let z = trained.model.logit(&x);
    let learned = skill::learn(&history, cfg, &SkillSettings::new(cfg, &params), &trained.model, &mut warnings)?;
    let estimate = learned.decay.clone();
    let learned_h = HalfLife::resolve(cfg, estimate.clone(), &mut warnings);
    let default_h = HalfLife {
        hours: leadroute::config::DEFAULT_HALF_LIFE_HOURS,
        source: HalfLifeSource::Default,
        estimate: estimate.clone(),
    };
    let true_hl = HalfLife { hours: true_h, source: HalfLifeSource::Config, estimate: estimate.clone() };

    // The same batch blind to time: no bars, no decay.
    let blind_elig = Eligibility::new(cfg, leads, reps)?;

    // When each assigned lead's rep can start, and the true p_win after that wait.
    let true_p = |l: usize, r: usize| -> f64 {
        match timing.delay(l, r).or_else(|| {
            let start = timing.start(l);
            let born = timing.created[l].unwrap_or(start);
            timing.next_available(r, start).map(|a| a - born)
        }) {
            Some(d) => truth.p_win_after(&leads.id[l], &reps.id[r], d).unwrap_or(0.0),
            None => 0.0,
        }
    };
    let mut rows = Vec::new();
    for objective in [Objective::Wins, Objective::Value] {
        let obj = if objective == Objective::Value { "value" } else { "wins" };
        let weight = |l: usize| if objective == Objective::Value { leads.value[l] } else { 1.0 };
        let worth = |plan: &Plan| -> f64 {
            plan.decisions.iter().enumerate().filter_map(|(l, d)| d.rep.map(|r| weight(l) * true_p(l, r))).sum()
        };
        // The best plan under the truth: every rep that can start within the horizon.
        let mut best = Sparse {
            capacity: (0..reps.len()).map(|r| if reps.active[r] { reps.capacity[r] } else { 0.0 }).collect(),
            ..Default::default()
        };
        for l in 0..leads.len() {
            let cands: Vec<u32> =
                batch.elig.reps_for(l).iter().copied().filter(|&r| reps.active[r]).map(|r| r as u32).collect();
            best.profit.push(cands.iter().map(|&r| weight(l) * true_p(l, r as usize)).collect());
            best.weight.push(cands.iter().map(|_| leads.workload[l]).collect());
            best.cands.push(cands);
        }
        let sol = match flow::exact_unit(&best).filter(|_| auction::uniform_weight(&best).is_some()) {
            Some(sol) => sol,
            None => solver::solve(&best, &SolveSettings { seed: 1, rounds: 0, ..SolveSettings::default() }),
        };
        let best_value = solver::verify(&best, &sol).map_err(anyhow::Error::msg)?;

        let settings = OptimizeSettings {
            objective,
            keep_owners: false,
            move_penalty: None,
            anchor: None,
            solve: SolveSettings { seed: g.seed, rounds: 5, ..SolveSettings::default() },
            bound_iterations: 100,
        };
        let mut plans: Vec<(String, Plan)> = Vec::new();
        for (name, hl) in
            [("optimize-time", &learned_h), ("optimize-time-default", &default_h), ("optimize-time-true", &true_hl)]
        {
            let decay = Arc::new(timing.decay(hl));
            let o = optimize_timed(leads, reps, &batch.elig, &z, &learned, &settings, Some(&decay));
            assign::check(&o.plan, leads, reps, &batch.elig)?;
            plans.push((name.into(), o.plan));
        }
        let blind = optimize_timed(leads, reps, &blind_elig, &z, &learned, &settings, None);
        plans.push(("optimize-blind".into(), blind.plan));
        plans.push(("round-robin".into(), assign::route_by_rule(Rule::RoundRobin, leads, reps, &batch.elig, g.seed)));
        plans.push(("available-round-robin".into(), available_round_robin(&batch, g.seed)));
        let rr = plans.iter().find(|p| p.0 == "round-robin").map(|p| worth(&p.1)).unwrap_or(0.0);
        for (name, plan) in &plans {
            let v = worth(plan);
            rows.push(Row {
                objective: obj,
                policy: name.clone(),
                true_expected: v,
                capture: (v - rr) / (best_value - rr),
                assigned: plan.assigned(),
            });
        }
        rows.push(Row {
            objective: obj,
            policy: "optimum-under-truth".into(),
            true_expected: best_value,
            capture: 1.0,
            assigned: leads.len() - sol.unplaced(),
        });
    }
    let note = format!(
        "half-life: true {true_h} h, learned {}; {}",
        learned_h.describe(),
        estimate.map(|e| e.describe()).unwrap_or_default()
    );
    Ok((rows, note))
}

/// LeanData-style: [`assign::available_round_robin`]'s choices as a plan (reasons are not
/// needed here).
fn available_round_robin(batch: &Batch, seed: u64) -> Plan {
    let timing = batch.timing.as_ref().expect("a time-aware batch");
    let chosen = assign::available_round_robin(&batch.leads, &batch.reps, &batch.elig, timing, seed);
    let decisions = chosen
        .iter()
        .map(|c| match c {
            Some(r) => assign::Decision { rep: Some(*r), reason: None, explanation: String::new() },
            None => assign::Decision {
                rep: None,
                reason: Some(assign::Reason::AllEligibleAtCapacity),
                explanation: String::new(),
            },
        })
        .collect();
    Plan { policy: assign::Policy::RoundRobin, decisions, runner_up: vec![None; chosen.len()] }
}
