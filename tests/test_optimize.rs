//! `--policy optimize`: rules kept, better than round robin under the hidden truth,
//! deterministic, and its options honoured.

use std::collections::HashMap;

use leadroute::truth::Truth;

use crate::test_assign::verify;
use crate::workdir::{Csv, Workdir};

fn world(wd: &Workdir, seed: &str) {
    wd.run(&[
        "generate",
        "--out",
        "w",
        "--seed",
        seed,
        "--leads",
        "400",
        "--reps",
        "10",
        "--history",
        "8000",
        "--skill-spread",
        "0.8",
    ]);
}

fn assign(wd: &Workdir, out: &str, extra: &[&str]) -> Csv {
    let mut args =
        vec!["assign", "--leads", "w/leads.csv", "--reps", "w/reps.csv", "--config", "w/leadroute.toml", "--out", out];
    args.extend_from_slice(extra);
    wd.run(&args);
    wd.read_csv(out)
}

/// Σ true P(win) of a plan.
fn true_wins(wd: &Workdir, plan: &Csv) -> f64 {
    let truth = Truth::load(&wd.path("w")).unwrap();
    plan.rows.iter().filter(|r| !r[1].is_empty()).map(|r| truth.p_win(&r[0], &r[1]).unwrap()).sum()
}

#[test]
fn optimize_keeps_the_rules_and_beats_round_robin_under_the_truth() {
    let wd = Workdir::new();
    world(&wd, "31");
    let leads = wd.read_csv("w/leads.csv");
    let reps = wd.read_csv("w/reps.csv");
    let opt = assign(&wd, "opt.csv", &["--history", "w/history.csv", "--objective", "wins"]);
    verify(&leads, &reps, &opt, Some(("region", "territories")));
    let rr = assign(&wd, "rr.csv", &["--policy", "round-robin"]);
    let (o, r) = (true_wins(&wd, &opt), true_wins(&wd, &rr));
    assert!(o > 1.05 * r, "optimize {o:.1} true wins vs round robin {r:.1}");
    // Every assigned lead says why, with its p_win and a runner-up.
    for row in opt.rows.iter().filter(|r| r[2] == "assigned") {
        let p: f64 = row[5].parse().unwrap();
        assert!((0.0..=1.0).contains(&p));
        assert!(row[8].contains(&row[1]) && row[8].contains("p_win"), "{row:?}");
    }
}

#[test]
fn optimize_is_byte_identical_across_threads() {
    let wd = Workdir::new();
    world(&wd, "32");
    for (out, threads) in [("a.csv", "1"), ("b.csv", "2")] {
        let o = wd
            .command(&[
                "assign",
                "--leads",
                "w/leads.csv",
                "--reps",
                "w/reps.csv",
                "--config",
                "w/leadroute.toml",
                "--history",
                "w/history.csv",
                "--out",
                out,
            ])
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    assert!(wd.read("a.csv") == wd.read("b.csv"), "plans differ between 1 and 2 threads");
}

#[test]
fn optimize_needs_a_history_or_a_model() {
    let wd = Workdir::new();
    world(&wd, "33");
    let err = wd.fail(
        &["assign", "--leads", "w/leads.csv", "--reps", "w/reps.csv", "--config", "w/leadroute.toml", "--out", "o.csv"],
        2,
    );
    assert!(err.contains("--history"), "{err}");
    assert!(!wd.exists("o.csv"));
}

#[test]
fn keep_owners_and_max_share_are_honoured() {
    let wd = Workdir::new();
    world(&wd, "34");
    let leads = wd.read_csv("w/leads.csv");
    let kept = assign(&wd, "k.csv", &["--history", "w/history.csv", "--keep-owners"]);
    let owners: Vec<(String, String)> =
        leads.column("lead_id").into_iter().zip(leads.column("rep_id")).filter(|(_, o)| !o.is_empty()).collect();
    assert!(!owners.is_empty());
    let got: HashMap<String, String> = kept.column("lead_id").into_iter().zip(kept.column("rep_id")).collect();
    for (lead, owner) in &owners {
        assert_eq!(&got[lead], owner, "lead {lead} keeps its owner");
    }
    let capped = assign(&wd, "m.csv", &["--history", "w/history.csv", "--max-share", "0.12"]);
    let mut per_rep: HashMap<String, usize> = HashMap::new();
    for r in capped.column("rep_id").into_iter().filter(|r| !r.is_empty()) {
        *per_rep.entry(r).or_default() += 1;
    }
    let cap = (0.12f64 * leads.rows.len() as f64).ceil() as usize;
    assert!(per_rep.values().all(|&n| n <= cap), "{per_rep:?} over {cap}");
}
