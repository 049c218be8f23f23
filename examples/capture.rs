//! Routing quality on a generated world, judged against its hidden truth.
//!
//! ```sh
//! cargo run --release --example capture -- [--seed N] [--history N] [--leads N] [--reps N] [--skill-spread X]
//! ```
//!
//! Generates a world, learns lead scores and rep skill from its (confounded) history, and
//! routes the batch with: the optimizer (learned skill), the optimizer blind to skill
//! (scores only), the optimizer on raw win rates (skill not controlled for lead quality),
//! least-loaded and round robin. Each plan is scored with the *true* P(win), and against the
//! best plan under the truth: exact (min-cost flow) for unit workloads, else the solver's
//! best with its Lagrangian bound as a certificate.
//! capture = (plan − round robin) / (best − round robin). Prints CSV for both objectives.

use std::time::Instant;

use anyhow::{Context, Result};
use leadroute::assign::optimize::{Objective, OptimizeSettings, optimize};
use leadroute::assign::solver::{self, SolveSettings, Sparse};
use leadroute::assign::{self, Plan, Policy};
use leadroute::assign::{auction, flow};
use leadroute::config::Config;
use leadroute::data::{Leads, Reps};
use leadroute::eligibility::Eligibility;
use leadroute::generate::{GenerateSettings, generate};
use leadroute::io::Table;
use leadroute::model::{self, Params};
use leadroute::progress::Progress;
use leadroute::skill::{self, Skill, SkillSettings};
use leadroute::truth::Truth;

fn main() -> Result<()> {
    let mut g = GenerateSettings {
        out: Default::default(),
        seed: 11,
        leads: 2000,
        reps: 20,
        history: 20_000,
        skill_spread: 0.8,
        varied_workload: false,
        noise_features: 0,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut next = || args.next().context("a flag needs a value");
        match a.as_str() {
            "--seed" => g.seed = next()?.parse()?,
            "--history" => g.history = next()?.parse()?,
            "--leads" => g.leads = next()?.parse()?,
            "--reps" => g.reps = next()?.parse()?,
            "--skill-spread" => g.skill_spread = next()?.parse()?,
            other => anyhow::bail!("unknown argument {other}"),
        }
    }
    let dir = tempfile::tempdir()?;
    g.out = dir.path().to_path_buf();
    generate(&g, &Progress::hidden())?;
    let w = dir.path();
    let cfg = Config::load(&w.join("leadroute.toml"))?;
    let leads = Leads::from_table(Table::read(&w.join("leads.csv"), "leads")?, &cfg)?;
    let reps = Reps::from_table(Table::read(&w.join("reps.csv"), "reps")?, &cfg)?;
    let history = Table::read(&w.join("history.csv"), "history")?;
    let elig = Eligibility::new(&cfg, &leads, &reps)?;
    let truth = Truth::load(w)?;

    let start = Instant::now();
    let params = Params { seed: g.seed, ..Params::default() };
    let trained = model::train(&history, &cfg, &params, String::new(), &Progress::hidden())?;
    let (x, _) = trained.model.bin_leads(&leads.table, &cfg)?;
    let z = trained.model.logit(&x);
    let mut warnings = Vec::new();
    let settings = SkillSettings { half_life_days: cfg.skill.half_life_days, params: params.clone() };
    let learned = skill::learn(&history, &cfg, &settings, &trained.model, &mut warnings)?;
    let raw = skill::learn_raw(&history, &cfg, cfg.skill.half_life_days)?;
    let learn_seconds = start.elapsed().as_secs_f64();

    println!("objective,policy,true_expected,capture,seconds");
    for objective in [Objective::Wins, Objective::Value] {
        let weight = |l: usize| if objective == Objective::Value { leads.value[l] } else { 1.0 };
        let true_p = |l: usize, r: usize| truth.p_win(&leads.id[l], &reps.id[r]).unwrap_or(0.0);
        let worth = |plan: &Plan| -> f64 {
            plan.decisions.iter().enumerate().filter_map(|(l, d)| d.rep.map(|r| weight(l) * true_p(l, r))).sum()
        };
        // The best plan under the truth.
        let mut best = Sparse {
            capacity: (0..reps.len()).map(|r| if reps.active[r] { reps.capacity[r] } else { 0.0 }).collect(),
            ..Default::default()
        };
        for l in 0..leads.len() {
            let cands: Vec<u32> =
                elig.reps_for(l).iter().copied().filter(|&r| reps.active[r]).map(|r| r as u32).collect();
            best.profit.push(cands.iter().map(|&r| weight(l) * true_p(l, r as usize)).collect());
            best.weight.push(cands.iter().map(|_| leads.workload[l]).collect());
            best.cands.push(cands);
        }
        let t = Instant::now();
        // Unit workloads: the exact optimum by min-cost flow; otherwise the solver's best.
        let (sol, exact) = match flow::exact_unit(&best).filter(|_| auction::uniform_weight(&best).is_some()) {
            Some(sol) => (sol, true),
            None => (solver::solve(&best, &SolveSettings { seed: 1, rounds: 0, ..SolveSettings::default() }), false),
        };
        let best_seconds = t.elapsed().as_secs_f64();
        let best_value = solver::verify(&best, &sol).map_err(anyhow::Error::msg)?;
        let (bound, _) = solver::lagrangian_bound(&best, best_value, 500, None);

        let mut results: Vec<(&str, f64, f64)> = Vec::new();
        for (name, skill) in [("optimize", &learned), ("skill-blind", &Skill::default()), ("raw-win-rate", &raw)] {
            let t = Instant::now();
            let s = OptimizeSettings {
                objective,
                keep_owners: false,
                move_penalty: None,
                anchor: None,
                solve: SolveSettings { seed: g.seed, rounds: 5, ..SolveSettings::default() },
                bound_iterations: 100,
            };
            let o = optimize(&leads, &reps, &elig, &z, skill, &s);
            assign::check(&o.plan, &leads, &reps, &elig)?;
            results.push((name, worth(&o.plan), t.elapsed().as_secs_f64()));
        }
        for policy in [Policy::LeastLoaded, Policy::RoundRobin] {
            let t = Instant::now();
            let plan = assign::route_by_rule(policy, &leads, &reps, &elig, g.seed);
            results.push((policy.name(), worth(&plan), t.elapsed().as_secs_f64()));
        }
        let rr = results.iter().find(|r| r.0 == "round-robin").map(|r| r.1).unwrap_or(0.0);
        let obj = if objective == Objective::Value { "value" } else { "wins" };
        for (name, v, secs) in &results {
            println!("{obj},{name},{v:.2},{:.3},{secs:.2}", (v - rr) / (best_value - rr));
        }
        let best_name = if exact { "optimum-under-truth" } else { "best-under-truth" };
        println!("{obj},{best_name},{best_value:.2},1.000,{best_seconds:.2}");
        println!("{obj},truth-bound,{bound:.2},{:.3},", (bound - rr) / (best_value - rr));
    }
    eprintln!(
        "learned scores and skill in {learn_seconds:.1}s ({})",
        if learned.out_of_fold { "out of fold" } else { "in sample" }
    );
    Ok(())
}
