//! What durability costs a stream: every decision synced to the journal before its row goes
//! out, measured on the real binary.
//!
//! ```sh
//! cargo build --release && cargo run --release --example journal -- [--reps 200] [--backlog 100000] [--lone 1000]
//! ```
//!
//! Generates a world (`--reps` reps, `--backlog` + 2,000 leads), trains a model, routes the
//! first 2,000 leads as the night's batch (`assign --state-out`, expecting the backlog), then
//! runs `leadroute stream` twice on that state:
//!
//! - **lone leads**: `--lone` leads fed one at a time, each only after the previous one's row
//!   came back (5 ms apart): the time from writing a lead to reading its row, the journal's
//!   sync included — p50, p99, max;
//! - **backlog**: all `--backlog` leads written at once: leads per second from the first
//!   write to the last row (group commit: one sync per group of up to 1,024 decisions).
//!
//! Prints the figures and the disk's own sync time (a 200-byte append + fsync, 200 times).

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use leadroute::assign::Policy;
use leadroute::assign::optimize::Objective;
use leadroute::cmd::assign::AssignSettings;
use leadroute::cmd::train::TrainSettings;
use leadroute::generate::{GenerateSettings, SkillIn, generate};
use leadroute::model::Params;
use leadroute::progress::{Progress, Stages};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let get = |name: &str, default: usize| -> usize {
        args.iter()
            .position(|a| a == name)
            .and_then(|k| args.get(k + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let (reps, backlog, lone) = (get("--reps", 200), get("--backlog", 100_000), get("--lone", 1000));
    let bin = std::env::current_exe()?.parent().and_then(Path::parent).context("the target folder")?.join("leadroute");
    anyhow::ensure!(bin.exists(), "{} is missing: run cargo build --release first", bin.display());
    let dir = tempfile::tempdir()?;
    let w = dir.path();
    let night = 2000;
    generate(
        &GenerateSettings {
            out: w.to_path_buf(),
            seed: 3,
            leads: night + backlog,
            reps,
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
    let text = std::fs::read_to_string(w.join("leads.csv"))?;
    let lines: Vec<&str> = text.lines().collect();
    std::fs::write(w.join("night.csv"), lines[..=night].join("\n") + "\n")?;
    let day: Vec<String> = lines[night + 1..].iter().map(|l| format!("{l}\n")).collect();
    let header = format!("{}\n", lines[0]);
    let model = w.join("model.json");
    let params = Params { seed: 3, ..Params::default() };
    leadroute::cmd::train::run(
        &TrainSettings {
            history: w.join("history.csv"),
            config: Some(w.join("leadroute.toml")),
            model: model.clone(),
            from: None,
            params,
        },
        &Progress::hidden(),
        &mut Vec::new(),
    )?;
    let state = w.join("state.json");
    let s = AssignSettings {
        leads: w.join("night.csv"),
        reps: w.join("reps.csv"),
        config: Some(w.join("leadroute.toml")),
        policy: Policy::Optimize,
        seed: 3,
        out: w.join("plan.csv"),
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
        report_leads: 20_000,
        summary_json: None,
        owner_csv: None,
        state_out: Some(state.clone()),
        expect_arrivals: Some(backlog),
        forecast: false,
        at: None,
    };
    leadroute::cmd::assign::run(&s, &Progress::hidden(), &mut Vec::new(), &mut Stages::new())?;
    let fresh = std::fs::read(&state)?;
    let stream = || -> Result<std::process::Child> {
        Ok(Command::new(&bin)
            .args(["--quiet", "stream", "--state"])
            .arg(&state)
            .arg("--model")
            .arg(&model)
            .arg("--reps")
            .arg(w.join("reps.csv"))
            .arg("--config")
            .arg(w.join("leadroute.toml"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?)
    };

    // Lone leads: one in flight at a time.
    let mut child = stream()?;
    let mut stdin = child.stdin.take().context("stdin")?;
    let mut out = BufReader::new(child.stdout.take().context("stdout")?);
    let mut row = String::new();
    stdin.write_all(header.as_bytes())?;
    stdin.flush()?;
    out.read_line(&mut row)?;
    let mut lat = Vec::with_capacity(lone);
    for l in day.iter().take(lone) {
        let t = Instant::now();
        stdin.write_all(l.as_bytes())?;
        stdin.flush()?;
        row.clear();
        anyhow::ensure!(out.read_line(&mut row)? > 0, "the stream stopped");
        lat.push(t.elapsed().as_secs_f64() * 1e3);
        std::thread::sleep(Duration::from_millis(5));
    }
    drop(stdin);
    child.wait()?;
    lat.sort_by(f64::total_cmp);
    let q = |p: f64| lat[((lat.len() - 1) as f64 * p).round() as usize];
    println!(
        "lone leads ({reps} reps, {lone} leads, each answered before the next): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        q(0.5),
        q(0.99),
        lat[lat.len() - 1]
    );

    // The backlog, from the night's state again.
    std::fs::write(&state, &fresh)?;
    let _ = std::fs::remove_file(leadroute::stream::Journal::path_of(&state));
    let mut child = stream()?;
    let mut stdin = child.stdin.take().context("stdin")?;
    let out = child.stdout.take().context("stdout")?;
    let t = Instant::now();
    let all: String = std::iter::once(header.clone()).chain(day.iter().cloned()).collect();
    let writer = std::thread::spawn(move || stdin.write_all(all.as_bytes()));
    let rows = BufReader::new(out).lines().count() - 1;
    writer.join().map_err(|_| anyhow::anyhow!("writer"))??;
    child.wait()?;
    let secs = t.elapsed().as_secs_f64();
    println!("backlog: {rows} leads in {secs:.2} s, {:.0} leads per second", rows as f64 / secs);

    // The disk's own sync, for scale.
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(w.join("sync.test"))?;
    let mut syncs = Vec::new();
    for _ in 0..200 {
        let t = Instant::now();
        f.write_all(&[b'x'; 200])?;
        f.sync_data()?;
        syncs.push(t.elapsed().as_secs_f64() * 1e3);
    }
    syncs.sort_by(f64::total_cmp);
    println!("disk: append + fsync p50 {:.2} ms, p99 {:.2} ms", syncs[100], syncs[198]);
    Ok(())
}
