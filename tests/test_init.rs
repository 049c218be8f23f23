//! `init`: a starter config guessed from real exports, untouched, and the other commands
//! run on those exports with it — the Maven CRM's five raw tables and the bank-marketing file.

use std::collections::HashMap;

use crate::workdir::{Workdir, shared};

/// The config `init` wrote, as TOML.
fn written(wd: &Workdir, name: &str) -> toml::Table {
    let text = String::from_utf8(wd.read(name)).unwrap();
    text.parse::<toml::Table>().unwrap_or_else(|e| panic!("{name} is not TOML: {e}\n{text}"))
}

fn get<'a>(t: &'a toml::Table, path: &[&str]) -> &'a toml::Value {
    let mut v = t.get(path[0]).unwrap_or_else(|| panic!("no {}", path[0]));
    for k in &path[1..] {
        v = v.get(k).unwrap_or_else(|| panic!("no {}", path.join(".")));
    }
    v
}

#[test]
fn maven_raw_export_needs_one_command_to_set_up() {
    let Some(raw) = shared("datasets/maven-crm/raw") else { return };
    let wd = Workdir::new();
    let p = |f: &str| raw.join(f).to_string_lossy().into_owned();
    let (pipeline, teams) = (p("sales_pipeline.csv"), p("sales_teams.csv"));
    let (accounts, products) = (p("accounts.csv"), p("products.csv"));
    let init = ["init", "--history", &pipeline, "--reps", &teams, "--lookup", &accounts, "--lookup", &products];
    wd.run(&[&init[..], &["--out", "c.toml"]].concat());
    let c = written(&wd, "c.toml");
    assert_eq!(get(&c, &["columns", "lead_id"]).as_str(), Some("opportunity_id"));
    assert_eq!(get(&c, &["columns", "rep_id"]).as_str(), Some("sales_agent"));
    assert_eq!(get(&c, &["columns", "outcome"]).as_str(), Some("deal_stage"));
    assert_eq!(get(&c, &["columns", "created_at"]).as_str(), Some("engage_date"));
    assert_eq!(get(&c, &["columns", "closed_at"]).as_str(), Some("close_date"));
    assert_eq!(get(&c, &["columns", "value"]).as_str(), Some("sales_price"));
    assert_eq!(get(&c, &["outcome", "won"]).as_array().unwrap()[0].as_str(), Some("Won"));
    let exclude: Vec<&str> =
        get(&c, &["features", "exclude"]).as_array().unwrap().iter().filter_map(|v| v.as_str()).collect();
    assert!(exclude.contains(&"close_value") && exclude.contains(&"close_date"), "{exclude:?}");
    let joins = get(&c, &["join"]).as_array().unwrap();
    let on: Vec<&str> = joins.iter().filter_map(|j| j.get("on").and_then(|v| v.as_str())).collect();
    assert_eq!(on, vec!["account", "product"]);
    // Never over an existing file without --force.
    assert!(wd.fail(&[&init[..], &["--out", "c.toml"]].concat(), 2).contains("--force"));

    wd.run(&["train", "--history", &pipeline, "--config", "c.toml", "--model", "m.json"]);
    let out = wd.run(&[
        "backtest",
        "--history",
        &pipeline,
        "--reps",
        &teams,
        "--config",
        "c.toml",
        "--test-from",
        "2017-09-01",
        "--json",
        "bt.json",
    ]);
    let bt: serde_json::Value = serde_json::from_slice(&wd.read("bt.json")).unwrap();
    assert_eq!(bt["split"]["by"], "date", "{}", String::from_utf8_lossy(&out.stderr));
    let out = wd.run(&[
        "assign", "--leads", &pipeline, "--reps", &teams, "--config", "c.toml", "--model", "m.json", "--out", "a.csv",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("6711 of 8800 leads are already closed"), "{err}");
    assert!(err.contains("no capacity column: every rep may take up to 66 workload units"), "{err}");
    assert!(err.contains("\"GTXPro\""), "the unmatched product is named: {err}");
    // Every deal once; the closed ones unrouted, every open one placed within the default.
    let a = wd.read_csv("a.csv");
    assert_eq!(a.rows.len(), 8800);
    let reason = a.column("reason");
    assert_eq!(reason.iter().filter(|r| *r == "closed_deal").count(), 6711);
    assert_eq!(a.column("status").iter().filter(|s| *s == "assigned").count(), 2089);
    let mut load: HashMap<String, usize> = HashMap::new();
    a.column("rep_id").into_iter().filter(|r| !r.is_empty()).for_each(|r| *load.entry(r).or_default() += 1);
    assert!(load.len() >= 30, "the open deals spread over the agents: {load:?}");
    assert!(load.values().all(|&n| n <= 66), "{load:?}");
}

#[test]
fn bank_marketing_file_through_init_and_train() {
    let Some(file) = shared("datasets/bank-marketing/bank-additional-full.csv") else { return };
    let wd = Workdir::new();
    let bank = file.to_string_lossy().into_owned();
    let out = wd.run(&["init", "--history", &bank, "--out", "c.toml"]);
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(said.contains("no id column"), "{said}");
    let c = written(&wd, "c.toml");
    assert_eq!(get(&c, &["columns", "outcome"]).as_str(), Some("y"));
    assert_eq!(get(&c, &["outcome", "won"]).as_array().unwrap()[0].as_str(), Some("yes"));
    let exclude: Vec<&str> =
        get(&c, &["features", "exclude"]).as_array().unwrap().iter().filter_map(|v| v.as_str()).collect();
    assert_eq!(exclude, vec!["duration"], "known only after the call");
    assert!(get(&c, &["columns"]).get("value").is_none(), "no money column in this file");
    let out = wd.run(&["train", "--history", &bank, "--config", "c.toml", "--model", "m.json"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let auc: f64 = text
        .split("held-out AUC ")
        .nth(1)
        .and_then(|t| t.split(',').next())
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("no AUC in {text}"));
    assert!(auc > 0.78, "held-out AUC {auc}");
}

#[test]
fn init_on_a_generated_world_finds_its_columns_and_the_segments_skill_lives_in() {
    let wd = Workdir::new();
    wd.world("5", "100", "8000");
    wd.run(&["init", "--history", "w/history.csv", "--reps", "w/reps.csv", "--out", "c.toml"]);
    let c = written(&wd, "c.toml");
    for (key, header) in
        [("lead_id", "lead_id"), ("rep_id", "rep_id"), ("outcome", "outcome"), ("created_at", "created_at")]
    {
        assert_eq!(get(&c, &["columns", key]).as_str(), Some(header), "{key}");
    }
    let exclude: Vec<&str> =
        get(&c, &["features", "exclude"]).as_array().unwrap().iter().filter_map(|v| v.as_str()).collect();
    assert!(exclude.contains(&"closed_at") && exclude.contains(&"email"), "{exclude:?}");
    // The world's skill is by industry and company size (its own config says so).
    let segments: Vec<&str> =
        get(&c, &["features", "segments"]).as_array().unwrap().iter().filter_map(|v| v.as_str()).collect();
    assert!(segments.contains(&"industry") && segments.contains(&"company_size"), "{segments:?}");
    // The guessed config works as it is.
    wd.run(&["train", "--history", "w/history.csv", "--config", "c.toml", "--model", "m.json"]);
}
