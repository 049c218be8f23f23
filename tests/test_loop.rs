//! Closing the loop: `backtest` and its gates, continued training, drift and age warnings,
//! ad-hoc reassignment (`--current`, `--lock`, `--move-penalty`) and `--what-if`.

use serde_json::Value;

use crate::workdir::{Csv, Workdir};

fn world(wd: &Workdir, seed: &str, history: &str) {
    wd.world(seed, "300", history);
}

fn backtest(wd: &Workdir, config: &str, extra: &[&str], code: i32) -> (Option<Value>, String, String) {
    let mut args = vec![
        "backtest",
        "--history",
        "w/history.csv",
        "--reps",
        "w/reps.csv",
        "--config",
        config,
        "--test-fraction",
        "0.25",
        "--bootstrap",
        "200",
    ];
    args.extend_from_slice(extra);
    let out = wd.run_expect(&args, code);
    let json = args
        .iter()
        .position(|a| *a == "--json")
        .map(|i| serde_json::from_slice::<Value>(&wd.read(args[i + 1])).expect("backtest JSON parses"));
    (json, String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// Won deals among the most recent quarter of the history, counted here independently.
fn recent_wins(wd: &Workdir) -> (usize, usize) {
    let h = wd.read_csv("w/history.csv");
    let (c, o) = (h.col("created_at"), h.col("outcome"));
    let mut rows: Vec<&Vec<String>> = h.rows.iter().collect();
    rows.sort_by(|a, b| a[c].cmp(&b[c]));
    let n_test = (rows.len() as f64 * 0.25).round() as usize;
    let test = &rows[rows.len() - n_test..];
    let closed = test.iter().filter(|r| r[o] == "won" || r[o] == "lost").count();
    (test.iter().filter(|r| r[o] == "won").count(), closed)
}

#[test]
fn backtest_judges_scores_skill_and_policies_on_held_out_history() {
    let wd = Workdir::new();
    world(&wd, "61", "8000");
    let (json, stdout, _) = backtest(&wd, "w/leadroute.toml", &["--json", "bt.json", "--report", "bt.md"], 0);
    let b = json.unwrap();
    assert_eq!(b["format"], "leadroute-backtest");
    let (won, closed) = recent_wins(&wd);
    assert_eq!(b["split"]["test_closed"].as_u64().unwrap() as usize, closed);
    let auc = f(&b["scoring"]["auc"]);
    assert!(auc > 0.6 && auc <= 1.0, "auc {auc}");
    // Knowing the rep must help on a world where reps really differ.
    assert!(f(&b["skill"]["gain"]) > 0.0, "skill gain {}", b["skill"]);
    let policies = b["policies"].as_array().unwrap();
    let names: Vec<&str> = policies.iter().map(|p| p["policy"].as_str().unwrap()).collect();
    assert_eq!(names, ["optimize", "round-robin", "least-loaded", "actual"]);
    for p in policies {
        let (lo, est, hi) = (f(&p["wins"]["low"]), f(&p["wins"]["estimate"]), f(&p["wins"]["high"]));
        assert!(lo <= est && est <= hi && lo < hi, "{p}");
        assert!(p["assigned"].as_u64().unwrap() as usize <= closed);
    }
    // What really happened is the observed count of wins.
    assert_eq!(f(&policies[3]["wins"]["estimate"]), won as f64);
    // Optimize beats round robin here, and the estimate says so.
    let (opt, rr) = (f(&policies[0]["wins"]["estimate"]), f(&policies[1]["wins"]["estimate"]));
    assert!(opt > rr, "optimize {opt} vs round robin {rr}");
    assert!((f(&b["uplift_wins"]["estimate"]) - (opt / rr - 1.0)).abs() < 1e-9);
    assert!(stdout.contains("expected wins: optimize"), "{stdout}");
    let report = String::from_utf8(wd.read("bt.md")).unwrap();
    for part in
        ["## Lead scores on held-out deals", "## Rep skill on held-out deals", "doubly robust", "## Assumptions"]
    {
        assert!(report.contains(part), "report lacks {part}");
    }
    // Same inputs and seed: byte-identical JSON.
    backtest(&wd, "w/leadroute.toml", &["--json", "bt2.json"], 0);
    assert_eq!(wd.read("bt.json"), wd.read("bt2.json"));
}

#[test]
fn the_gate_catches_a_config_that_ignores_skill() {
    let wd = Workdir::new();
    world(&wd, "62", "8000");
    let (base, _, _) = backtest(&wd, "w/leadroute.toml", &["--json", "base.json", "--min-uplift", "0.02"], 0);
    let base = base.unwrap();
    assert!(base["gates"][0]["passed"].as_bool().unwrap());
    // The same config against its own baseline passes every figure.
    backtest(&wd, "w/leadroute.toml", &["--baseline", "base.json"], 0);
    let damaged = format!("{}\n[skill]\nenabled = false\n", String::from_utf8(wd.read("w/leadroute.toml")).unwrap());
    wd.create("damaged.toml", damaged);
    let (json, _, stderr) =
        backtest(&wd, "damaged.toml", &["--json", "bad.json", "--baseline", "base.json", "--min-uplift", "0.02"], 3);
    assert!(stderr.contains("quality gate failed"), "{stderr}");
    // Held-out p_win log loss is what reliably shows the lost skill; the policy estimates
    // are noisier (the report gives their intervals).
    assert!(stderr.contains("baseline p_win log loss"), "{stderr}");
    // The JSON is still written, with the failed gates in it.
    let bad = json.unwrap();
    let failed: Vec<&str> = bad["gates"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| !g["passed"].as_bool().unwrap())
        .map(|g| g["gate"].as_str().unwrap())
        .collect();
    assert!(failed.len() >= 2, "{failed:?}");
}

#[test]
fn gates_say_which_and_by_how_much() {
    let wd = Workdir::new();
    world(&wd, "63", "4000");
    let stderr = backtest(&wd, "w/leadroute.toml", &["--min-auc", "0.999"], 3).2;
    assert!(stderr.contains("min-auc is 0."), "{stderr}");
    assert!(stderr.contains("below its threshold 0.9990"), "{stderr}");
    // A baseline that is not a backtest file is an input error, not a gate failure.
    wd.create("nonsense.json", "{\"format\": \"something else\"}");
    let stderr = backtest(&wd, "w/leadroute.toml", &["--baseline", "nonsense.json"], 1).2;
    assert!(stderr.contains("nonsense.json"), "{stderr}");
    // Bad flags are usage errors.
    wd.run_expect(&["backtest", "--history", "w/history.csv", "--reps", "w/reps.csv"], 2);
    backtest(&wd, "w/leadroute.toml", &["--test-fraction", "1.5"], 2);
}

/// `assign` on the world's batch, reps and config, then `extra`.
fn assign_args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["assign", "--leads", "w/leads.csv", "--reps", "w/reps.csv", "--config", "w/leadroute.toml"];
    args.extend_from_slice(extra);
    args
}

fn assign(wd: &Workdir, out: &str, extra: &[&str]) -> (Csv, String) {
    let mut args = assign_args(&["--history", "w/history.csv", "--out", out]);
    args.extend_from_slice(extra);
    let o = wd.run(&args);
    (wd.read_csv(out), String::from_utf8_lossy(&o.stderr).into_owned())
}

/// Today's owners: every third lead, given in turn to the reps whose territories cover it.
fn current_owners(wd: &Workdir) -> Vec<(String, String)> {
    let leads = wd.read_csv("w/leads.csv");
    let reps = wd.read_csv("w/reps.csv");
    let (ids, terr) = (reps.column("rep_id"), reps.column("territories"));
    let region = leads.col("region");
    let covers = |t: &str, g: &str| t.trim() == "*" || t.split(';').any(|x| x.trim().eq_ignore_ascii_case(g));
    let mut owned = Vec::new();
    for (k, row) in leads.rows.iter().enumerate().step_by(3) {
        let eligible: Vec<&String> =
            ids.iter().zip(&terr).filter(|(_, t)| covers(t, &row[region])).map(|(i, _)| i).collect();
        if !eligible.is_empty() {
            owned.push((row[0].clone(), eligible[k % eligible.len()].clone()));
        }
    }
    let mut text = String::from("lead_id,rep_id\n");
    for (l, r) in &owned {
        text.push_str(&format!("{l},{r}\n"));
    }
    wd.create("current.csv", text);
    owned
}

#[test]
fn lock_keeps_owners_and_every_move_is_explained() {
    let wd = Workdir::new();
    world(&wd, "64", "4000");
    let owned = current_owners(&wd);
    let (free, _) = assign(&wd, "free.csv", &["--current", "current.csv", "--summary-json", "free.json"]);
    let (locked, _) = assign(&wd, "locked.csv", &["--current", "current.csv", "--lock", "--report", "locked.md"]);
    let rep_of =
        |plan: &Csv, lead: &str| -> String { plan.rows.iter().find(|r| r[0] == lead).map(|r| r[1].clone()).unwrap() };
    let why_of = |plan: &Csv, lead: &str| -> String {
        let c = plan.col("explanation");
        plan.rows.iter().find(|r| r[0] == lead).map(|r| r[c].clone()).unwrap()
    };
    let (mut kept, mut moved_locked) = (0, 0);
    for (lead, owner) in &owned {
        if rep_of(&locked, lead) == *owner {
            kept += 1;
            assert!(why_of(&locked, lead).starts_with("Kept with its current owner"), "{}", why_of(&locked, lead));
        } else {
            moved_locked += 1;
            // Under --lock a lead leaves only when its owner cannot keep it.
            let why = why_of(&locked, lead);
            assert!(why.starts_with(&format!("Moved from {owner}: its current owner {owner} ")), "{lead}: {why}");
        }
    }
    assert!(kept > owned.len() / 2, "kept {kept} of {}", owned.len());
    let report = String::from_utf8(wd.read("locked.md")).unwrap();
    if moved_locked > 0 {
        assert!(report.contains("## Leads that move"));
        assert!(report.contains(&format!("{moved_locked} leads leave their current owner")), "{moved_locked}");
    }
    // Without --lock the optimizer moves more, and the summary lists each move.
    let summary: Value = serde_json::from_slice(&wd.read("free.json")).unwrap();
    let moves = summary["moves"].as_array().unwrap();
    let moved_free = owned.iter().filter(|(l, o)| rep_of(&free, l) != *o).count();
    assert_eq!(moves.len(), moved_free);
    assert!(moved_free > moved_locked, "free {moved_free} vs locked {moved_locked}");
    for m in moves {
        let lead = m["lead_id"].as_str().unwrap();
        assert!(why_of(&free, lead).starts_with(&format!("Moved from {}", m["from"].as_str().unwrap())));
        assert!(!m["why"].as_str().unwrap().is_empty());
    }
}

#[test]
fn a_move_penalty_trades_gain_for_stability() {
    let wd = Workdir::new();
    world(&wd, "65", "4000");
    let owned = current_owners(&wd);
    let moved = |plan: &Csv| owned.iter().filter(|(l, o)| plan.rows.iter().any(|r| r[0] == *l && r[1] != *o)).count();
    let value = |plan: &Csv| -> f64 {
        let v = plan.col("expected_value");
        plan.rows.iter().filter_map(|r| r[v].parse::<f64>().ok()).sum()
    };
    let (zero, _) = assign(&wd, "p0.csv", &["--current", "current.csv", "--move-penalty", "0"]);
    let (some, _) = assign(&wd, "p1.csv", &["--current", "current.csv", "--move-penalty", "2000"]);
    let (huge, _) = assign(&wd, "p2.csv", &["--current", "current.csv", "--move-penalty", "1e12"]);
    let (m0, m1, m2) = (moved(&zero), moved(&some), moved(&huge));
    assert!(m0 >= m1 && m1 >= m2, "moves {m0} ≥ {m1} ≥ {m2}");
    assert!(m0 > m2, "a penalty must keep some leads: {m0} vs {m2}");
    // Staying costs expected value.
    assert!(value(&zero) >= value(&huge) * 0.999, "{} vs {}", value(&zero), value(&huge));
    // With a prohibitive penalty only leads their owner cannot keep move.
    let c = huge.col("explanation");
    for row in huge.rows.iter().filter(|r| r[c].starts_with("Moved from")) {
        assert!(row[c].contains("its current owner"), "{row:?}");
    }
    // A rule policy has no gain to weigh: usage error.
    let err = wd.fail(
        &assign_args(&[
            "--policy",
            "round-robin",
            "--current",
            "current.csv",
            "--move-penalty",
            "5",
            "--out",
            "rr.csv",
        ]),
        2,
    );
    assert!(err.contains("--move-penalty"), "{err}");
    assert!(!wd.exists("rr.csv"));
}

#[test]
fn what_if_reports_the_change_against_the_plan() {
    let wd = Workdir::new();
    world(&wd, "66", "4000");
    let (plan, stderr) = assign(
        &wd,
        "plan.csv",
        &[
            "--what-if",
            "R001:active=false",
            "--what-if",
            "R002:capacity=+5",
            "--summary-json",
            "s.json",
            "--report",
            "r.md",
        ],
    );
    let s: Value = serde_json::from_slice(&wd.read("s.json")).unwrap();
    let w = s["what_if"].as_array().unwrap();
    assert_eq!(w.len(), 2);
    assert_eq!(w[0]["change"], "R001:active=false");
    let r001 = plan.rows.iter().filter(|r| r[1] == "R001").count();
    // Every lead R001 had must go elsewhere (or nowhere).
    assert!(w[0]["leads_changing_rep"].as_u64().unwrap() as usize >= r001, "{}", w[0]);
    assert!(f(&w[0]["expected_wins_change"]) <= 1e-9 || r001 == 0, "{}", w[0]);
    // More capacity cannot make the optimum worse (up to the optimizer's tolerance).
    let base_value = f(&s["expected_value"]);
    assert!(f(&w[1]["expected_value_change"]) >= -1e-3 * base_value, "{}", w[1]);
    assert!(stderr.contains("what-if R001:active=false:"), "{stderr}");
    assert!(String::from_utf8(wd.read("r.md")).unwrap().contains("## What if"));
    // An unknown rep or a malformed change is a usage error.
    for bad in ["R999:capacity=+1", "R001:capacity=lots"] {
        let err = wd.fail(&assign_args(&["--policy", "round-robin", "--what-if", bad, "--out", "bad.csv"]), 2);
        assert!(err.contains(bad), "{err}");
        assert!(!wd.exists("bad.csv"));
    }
}

/// Splits the history in two by time: (older, newer) file names.
fn split_history(wd: &Workdir) {
    let h = wd.read_csv("w/history.csv");
    let c = h.col("created_at");
    let mut rows = h.rows.clone();
    rows.sort_by(|a, b| a[c].cmp(&b[c]));
    let half = rows.len() / 2;
    for (name, part) in [("old.csv", &rows[..half]), ("new.csv", &rows[half..])] {
        let mut w = csv::Writer::from_path(wd.path(name)).unwrap();
        w.write_record(&h.headers).unwrap();
        for r in part {
            w.write_record(r).unwrap();
        }
        w.flush().unwrap();
    }
}

#[test]
fn train_continues_an_earlier_model_and_keeps_its_history() {
    let wd = Workdir::new();
    world(&wd, "67", "8000");
    split_history(&wd);
    wd.run(&["train", "--history", "old.csv", "--config", "w/leadroute.toml", "--model", "m1.json"]);
    let out = wd.run(&[
        "train",
        "--history",
        "new.csv",
        "--config",
        "w/leadroute.toml",
        "--from",
        "m1.json",
        "--model",
        "m2.json",
    ]);
    let m1: Value = serde_json::from_slice(&wd.read("m1.json")).unwrap();
    let m2: Value = serde_json::from_slice(&wd.read("m2.json")).unwrap();
    assert_eq!(m1["history"].as_array().unwrap().len(), 1);
    let h2 = m2["history"].as_array().unwrap();
    assert_eq!(h2.len(), 2);
    assert_eq!(h2[0], m1["history"][0]);
    assert_ne!(h2[1]["data_sha256"], h2[0]["data_sha256"]);
    // Same features; the old trees kept, new ones on top.
    assert_eq!(m1["schema"], m2["schema"]);
    let (t1, t2) = (m1["trees"].as_array().unwrap().len(), m2["trees"].as_array().unwrap().len());
    assert_eq!(t2, t1 + h2[1]["new_trees"].as_u64().unwrap() as usize);
    assert_eq!(m2["trees"][0], m1["trees"][0]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("training history"));
    // The continued model scores leads like any other.
    wd.run(&[
        "score",
        "--leads",
        "w/leads.csv",
        "--model",
        "m2.json",
        "--config",
        "w/leadroute.toml",
        "--out",
        "s.csv",
    ]);
    assert_eq!(wd.read_csv("s.csv").rows.len(), 300);
}

#[test]
fn assign_warns_about_a_stale_model_and_drifted_features() {
    let wd = Workdir::new();
    world(&wd, "68", "4000");
    // Trained "in 2020".
    let out = wd
        .command(&["train", "--history", "w/history.csv", "--config", "w/leadroute.toml", "--model", "m.json"])
        .env("SOURCE_DATE_EPOCH", "1577836800")
        .output()
        .unwrap();
    assert!(out.status.success());
    let run = |leads: &str, out: &str, epoch: &str| -> String {
        let mut args = assign_args(&["--model", "m.json"]);
        args[2] = leads;
        args.extend_from_slice(&["--policy", "round-robin", "--out", out, "--report", "r.md"]);
        let o = wd.command(&args).env("SOURCE_DATE_EPOCH", epoch).output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    // Ten days later, same population: no warning.
    let quiet = run("w/leads.csv", "a.csv", "1578700800");
    assert!(!quiet.contains("trained") && !quiet.contains("drifted"), "{quiet}");
    // A year later: stale, and the report says so too.
    let stale = run("w/leads.csv", "b.csv", "1609459200");
    assert!(stale.contains("was trained 366 days ago"), "{stale}");
    assert!(String::from_utf8(wd.read("r.md")).unwrap().contains("was trained 366 days ago"));
    // Every lead now has many page views: that feature has drifted.
    let mut leads = wd.read_csv("w/leads.csv");
    let c = leads.col("page_views");
    for r in leads.rows.iter_mut() {
        r[c] = "400".into();
    }
    let mut w = csv::Writer::from_path(wd.path("drifted.csv")).unwrap();
    w.write_record(&leads.headers).unwrap();
    for r in &leads.rows {
        w.write_record(r).unwrap();
    }
    w.flush().unwrap();
    let drifted = run("drifted.csv", "c.csv", "1578700800");
    assert!(drifted.contains("drifted since training") && drifted.contains("page_views"), "{drifted}");
}

#[test]
fn large_batches_cut_the_per_lead_sections_and_say_where_the_rest_are() {
    let wd = Workdir::new();
    world(&wd, "69", "4000");
    let (plan, _) = assign(&wd, "plan.csv", &["--report", "r.md", "--html", "r.html", "--report-leads", "40"]);
    let md = String::from_utf8(wd.read("r.md")).unwrap();
    let every = &md[md.find("## Every lead").unwrap()..];
    let rows =
        every.lines().filter(|l| l.starts_with("| ") && !l.starts_with("| lead ") && !l.starts_with("| ---")).count();
    assert_eq!(rows, 40, "{every}");
    assert!(every.contains("The batch has 300 leads; the per-lead sections show the 40 of highest priority"));
    assert!(every.contains("plan.csv"));
    // The rows shown are the 40 best-ranked leads.
    let rank = plan.col("rank");
    for row in plan.rows.iter().filter(|r| r[rank].parse::<usize>().unwrap() <= 40) {
        assert!(every.contains(&format!("| {} |", row[0])), "{} missing", row[0]);
    }
    // Work queues say how many more each rep has.
    assert!(md.contains("more leads of lower priority"));
    let html = String::from_utf8(wd.read("r.html")).unwrap();
    assert!(html.contains("the per-lead sections show the 40 of highest priority"));
}

#[test]
fn backtest_is_identical_at_any_thread_count() {
    let wd = Workdir::new();
    world(&wd, "70", "4000");
    for (threads, out) in [("1", "t1.json"), ("2", "t2.json")] {
        backtest(&wd, "w/leadroute.toml", &["--threads", threads, "--json", out], 0);
    }
    assert_eq!(wd.read("t1.json"), wd.read("t2.json"));
}

#[test]
fn a_model_file_carries_rep_skill_to_assign() {
    let wd = Workdir::new();
    world(&wd, "71", "6000");
    wd.run(&["train", "--history", "w/history.csv", "--config", "w/leadroute.toml", "--model", "m.json"]);
    let m: Value = serde_json::from_slice(&wd.read("m.json")).unwrap();
    assert!(m["skill"]["overall"].as_array().is_some_and(|o| o.len() >= 10), "{}", m["skill"]);
    let out = wd.run(&assign_args(&["--model", "m.json", "--out", "a.csv"]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("p_win is the lead score for every rep"), "{stderr}");
    // p_win depends on the rep: the chosen rep and the runner-up differ for some lead.
    let plan = wd.read_csv("a.csv");
    let (p, ru) = (plan.col("p_win"), plan.col("runner_up_p_win"));
    assert!(plan.rows.iter().any(|r| !r[ru].is_empty() && r[p] != r[ru]));
    // Twice the same model file and batch: the same bytes.
    wd.run(&assign_args(&["--model", "m.json", "--out", "b.csv"]));
    assert_eq!(wd.read("a.csv"), wd.read("b.csv"));
}
