//! `backtest`: scores, skill and policies judged on held-out history, the gates that fail a
//! CI job, and the same report at any thread count.

use serde_json::Value;

use crate::workdir::{Workdir, number};

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
    wd.world("61", "300", "8000");
    let (json, stdout, _) = backtest(&wd, "w/leadroute.toml", &["--json", "bt.json", "--report", "bt.md"], 0);
    let b = json.unwrap();
    assert_eq!(b["format"], "leadroute-backtest");
    let (won, closed) = recent_wins(&wd);
    assert_eq!(b["split"]["test_closed"].as_u64().unwrap() as usize, closed);
    let auc = number(&b["scoring"]["auc"]);
    assert!(auc > 0.6 && auc <= 1.0, "auc {auc}");
    // Knowing the rep must help on a world where reps really differ.
    assert!(number(&b["skill"]["gain"]) > 0.0, "skill gain {}", b["skill"]);
    // The spreads the report's model section shows: overall, then one per segment column;
    // the world's skill lies by industry, and the history is long enough to tell.
    let spreads = b["skill"]["spreads"].as_array().unwrap();
    let over: Vec<&str> = spreads.iter().map(|s| s["over"].as_str().unwrap()).collect();
    assert_eq!(over, ["overall", "by industry", "by company_size"]);
    assert!(number(&spreads[1]["p_value"]) < 0.05, "{}", spreads[1]);
    let policies = b["policies"].as_array().unwrap();
    let names: Vec<&str> = policies.iter().map(|p| p["policy"].as_str().unwrap()).collect();
    assert_eq!(names, ["optimize", "round-robin", "least-loaded", "actual"]);
    for p in policies {
        let (lo, est, hi) = (number(&p["wins"]["low"]), number(&p["wins"]["estimate"]), number(&p["wins"]["high"]));
        assert!(lo <= est && est <= hi && lo < hi, "{p}");
        assert!(p["assigned"].as_u64().unwrap() as usize <= closed);
    }
    // What really happened is the observed count of wins.
    assert_eq!(number(&policies[3]["wins"]["estimate"]), won as f64);
    // Optimize beats round robin here, and the estimate says so.
    let (opt, rr) = (number(&policies[0]["wins"]["estimate"]), number(&policies[1]["wins"]["estimate"]));
    assert!(opt > rr, "optimize {opt} vs round robin {rr}");
    assert!((number(&b["uplift_wins"]["estimate"]) - (opt / rr - 1.0)).abs() < 1e-9);
    assert!(stdout.contains("expected wins: optimize"), "{stdout}");
    let report = String::from_utf8(wd.read("bt.md")).unwrap();
    for part in ["## Model quality", "## Rep skill on held-out deals", "doubly robust", "## Assumptions", "## Run"] {
        assert!(report.contains(part), "report lacks {part}");
    }
    // Same inputs and seed: byte-identical JSON.
    backtest(&wd, "w/leadroute.toml", &["--json", "bt2.json"], 0);
    assert_eq!(wd.read("bt.json"), wd.read("bt2.json"));
}

#[test]
fn the_gate_catches_a_config_that_ignores_skill() {
    let wd = Workdir::new();
    wd.world("62", "300", "8000");
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
    wd.world("63", "300", "4000");
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

#[test]
fn backtest_is_identical_at_any_thread_count() {
    let wd = Workdir::new();
    wd.world("70", "300", "4000");
    for (threads, out) in [("1", "t1.json"), ("2", "t2.json")] {
        backtest(&wd, "w/leadroute.toml", &["--threads", threads, "--json", out], 0);
    }
    assert_eq!(wd.read("t1.json"), wd.read("t2.json"));
}
