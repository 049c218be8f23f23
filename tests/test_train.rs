//! `train`: the model's metrics printed and stored, histories it cannot learn from refused,
//! leakage warned about, continued training, and the same model at any thread count.

use serde_json::Value;

use crate::workdir::Workdir;

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
    wd.world("67", "300", "8000");
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
