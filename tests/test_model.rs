//! Training and scoring: the model learns the generated world's known drivers, names them
//! with the right sign, refuses histories it cannot learn from, and its file is checked.

use std::collections::HashMap;

use crate::workdir::Workdir;

/// A generated world with a trained model in `w/model.json`.
fn trained_world(seed: &str) -> Workdir {
    let wd = Workdir::new();
    wd.run(&["generate", "--out", "w", "--seed", seed, "--leads", "800", "--reps", "12", "--history", "6000"]);
    wd.run(&["train", "--history", "w/history.csv", "--config", "w/leadroute.toml", "--model", "w/model.json"]);
    wd
}

fn score(wd: &Workdir, out: &str) {
    wd.run(&[
        "score",
        "--leads",
        "w/leads.csv",
        "--model",
        "w/model.json",
        "--config",
        "w/leadroute.toml",
        "--out",
        out,
    ]);
}

/// Parses `name=value +0.21; …` into (name, value, signed contribution).
fn factors(cell: &str) -> Vec<(String, String, f64)> {
    cell.split("; ")
        .filter(|s| !s.is_empty())
        .map(|f| {
            let (nv, c) = f.rsplit_once(' ').unwrap();
            let (n, v) = nv.split_once('=').unwrap();
            (n.to_string(), v.to_string(), c.parse().unwrap())
        })
        .collect()
}

#[test]
fn factors_name_the_known_drivers_with_the_right_sign() {
    let wd = trained_world("21");
    score(&wd, "scores.csv");
    let out = wd.read_csv("scores.csv");
    assert_eq!(out.headers, ["lead_id", "score", "rank", "tier", "top_factors"]);
    let (mut demo_yes, mut demo_no, mut outbound, mut referral) = (vec![], vec![], vec![], vec![]);
    for cell in out.column("top_factors") {
        for (name, value, c) in factors(&cell) {
            match (name.as_str(), value.as_str()) {
                ("demo_requested", "yes") => demo_yes.push(c),
                ("demo_requested", "no") => demo_no.push(c),
                ("lead_source", "outbound") => outbound.push(c),
                ("lead_source", "referral") => referral.push(c),
                _ => {}
            }
        }
    }
    // The truth: a demo request adds 0.8 log-odds, outbound takes 0.7 away, referral adds 0.9.
    assert!(demo_yes.len() > 20 && demo_yes.iter().all(|&c| c > 0.0), "demo=yes: {demo_yes:?}");
    assert!(demo_no.iter().all(|&c| c < 0.0), "demo=no: {demo_no:?}");
    assert!(outbound.len() > 20 && outbound.iter().all(|&c| c < 0.0), "outbound: {outbound:?}");
    assert!(referral.iter().all(|&c| c > 0.0), "referral: {referral:?}");
    // Noise-free id columns never appear.
    assert!(out.column("top_factors").iter().all(|c| !c.contains("email=")));
}

#[test]
fn scores_rank_tier_and_track_the_truth() {
    let wd = trained_world("22");
    score(&wd, "scores.csv");
    let out = wd.read_csv("scores.csv");
    let n = out.rows.len();
    let scores: Vec<f64> = out.column("score").iter().map(|s| s.parse().unwrap()).collect();
    let ranks: Vec<usize> = out.column("rank").iter().map(|s| s.parse().unwrap()).collect();
    let tiers = out.column("tier");
    for i in 0..n {
        for j in 0..n {
            if scores[i] > scores[j] {
                assert!(ranks[i] < ranks[j], "rank follows score");
            }
        }
        let expected = ["A", "B", "C", "D"][((ranks[i] - 1) * 4 / n).min(3)];
        assert_eq!(tiers[i], expected);
    }
    // Scores rank leads much as their true base log-odds do.
    let truth = leadroute::truth::Truth::load(&wd.path("w")).unwrap();
    let ids = out.column("lead_id");
    let base: Vec<f64> = ids.iter().map(|id| truth.base_logit(id).unwrap()).collect();
    let won: Vec<bool> = {
        let mut sorted = base.clone();
        sorted.sort_by(f64::total_cmp);
        let median = sorted[n / 2];
        base.iter().map(|&b| b > median).collect()
    };
    let auc = leadroute::model::metrics::auc(&scores, &won).unwrap();
    assert!(auc > 0.8, "scores separate truly hot from cold leads: AUC {auc:.3}");
}

#[test]
fn training_and_scoring_are_deterministic_across_threads() {
    let wd = Workdir::new();
    wd.run(&["generate", "--out", "w", "--seed", "5", "--leads", "300", "--reps", "8", "--history", "3000"]);
    let train = |model: &str, threads: &str| {
        let out = wd
            .command(&["train", "--history", "w/history.csv", "--config", "w/leadroute.toml", "--model", model])
            .env("SOURCE_DATE_EPOCH", "1767225600")
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    };
    train("a.json", "1");
    train("b.json", "2");
    assert!(wd.read("a.json") == wd.read("b.json"), "model files differ between 1 and 2 threads");
    let text = String::from_utf8(wd.read("a.json")).unwrap();
    assert!(text.contains("\"trained_at\":\"2026-01-01T00:00:00Z\""), "SOURCE_DATE_EPOCH sets the training time");
    for (out, threads) in [("s1.csv", "1"), ("s2.csv", "2")] {
        let o = wd
            .command(&[
                "score",
                "--leads",
                "w/leads.csv",
                "--model",
                "a.json",
                "--config",
                "w/leadroute.toml",
                "--out",
                out,
            ])
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .unwrap();
        assert!(o.status.success());
    }
    assert!(wd.read("s1.csv") == wd.read("s2.csv"), "scores differ between 1 and 2 threads");
}

#[test]
fn train_prints_and_stores_its_metrics() {
    let wd = Workdir::new();
    wd.run(&["generate", "--out", "w", "--seed", "8", "--leads", "100", "--reps", "6", "--history", "3000"]);
    let out = wd.run(&["train", "--history", "w/history.csv", "--config", "w/leadroute.toml", "--model", "m.json"]);
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in ["held-out AUC", "log loss", "top-decile lift", "calibration", "most recent", "left out \"email\""] {
        assert!(text.contains(needle), "{needle:?} missing from:\n{text}");
    }
    let model: serde_json::Value = serde_json::from_slice(&wd.read("m.json")).unwrap();
    assert_eq!(model["format"], "leadroute-model");
    assert_eq!(model["version"], 1);
    assert_eq!(model["metrics"]["split"], "time");
    assert_eq!(model["metrics"]["calibration"].as_array().unwrap().len(), 10);
    let auc = model["metrics"]["auc"].as_f64().unwrap();
    assert!(auc > 0.65 && auc < 1.0, "{auc}");
    assert_eq!(model["data_sha256"].as_str().unwrap().len(), 64);
    assert!(model["schema"]["dropped"].as_array().unwrap().iter().any(|d| d["column"] == "email"));
}

#[test]
fn assign_fills_scores_from_a_model_or_a_history() {
    let wd = trained_world("23");
    for extra in [["--model", "w/model.json"], ["--history", "w/history.csv"]] {
        let mut args = vec![
            "assign",
            "--leads",
            "w/leads.csv",
            "--reps",
            "w/reps.csv",
            "--config",
            "w/leadroute.toml",
            "--out",
            "a.csv",
        ];
        args.extend(extra);
        wd.run(&args);
        let out = wd.read_csv("a.csv");
        let value: HashMap<String, f64> = {
            let leads = wd.read_csv("w/leads.csv");
            leads.column("lead_id").into_iter().zip(leads.column("value").iter().map(|v| v.parse().unwrap())).collect()
        };
        for row in &out.rows {
            let score: f64 = row[4].parse().unwrap();
            assert!((0.0..=1.0).contains(&score));
            if row[2] != "assigned" {
                assert!(row[5].is_empty() && row[6].is_empty(), "no p_win without a rep: {row:?}");
                continue;
            }
            let p_win: f64 = row[5].parse().unwrap();
            let ev: f64 = row[6].parse().unwrap();
            assert!((ev - p_win * value[&row[0]]).abs() <= 0.01 * value[&row[0]].max(1.0), "{row:?}");
        }
        let best = out.rows.iter().find(|r| r[7] == "1").unwrap();
        let top: f64 = best[4].parse().unwrap();
        assert!(out.rows.iter().all(|r| r[4].parse::<f64>().unwrap() <= top));
    }
}

#[test]
fn thin_or_one_class_history_is_refused() {
    let wd = Workdir::new();
    let mut thin = String::from("lead_id,outcome,x\n");
    for i in 0..200 {
        thin.push_str(&format!("h{i},{},{}\n", if i < 30 { "won" } else { "lost" }, i % 7));
    }
    wd.create("thin.csv", &thin);
    let err = wd.fail(&["train", "--history", "thin.csv", "--model", "m.json"], 1);
    assert!(err.contains("thin.csv") && err.contains("30 won") && err.contains("at least 40"), "{err}");
    let one: String = std::iter::once("lead_id,outcome,x\n".to_string())
        .chain((0..100).map(|i| format!("h{i},Closed Won,{i}\n")))
        .collect();
    wd.create("one.csv", &one);
    wd.create("c.toml", "[outcome]\nwon = [\"Closed Won\"]\nlost = [\"Closed Lost\"]\n");
    let err = wd.fail(&["train", "--history", "one.csv", "--config", "c.toml", "--model", "m.json"], 1);
    assert!(err.contains("only one class"), "{err}");
    let err = wd.fail(&["train", "--history", "one.csv", "--model", "m.json"], 1);
    assert!(err.contains("only one class") && err.contains("[outcome]"), "{err}");
    assert!(!wd.exists("m.json"));
    wd.create("nooutcome.csv", "lead_id,x\na,1\n");
    let err = wd.fail(&["train", "--history", "nooutcome.csv", "--model", "m.json"], 1);
    assert!(err.contains("missing required column \"outcome\""), "{err}");
}

#[test]
fn leakage_is_warned_about() {
    let wd = Workdir::new();
    wd.run(&["generate", "--out", "w", "--seed", "4", "--leads", "50", "--reps", "6", "--history", "4000"]);
    // Add a column that is filled only once a deal has closed, and one that is the outcome.
    let h = wd.read_csv("w/history.csv");
    let mut text = format!("{},loss_reason,stage_code\n", h.headers.join(","));
    let outcome = h.col("outcome");
    for row in &h.rows {
        let reason = if row[outcome] == "open" { "" } else { "budget" };
        let code = if row[outcome] == "won" { "7" } else { "3" };
        let cells: Vec<String> = row.iter().map(|c| c.to_string()).collect();
        text.push_str(&format!("{},{reason},{code}\n", cells.join(",")));
    }
    wd.create("leaky.csv", &text);
    let out = wd.run(&["train", "--history", "leaky.csv", "--config", "w/leadroute.toml", "--model", "m.json"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("likely leakage: column \"loss_reason\""), "{err}");
    assert!(err.contains("likely leakage: feature \"stage_code\""), "{err}");
}

#[test]
fn model_files_of_another_version_or_damaged_are_refused() {
    let wd = trained_world("24");
    let text = String::from_utf8(wd.read("w/model.json")).unwrap();
    wd.create("v2.json", text.replacen("\"version\":1", "\"version\":2", 1));
    let args = |m: &'static str| {
        ["score", "--leads", "w/leads.csv", "--model", m, "--config", "w/leadroute.toml", "--out", "s.csv"]
    };
    let err = wd.fail(&args("v2.json"), 1);
    assert!(err.contains("v2.json") && err.contains("version 2") && err.contains("retrain"), "{err}");
    wd.create("cut.json", &text[..text.len() / 2]);
    let err = wd.fail(&args("cut.json"), 1);
    assert!(err.contains("cut.json") && err.contains("invalid JSON"), "{err}");
    wd.create("other.json", "{\"hello\": 1}");
    let err = wd.fail(&args("other.json"), 1);
    assert!(err.contains("not a leadroute model"), "{err}");
    assert!(!wd.exists("s.csv"));
}

#[test]
fn leads_missing_model_columns_warn_or_fail() {
    let wd = trained_world("25");
    let leads = wd.read_csv("w/leads.csv");
    // Drop one feature column: a warning, scores still written.
    let keep: Vec<usize> = (0..leads.headers.len()).filter(|&c| leads.headers[c] != "page_views").collect();
    let mut text = keep.iter().map(|&c| leads.headers[c].clone()).collect::<Vec<_>>().join(",") + "\n";
    for row in &leads.rows {
        text += &(keep.iter().map(|&c| row[c].clone()).collect::<Vec<_>>().join(",") + "\n");
    }
    wd.create("fewer.csv", &text);
    let out = wd.run(&[
        "score",
        "--leads",
        "fewer.csv",
        "--model",
        "w/model.json",
        "--config",
        "w/leadroute.toml",
        "--out",
        "s.csv",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("warning") && err.contains("\"page_views\""), "{err}");
    assert_eq!(wd.read_csv("s.csv").rows.len(), leads.rows.len());
    // Another CRM's export altogether: an error.
    wd.create("other.csv", "lead_id,colour\na,red\n");
    let err = wd.fail(&["score", "--leads", "other.csv", "--model", "w/model.json", "--out", "t.csv"], 1);
    assert!(err.contains("do not fit the model"), "{err}");
}
