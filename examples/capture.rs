//! Routing quality on generated worlds, judged against their hidden truth.
//!
//! ```sh
//! cargo run --release --example capture -- [--seed N] [--history N] [--leads N] [--reps N]
//!     [--skill-spread X] [--skill-in both|industry|company-size] [--new-reps N]
//! cargo run --release --example capture -- --grid [--seeds N] [--leads N] [--only-history N]
//! ```
//!
//! Generates a world, learns lead scores and rep skill from its (confounded) history, and
//! routes the batch with: the optimizer (learned skill), the same with the held-out gate
//! forced open (`optimize-ungated`: what the gate costs or saves), the optimizer with a crude lift
//! estimator (per rep × segment value, (wins + 6) / (expected wins + 6) from in-sample lead
//! scores), the optimizer blind to skill (scores only), the optimizer on raw win rates
//! (skill not controlled for lead quality), least-loaded and round robin. Each plan is
//! scored with the *true* P(win), and against the best plan under the truth: exact
//! (min-cost flow) for unit workloads, else the solver's best with its Lagrangian bound as
//! a certificate. capture = (plan − round robin) / (best − round robin).
//!
//! One world prints a CSV row per objective and policy, with the leads each plan places and
//! the owned leads it moves although their owner could keep them. `--grid` runs history
//! 2,000 / 6,000 / 20,000 × reps 10 / 40 / 100 × skill spread 0 / 0.3 / 0.6 (`--seeds` seeds
//! each, default 2), plus worlds whose skill lives in company size only and worlds with new
//! reps, and prints every row, then the averages and the checks.

use std::collections::HashMap;
use std::time::Instant;

use anyhow::{Context, Result};
use leadroute::assign::optimize::{Objective, OptimizeSettings, optimize};
use leadroute::assign::solver::{self, SolveSettings, Sparse};
use leadroute::assign::{self, Plan, Rule};
use leadroute::assign::{auction, flow};
use leadroute::config::Config;
use leadroute::data::{Leads, Reps};
use leadroute::eligibility::Eligibility;
use leadroute::generate::{GenerateSettings, SkillIn, generate};
use leadroute::io::Table;
use leadroute::model::{self, Params};
use leadroute::progress::Progress;
use leadroute::skill::{self, Effect, Skill, SkillSettings};
use leadroute::truth::Truth;

/// One plan of one world, judged.
struct Row {
    objective: &'static str,
    policy: String,
    true_expected: f64,
    capture: f64,
    assigned: usize,
    /// Owned leads given to another rep although the owner is active, eligible and could
    /// keep every lead it owns in the batch.
    needless_moves: usize,
    seconds: f64,
}

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
        skill_in: SkillIn::Both,
        new_reps: 0,
        calendars: None,
    };
    let (mut grid, mut seeds, mut only_history) = (false, 2u64, None);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut next = || args.next().context("a flag needs a value");
        match a.as_str() {
            "--seed" => g.seed = next()?.parse()?,
            "--history" => g.history = next()?.parse()?,
            "--leads" => g.leads = next()?.parse()?,
            "--reps" => g.reps = next()?.parse()?,
            "--skill-spread" => g.skill_spread = next()?.parse()?,
            "--new-reps" => g.new_reps = next()?.parse()?,
            "--skill-in" => {
                g.skill_in = match next()?.as_str() {
                    "both" => SkillIn::Both,
                    "industry" => SkillIn::Industry,
                    "company-size" => SkillIn::CompanySize,
                    other => anyhow::bail!("--skill-in: both, industry or company-size, not {other}"),
                }
            }
            "--grid" => grid = true,
            "--seeds" => seeds = next()?.parse()?,
            "--only-history" => only_history = Some(next()?.parse::<usize>()?),
            other => anyhow::bail!("unknown argument {other}"),
        }
    }
    if grid {
        return run_grid(&g, seeds, only_history);
    }
    let (rows, note) = world(&g)?;
    println!("objective,policy,true_expected,capture,assigned,needless_moves,seconds");
    for r in &rows {
        println!(
            "{},{},{:.2},{:.3},{},{},{:.2}",
            r.objective, r.policy, r.true_expected, r.capture, r.assigned, r.needless_moves, r.seconds
        );
    }
    eprintln!("{note}");
    Ok(())
}

/// The grid: every world of it (or those with one history size), a row per plan, then the
/// averages and the checks.
fn run_grid(base: &GenerateSettings, seeds: u64, only_history: Option<usize>) -> Result<()> {
    let mut worlds: Vec<(String, GenerateSettings)> = Vec::new();
    for &history in &[2_000usize, 6_000, 20_000] {
        for &reps in &[10usize, 40, 100] {
            for &spread in &[0.0, 0.3, 0.6] {
                for seed in 1..=seeds {
                    let s = GenerateSettings { history, reps, skill_spread: spread, seed, ..base.clone() };
                    worlds.push((format!("h{history}-r{reps}-s{spread}"), s));
                }
            }
        }
    }
    for seed in 1..=seeds {
        for (history, reps) in [(6_000usize, 40usize), (20_000, 100)] {
            let s = GenerateSettings {
                history,
                reps,
                skill_spread: 0.5,
                seed,
                skill_in: SkillIn::CompanySize,
                ..base.clone()
            };
            worlds.push((format!("h{history}-r{reps}-s0.5-size-only"), s));
            let s = GenerateSettings { history, reps, skill_spread: 0.5, seed, new_reps: reps / 5, ..base.clone() };
            worlds.push((format!("h{history}-r{reps}-s0.5-new-reps"), s));
        }
    }
    worlds.retain(|(_, s)| only_history.is_none_or(|h| s.history == h));
    println!("world,seed,objective,policy,true_expected,capture,assigned,needless_moves,seconds");
    let mut all: Vec<(String, u64, Row)> = Vec::new();
    for (name, s) in &worlds {
        let t = Instant::now();
        let (rows, note) = world(s)?;
        eprintln!("{name} seed {}: {:.0}s, {note}", s.seed, t.elapsed().as_secs_f64());
        for r in rows {
            println!(
                "{name},{},{},{},{:.2},{:.3},{},{},{:.2}",
                s.seed, r.objective, r.policy, r.true_expected, r.capture, r.assigned, r.needless_moves, r.seconds
            );
            all.push((name.clone(), s.seed, r));
        }
    }
    // Averages per objective and policy over the whole grid.
    println!("\nobjective,policy,mean_capture,worlds");
    let mut sums: HashMap<(&str, &str), (f64, usize)> = HashMap::new();
    for (_, _, r) in &all {
        let e = sums.entry((r.objective, r.policy.as_str())).or_default();
        e.0 += r.capture;
        e.1 += 1;
    }
    let mut keys: Vec<_> = sums.keys().copied().collect();
    keys.sort();
    for k in keys {
        let (sum, n) = sums[&k];
        println!("{},{},{:.3},{n}", k.0, k.1, sum / n as f64);
    }
    // Per cell (world name, objective): optimize against crude, raw and skill-blind.
    println!("\nworld,objective,optimize,crude-lift,raw-win-rate,skill-blind,optimize_minus_crude,checks");
    let mut cells: Vec<(String, &str)> = all.iter().map(|(w, _, r)| (w.clone(), r.objective)).collect();
    cells.dedup();
    cells.sort();
    cells.dedup();
    let mut failures = 0;
    for (w, obj) in &cells {
        let mean = |policy: &str| -> f64 {
            let v: Vec<f64> = all
                .iter()
                .filter(|(ww, _, r)| ww == w && r.objective == *obj && r.policy == policy)
                .map(|(_, _, r)| r.capture)
                .collect();
            v.iter().sum::<f64>() / v.len().max(1) as f64
        };
        let (o, c, raw, blind) = (mean("optimize"), mean("crude-lift"), mean("raw-win-rate"), mean("skill-blind"));
        let mut checks = Vec::new();
        if o < c - 0.03 {
            checks.push("more than 0.03 below crude");
        }
        if o < raw || o < 0.0 {
            checks.push("below raw-win-rate or 0");
        }
        for seed in 1..=seeds {
            let get = |policy: &str| {
                all.iter().find(|(ww, sd, r)| ww == w && *sd == seed && r.objective == *obj && r.policy == policy)
            };
            if let (Some((_, _, opt)), Some((_, _, ll))) = (get("optimize"), get("least-loaded")) {
                if opt.assigned < ll.assigned {
                    checks.push("fewer leads placed than least-loaded");
                }
                if w.contains("-s0-") || w.ends_with("-s0") {
                    if opt.needless_moves > 0 {
                        checks.push("spread 0: owned leads moved");
                    }
                    if let Some((_, _, b)) = get("skill-blind")
                        && *obj == "wins"
                        && opt.true_expected < 0.99 * b.true_expected
                    {
                        checks.push("spread 0: more than 1 % below skill-blind");
                    }
                }
            }
        }
        checks.sort();
        checks.dedup();
        failures += checks.len();
        println!("{w},{obj},{o:.3},{c:.3},{raw:.3},{blind:.3},{:+.3},{}", o - c, checks.join("; "));
    }
    println!("\nchecks failed: {failures}");
    Ok(())
}

/// Generates one world and judges every policy's plan of it against the truth.
fn world(g: &GenerateSettings) -> Result<(Vec<Row>, String)> {
    let dir = tempfile::tempdir()?;
    let g = GenerateSettings { out: dir.path().to_path_buf(), ..g.clone() };
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
    let settings = SkillSettings::new(&cfg, &params);
    let learned = skill::learn(&history, &cfg, &settings, &trained.model, &mut warnings)?;
    let learn_seconds = start.elapsed().as_secs_f64();
    let raw = skill::learn_raw(&history, &cfg, cfg.skill.half_life_days)?;
    let crude = crude_lift(&history, &cfg, &trained.model)?;
    let ungated = Skill { unused_because: None, ..learned.clone() };

    // Owners who can keep every lead they own in the batch (eligible, active, room).
    let mut owned = vec![0.0; reps.len()];
    let owner_of: Vec<Option<usize>> = (0..leads.len())
        .map(|l| leads.owner[l].as_deref().and_then(|o| reps.find(o)).filter(|&r| reps.active[r] && elig.allows(l, r)))
        .collect();
    for (l, o) in owner_of.iter().enumerate() {
        if let Some(r) = o {
            owned[*r] += leads.workload[l];
        }
    }
    let needless = |plan: &Plan| -> usize {
        (0..leads.len())
            .filter(|&l| {
                owner_of[l].is_some_and(|o| owned[o] <= reps.capacity[o] + 1e-9 && plan.decisions[l].rep != Some(o))
            })
            .count()
    };

    let mut rows = Vec::new();
    for objective in [Objective::Wins, Objective::Value] {
        let obj = if objective == Objective::Value { "value" } else { "wins" };
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

        let mut plans: Vec<(String, Plan, f64)> = Vec::new();
        for (name, skill) in [
            ("optimize", &learned),
            ("optimize-ungated", &ungated),
            ("crude-lift", &crude),
            ("skill-blind", &Skill::default()),
            ("raw-win-rate", &raw),
        ] {
            // With the gate open already, the ungated plan is the same plan.
            if name == "optimize-ungated" && learned.unused_because.is_none() {
                let same = plans.iter().find(|p| p.0 == "optimize").map(|p| (p.1.clone(), p.2)).unwrap();
                plans.push((name.to_string(), same.0, same.1));
                continue;
            }
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
            plans.push((name.to_string(), o.plan, t.elapsed().as_secs_f64()));
        }
        for rule in [Rule::LeastLoaded, Rule::RoundRobin] {
            let t = Instant::now();
            let plan = assign::route_by_rule(rule, &leads, &reps, &elig, g.seed);
            plans.push((rule.to_string(), plan, t.elapsed().as_secs_f64()));
        }
        let rr = plans.iter().find(|p| p.0 == "round-robin").map(|p| worth(&p.1)).unwrap_or(0.0);
        for (name, plan, seconds) in &plans {
            let v = worth(plan);
            rows.push(Row {
                objective: obj,
                policy: name.clone(),
                true_expected: v,
                capture: (v - rr) / (best_value - rr),
                assigned: plan.assigned(),
                needless_moves: needless(plan),
                seconds: *seconds,
            });
        }
        let best_name = if exact { "optimum-under-truth" } else { "best-under-truth" };
        let n = leads.len() - sol.unplaced();
        for (name, v, secs) in [(best_name, best_value, best_seconds), ("truth-bound", bound, 0.0)] {
            let capture = (v - rr) / (best_value - rr);
            rows.push(Row {
                objective: obj,
                policy: name.into(),
                true_expected: v,
                capture,
                assigned: n,
                needless_moves: 0,
                seconds: secs,
            });
        }
    }
    let spreads: Vec<String> = learned.spreads.iter().map(|s| format!("{:.2} (p {:.3})", s.sd, s.p_value)).collect();
    let note = format!(
        "learned scores and skill in {learn_seconds:.1}s ({}); spreads overall/segments {}; held-out gain {}; {}",
        if learned.out_of_fold { "out of fold" } else { "in sample" },
        spreads.join("/"),
        learned.holdout.map(|h| format!("{:+.1} ± {:.1} on {} deals", h.gain, h.se, h.deals)).unwrap_or("-".into()),
        learned.unused_because.as_deref().map(|w| format!("skill not used: {w}")).unwrap_or("skill used".into())
    );
    Ok((rows, note))
}

/// The crude comparison estimator: per rep × segment value, the log of
/// (wins + 6) / (expected wins + 6) with expected wins from in-sample lead scores; no overall
/// effect; a lead's effect is the sum over its segment values.
fn crude_lift(history: &Table, cfg: &Config, model: &model::Model) -> Result<Skill> {
    let labels = model::labels(history, cfg)?;
    let rep_col = history.column("rep_id").context("the history has no rep_id")?;
    let closed: Vec<usize> =
        (0..history.len()).filter(|&r| labels[r].is_some() && !history.cell(r, rep_col).trim().is_empty()).collect();
    let (x, _) = model.schema.bin_rows(history, cfg, &closed)?;
    let z = model.logit(&x);
    let segs: Vec<(String, usize)> =
        cfg.features.segments.iter().filter_map(|s| history.column(s).map(|c| (s.clone(), c))).collect();
    let mut cells: HashMap<(String, String, String), (f64, f64)> = HashMap::new();
    for (k, &r) in closed.iter().enumerate() {
        let rep = history.cell(r, rep_col).trim().to_string();
        let won = if labels[r] == Some(true) { 1.0 } else { 0.0 };
        let p = 1.0 / (1.0 + (-z[k]).exp());
        for (name, c) in &segs {
            let e = cells.entry((rep.clone(), name.clone(), history.cell(r, *c).trim().to_lowercase())).or_default();
            e.0 += won;
            e.1 += p;
        }
    }
    let zero = Effect { effect: 0.0, sd: 0.0, deals: 0, wins: 0, expected_wins: 0.0 };
    let overall = cells.keys().map(|(rep, _, _)| (rep.clone(), zero)).collect();
    let by_segment =
        cells.into_iter().map(|(k, (w, e))| (k, Effect { effect: ((w + 6.0) / (e + 6.0)).ln(), ..zero })).collect();
    Ok(Skill { segments: segs.into_iter().map(|(s, _)| s).collect(), overall, by_segment, ..Skill::default() })
}
