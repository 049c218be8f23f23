//! `score`: the model learns the generated world's known drivers and names them with the
//! right sign; ranks and tiers track the truth; model files of another version, damaged, or
//! missing columns of the leads are refused or warned about.

use crate::workdir::{Workdir, trained_world};

fn score(wd: &Workdir, out: &str) {
    score_stderr(wd, "w/leads.csv", out);
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

/// Scores `leads` with the world's model and config into `out`; returns what it printed.
fn score_stderr(wd: &Workdir, leads: &str, out: &str) -> String {
    let args = ["score", "--leads", leads, "--model", "w/model.json", "--config", "w/leadroute.toml", "--out", out];
    String::from_utf8_lossy(&wd.run(&args).stderr).into_owned()
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
    let err = score_stderr(&wd, "fewer.csv", "s.csv");
    assert!(err.contains("warning") && err.contains("\"page_views\""), "{err}");
    assert_eq!(wd.read_csv("s.csv").rows.len(), leads.rows.len());
    // A text cell in a numeric feature: scored as missing, and said.
    std::fs::copy(wd.path("w/leads.csv"), wd.path("texty.csv")).unwrap();
    wd.edit_cell("texty.csv", "page_views", 2, "lots");
    let err = score_stderr(&wd, "texty.csv", "t.csv");
    assert!(err.contains("1 cells of \"page_views\" are not numbers (e.g. line 4: \"lots\")"), "{err}");
    // Another CRM's export altogether: an error.
    wd.create("other.csv", "lead_id,colour\na,red\n");
    let err = wd.fail(&["score", "--leads", "other.csv", "--model", "w/model.json", "--out", "t.csv"], 1);
    assert!(err.contains("do not fit the model"), "{err}");
}
