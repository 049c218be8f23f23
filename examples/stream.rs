//! Routing a day of arrivals one lead at a time, judged against the generated world's truth.
//!
//! ```sh
//! cargo run --release --example stream -- [--seed N] [--arrivals N] [--reps N] [--slack X] [--drift X]
//! cargo run --release --example stream -- --grid
//! ```
//!
//! A world is generated with 2.5 × `--arrivals` leads and its history. The first
//! `--arrivals` leads are the forecast (yesterday's mix): `assign --state-out --forecast`
//! prices every rep's capacity against them. The day's arrivals are drawn from the rest, in
//! file (arrival) order, with the mix drifted: leads of half the industries are kept with
//! probability 1 − `--drift`, so their share falls by about that much. Rep capacities are set
//! so that together they hold `--slack` × the day's arrivals, in proportion to the world's.
//! The day is then routed four ways, each plan scored with the true P(win) × value:
//! the stream (prices, updated after each lead), the same router without prices (greedy:
//! the best expected worth with room), round robin in arrival order, and the batch optimum
//! in hindsight (`assign --policy optimize` on the whole day). capture = (plan − round robin)
//! / (hindsight − round robin). Latency is measured per lead after start-up, in process.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use leadroute::assign::Policy;
use leadroute::assign::optimize::Objective;
use leadroute::cmd::assign::AssignSettings;
use leadroute::cmd::train::TrainSettings;
use leadroute::generate::{GenerateSettings, SkillIn, generate};
use leadroute::model::Params;
use leadroute::progress::{Progress, Stages};
use leadroute::stream::{Router, RoutingState};
use leadroute::truth::Truth;

struct Day {
    arrivals: usize,
    reps: usize,
    slack: f64,
    drift: f64,
    seed: u64,
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
    println!(
        "arrivals,reps,slack,drift,seed,stream,greedy,round_robin,hindsight,capture_stream,capture_greedy,p50_us,p99_us,max_us,startup_ms"
    );
    let days: Vec<Day> = if args.iter().any(|a| a == "--grid") {
        let mut v = Vec::new();
        // `--sizes 2000x40,5000x100`: other arrivals × reps than the grid's three.
        let sizes: Vec<(usize, usize)> = match args.iter().position(|a| a == "--sizes") {
            Some(k) => args[k + 1]
                .split(',')
                .filter_map(|x| x.split_once('x'))
                .filter_map(|(a, r)| Some((a.parse().ok()?, r.parse().ok()?)))
                .collect(),
            None => vec![(2000, 40), (5000, 100), (20000, 200)],
        };
        for &(arrivals, reps) in &sizes {
            for slack in [1.05, 1.15, 1.3] {
                for seed in 1..=get("--seeds", 1.0) as u64 {
                    v.push(Day { arrivals, reps, slack, drift: 0.2, seed });
                }
            }
        }
        v
    } else {
        vec![Day {
            arrivals: get("--arrivals", 2000.0) as usize,
            reps: get("--reps", 40.0) as usize,
            slack: get("--slack", 1.1),
            drift: get("--drift", 0.2),
            seed: get("--seed", 1.0) as u64,
        }]
    };
    for d in &days {
        run_day(d)?;
    }
    Ok(())
}

fn run_day(d: &Day) -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let dir = tempfile::tempdir()?;
    let w = dir.path();
    let n_leads = d.arrivals * 5 / 2;
    generate(
        &GenerateSettings {
            out: w.to_path_buf(),
            seed: d.seed,
            leads: n_leads,
            reps: d.reps,
            history: 20_000,
            skill_spread: 0.5,
            varied_workload: false,
            noise_features: 0,
            skill_in: SkillIn::Both,
            new_reps: 0,
            calendars: None,
        },
        &Progress::hidden(),
    )?;
    // Split the leads: forecast, then the day drawn from the rest with a drifted mix.
    let mut rd = csv::Reader::from_path(w.join("leads.csv"))?;
    let headers = rd.headers()?.clone();
    let owner = headers.iter().position(|h| h == "rep_id");
    let industry = headers.iter().position(|h| h == "industry").context("industry column")?;
    let mut rows: Vec<csv::StringRecord> = rd.records().collect::<Result<_, _>>()?;
    if let Some(o) = owner {
        rows = rows
            .into_iter()
            .map(|r| r.iter().enumerate().map(|(k, c)| if k == o { "" } else { c }).collect())
            .collect();
    }
    let (forecast, rest) = rows.split_at(d.arrivals);
    let mut industries: Vec<&str> = forecast.iter().map(|r| &r[industry]).collect();
    industries.sort_unstable();
    industries.dedup();
    let cut: Vec<&str> = industries.iter().step_by(2).copied().collect();
    let mut day = Vec::with_capacity(d.arrivals);
    let mut state = d.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for r in rest {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let u = (state >> 11) as f64 / (1u64 << 53) as f64;
        if !cut.contains(&&r[industry]) || u >= d.drift {
            day.push(r.clone());
        }
        if day.len() == d.arrivals {
            break;
        }
    }
    let write = |name: &str, rows: &[csv::StringRecord]| -> Result<PathBuf> {
        let p = w.join(name);
        let mut out = csv::Writer::from_path(&p)?;
        out.write_record(&headers)?;
        for r in rows {
            out.write_record(r)?;
        }
        out.flush()?;
        Ok(p)
    };
    let forecast_csv = write("forecast.csv", forecast)?;
    let day_csv = write("day.csv", &day)?;
    // Capacities holding slack × the day's arrivals, in proportion to the world's.
    let mut rr = csv::Reader::from_path(w.join("reps.csv"))?;
    let rh = rr.headers()?.clone();
    let (cap, active) =
        (rh.iter().position(|h| h == "capacity").unwrap(), rh.iter().position(|h| h == "active").unwrap());
    let reps: Vec<csv::StringRecord> = rr.records().collect::<Result<_, _>>()?;
    let total: f64 = reps.iter().filter(|r| &r[active] == "true").map(|r| r[cap].parse::<f64>().unwrap()).sum();
    let scale = d.slack * day.len() as f64 / total;
    let reps_csv = w.join("reps-day.csv");
    {
        let mut out = csv::Writer::from_path(&reps_csv)?;
        out.write_record(&rh)?;
        for r in &reps {
            let c = (r[cap].parse::<f64>()? * scale).ceil().to_string();
            out.write_record(r.iter().enumerate().map(|(k, v)| if k == cap { c.as_str() } else { v }))?;
        }
        out.flush()?;
    }
    let config = w.join("leadroute.toml");
    let model = w.join("model.json");
    let mut warnings = Vec::new();
    leadroute::cmd::train::run(
        &TrainSettings {
            history: w.join("history.csv"),
            config: Some(config.clone()),
            model: model.clone(),
            from: None,
            params: Params::default(),
        },
        &Progress::hidden(),
        &mut warnings,
    )?;
    let assign = |leads: &Path, policy: Policy, out: &str, state_out: Option<PathBuf>| -> Result<PathBuf> {
        let s = AssignSettings {
            leads: leads.to_path_buf(),
            reps: reps_csv.clone(),
            config: Some(config.clone()),
            policy,
            seed: 42,
            out: w.join(out),
            model: Some(model.clone()),
            history: None,
            objective: Objective::Value,
            keep_owners: false,
            current: None,
            move_penalty: None,
            what_if: Vec::new(),
            max_share: None,
            time_limit: None,
            report: None,
            html: None,
            report_leads: 0,
            summary_json: None,
            owner_csv: None,
            state_out,
            expect_arrivals: Some(day.len()),
            forecast: true,
            at: None,
        };
        leadroute::cmd::assign::run(&s, &Progress::hidden(), &mut Vec::new(), &mut Stages::new())?;
        Ok(w.join(out))
    };
    let state_file = w.join("state.json");
    assign(&forecast_csv, Policy::Optimize, "forecast-plan.csv", Some(state_file.clone()))?;
    let hindsight = assign(&day_csv, Policy::Optimize, "hindsight.csv", None)?;
    let round_robin = assign(&day_csv, Policy::RoundRobin, "rr.csv", None)?;
    let truth = Truth::load(w)?;
    let worth = |plan: &Path| -> Result<f64> {
        let mut rd = csv::Reader::from_path(plan)?;
        let mut total = 0.0;
        let values = lead_values(&day_csv)?;
        for r in rd.records() {
            let r = r?;
            if !r[1].is_empty() {
                total += truth.p_win(&r[0], &r[1]).context("truth")? * values[&r[0]];
            }
        }
        Ok(total)
    };
    let state = RoutingState::load(&state_file)?;
    let (hs, rrv) = (worth(&hindsight)?, worth(&round_robin)?);
    let cap = |x: f64| (x - rrv) / (hs - rrv);
    let files = DayFiles { model: &model, reps: &reps_csv, config: &config, day: &day_csv };
    let (stream, lat, startup) = route_day(state.clone(), &files, &truth, 1.0, None)?;
    // `--variants STEP:EVERY:PRIOR,…`: the stream again with its price step × STEP, a
    // re-solve every EVERY arrivals (0: never) and the forecast counting as PRIOR arrivals.
    if let Some(k) = args.iter().position(|a| a == "--variants") {
        for v in args.get(k + 1).map_or("", String::as_str).split(',') {
            let f: Vec<f64> = v.split(':').map(|x| x.parse().unwrap_or(0.0)).collect();
            let resolve = Some((f.get(1).copied().unwrap_or(0.0) as usize, f.get(2).copied().unwrap_or(0.0)));
            let (x, vlat, _) = route_day(state.clone(), &files, &truth, f[0], resolve)?;
            let mut vlat = vlat;
            vlat.sort_by(f64::total_cmp);
            eprintln!(
                "{},{},{},{},variant {v}: capture {:.4}, p99 {:.0} µs, max {:.0} µs",
                day.len(),
                d.reps,
                d.slack,
                d.seed,
                cap(x),
                vlat[(vlat.len() - 1) * 99 / 100],
                vlat.last().copied().unwrap_or(0.0)
            );
        }
    }
    let mut flat = state;
    for r in flat.reps.iter_mut() {
        r.price = 0.0;
    }
    let (greedy, _, _) = route_day(flat, &files, &truth, 0.0, None)?;
    let mut lat = lat;
    lat.sort_by(f64::total_cmp);
    let q = |p: f64| lat[((lat.len() - 1) as f64 * p).round() as usize];
    println!(
        "{},{},{},{},{},{:.0},{:.0},{:.0},{:.0},{:.4},{:.4},{:.1},{:.1},{:.1},{:.1}",
        day.len(),
        d.reps,
        d.slack,
        d.drift,
        d.seed,
        stream,
        greedy,
        rrv,
        hs,
        cap(stream),
        cap(greedy),
        q(0.5),
        q(0.99),
        lat.last().copied().unwrap_or(0.0),
        startup
    );
    std::io::stdout().flush()?;
    Ok(())
}

/// Each lead's deal value.
fn lead_values(day: &Path) -> Result<std::collections::HashMap<String, f64>> {
    let mut rd = csv::Reader::from_path(day)?;
    let h = rd.headers()?.clone();
    let (id, value) = (h.iter().position(|x| x == "lead_id").unwrap(), h.iter().position(|x| x == "value").unwrap());
    rd.records().map(|r| r.map(|r| (r[id].to_string(), r[value].parse().unwrap_or(1.0))).map_err(Into::into)).collect()
}

/// The files a day is routed with.
struct DayFiles<'a> {
    model: &'a Path,
    reps: &'a Path,
    config: &'a Path,
    day: &'a Path,
}

/// Routes the day's leads in order through a router at `state`: the plan's true worth, each
/// lead's routing time (µs) and the start-up time (ms).
fn route_day(
    state: RoutingState,
    f: &DayFiles,
    truth: &Truth,
    step_scale: f64,
    resolve: Option<(usize, f64)>,
) -> Result<(f64, Vec<f64>, f64)> {
    let (model, reps, config, day) = (f.model, f.reps, f.config, f.day);
    let mut rd = csv::Reader::from_path(day)?;
    let headers: Vec<String> = rd.headers()?.iter().map(str::to_string).collect();
    let values = lead_values(day)?;
    let t0 = Instant::now();
    let mut router =
        Router::new(state, model, reps, Some(config), headers, &mut Vec::new())?.with_step_scale(step_scale);
    if step_scale == 0.0 {
        router = router.with_resolve(0, 0.0);
    } else if let Some((every, prior)) = resolve {
        router = router.with_resolve(every, prior);
    }
    let startup = t0.elapsed().as_secs_f64() * 1e3;
    let mut lat = Vec::new();
    let mut total = 0.0;
    for (k, r) in rd.records().enumerate() {
        let cells: Vec<String> = r?.iter().map(str::to_string).collect();
        let t = Instant::now();
        let (a, _) = router.route(cells, k as u64 + 2);
        lat.push(t.elapsed().as_secs_f64() * 1e6);
        if a.cells[2] == "assigned" {
            total += truth.p_win(&a.cells[0], &a.cells[1]).context("truth")? * values[&a.cells[0]];
        }
    }
    Ok((total, lat, startup))
}
