use std::collections::HashMap;

use leadroute::truth::Truth;

use crate::workdir::{Workdir, repo};

const FILES: [&str; 6] =
    ["history.csv", "leads.csv", "reps.csv", "leadroute.toml", "truth/leads.csv", "truth/rep_effects.csv"];

#[test]
fn same_seed_gives_byte_identical_worlds() {
    let wd = Workdir::new();
    let args = |out: &'static str, seed: &'static str| {
        ["generate", "--out", out, "--seed", seed, "--leads", "700", "--reps", "9", "--history", "45000"]
    };
    wd.run(&args("a", "5"));
    let one_thread = wd.command(&args("b", "5")).env("RAYON_NUM_THREADS", "1").output().unwrap();
    assert!(one_thread.status.success());
    wd.run(&args("c", "6"));
    for f in FILES {
        assert!(
            wd.read(&format!("a/{f}")) == wd.read(&format!("b/{f}")),
            "{f} differs between equal seeds on 1 and many threads"
        );
    }
    assert!(wd.read("a/leads.csv") != wd.read("c/leads.csv"), "another seed, another world");
}

#[test]
fn generated_world_has_the_requested_shape_and_a_usable_truth() {
    let wd = Workdir::new();
    wd.run(&["generate", "--out", "w", "--seed", "11", "--leads", "400", "--reps", "10", "--history", "3000"]);
    let leads = wd.read_csv("w/leads.csv");
    let reps = wd.read_csv("w/reps.csv");
    let history = wd.read_csv("w/history.csv");
    assert_eq!(leads.rows.len(), 400);
    assert_eq!(reps.rows.len(), 10);
    assert_eq!(history.rows.len(), 3000);

    // "NA" (North America) is one of the regions and is written as such.
    assert!(leads.column("region").iter().any(|r| r == "NA"));

    // History names departed reps that are not in reps.csv.
    let current: std::collections::HashSet<String> = reps.column("rep_id").into_iter().collect();
    assert!(history.column("rep_id").iter().any(|r| !r.is_empty() && !current.contains(r)));

    // Every batch lead has a truth and every current rep an effect.
    let truth = Truth::load(&wd.path("w")).unwrap();
    for id in leads.column("lead_id") {
        for rep in reps.column("rep_id") {
            let p = truth.p_win(&id, &rep).unwrap_or_else(|| panic!("no truth for {id} × {rep}"));
            assert!((0.0..=1.0).contains(&p));
        }
    }
    // Outcomes are only won, lost or open, and open deals have no close date.
    let outcome = history.column("outcome");
    let closed = history.column("closed_at");
    for (o, c) in outcome.iter().zip(&closed) {
        assert!(["won", "lost", "open"].contains(&o.as_str()), "{o}");
        assert_eq!(o == "open", c.is_empty());
    }
}

#[test]
fn history_is_confounded_senior_reps_got_the_hot_leads() {
    let wd = Workdir::new();
    wd.run(&["generate", "--out", "w", "--seed", "3", "--leads", "2000", "--reps", "24", "--history", "40000"]);
    let reps = wd.read_csv("w/reps.csv");
    let seniority: HashMap<String, String> = reps.column("rep_id").into_iter().zip(reps.column("seniority")).collect();
    let history = wd.read_csv("w/history.csv");
    let (mut sw, mut sn, mut ow, mut on) = (0.0, 0.0, 0.0, 0.0);
    for (rep, outcome) in history.column("rep_id").iter().zip(history.column("outcome")) {
        let Some(s) = seniority.get(rep) else { continue };
        if outcome == "open" {
            continue;
        }
        let won = if outcome == "won" { 1.0 } else { 0.0 };
        if s == "senior" {
            sw += won;
            sn += 1.0;
        } else {
            ow += won;
            on += 1.0;
        }
    }
    let raw_gap = sw / sn - ow / on;

    // On one common set of leads, the true win probability of seniors is no better.
    let truth = Truth::load(&wd.path("w")).unwrap();
    let leads = wd.read_csv("w/leads.csv").column("lead_id");
    let mean_p = |senior: bool| {
        let reps: Vec<&String> = seniority.iter().filter(|(_, s)| (*s == "senior") == senior).map(|(r, _)| r).collect();
        let total: f64 = reps.iter().flat_map(|r| leads.iter().map(|l| truth.p_win(l, r).unwrap())).sum();
        total / (reps.len() * leads.len()) as f64
    };
    let true_gap = mean_p(true) - mean_p(false);
    assert!(raw_gap > 0.08, "seniors' raw win rate should look much better: gap {raw_gap:.3}");
    assert!(true_gap.abs() < raw_gap / 2.0, "true gap {true_gap:.3} vs raw gap {raw_gap:.3}");
}

#[test]
fn shipped_example_world_is_what_generate_makes() {
    let wd = Workdir::new();
    wd.run(&["generate", "--out", "w", "--seed", "7", "--leads", "300", "--reps", "12", "--history", "3000"]);
    for f in FILES {
        assert!(
            wd.read(&format!("w/{f}")) == std::fs::read(repo(&format!("examples/{f}"))).unwrap(),
            "examples/{f} is stale: regenerate it with the command in examples/README.md"
        );
    }
}
