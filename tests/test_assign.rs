use std::collections::{HashMap, HashSet};

use crate::workdir::{Csv, Workdir, repo};

const OUT_HEADER: [&str; 12] = [
    "lead_id",
    "rep_id",
    "status",
    "reason",
    "score",
    "p_win",
    "expected_value",
    "rank",
    "tier",
    "runner_up_rep_id",
    "runner_up_p_win",
    "explanation",
];

/// Headers of the columns `verify` reads.
struct Names<'a> {
    lead_id: &'a str,
    workload: &'a str,
    rep_id: &'a str,
    capacity: &'a str,
    active: &'a str,
    rule: Option<(&'a str, &'a str)>,
}

const CANONICAL: Names<'static> = Names {
    lead_id: "lead_id",
    workload: "workload",
    rep_id: "rep_id",
    capacity: "capacity",
    active: "active",
    rule: Some(("region", "territories")),
};

/// Re-checks an assignment from the files alone: every lead exactly once and in input
/// order, capacities kept in workload units, only active reps, territories respected.
pub(crate) fn verify(leads: &Csv, reps: &Csv, out: &Csv, rule: Option<(&str, &str)>) {
    verify_named(leads, reps, out, &Names { rule, ..CANONICAL });
}

fn verify_named(leads: &Csv, reps: &Csv, out: &Csv, names: &Names) {
    let rule = names.rule;
    assert_eq!(out.headers, OUT_HEADER);
    let ids: Vec<String> = leads.column(names.lead_id).iter().map(|s| s.trim().to_string()).collect();
    assert_eq!(out.column("lead_id"), ids, "every lead once, in input order");
    let rep_row: HashMap<String, usize> =
        reps.column(names.rep_id).into_iter().enumerate().map(|(i, r)| (r.trim().to_string(), i)).collect();
    let workload: Vec<f64> = if leads.headers.iter().any(|h| h == names.workload) {
        leads.column(names.workload).iter().map(|w| if w.is_empty() { 1.0 } else { w.parse().unwrap() }).collect()
    } else {
        vec![1.0; leads.rows.len()]
    };
    let mut load = vec![0.0; reps.rows.len()];
    for (i, row) in out.rows.iter().enumerate() {
        let (rep, status, reason) = (&row[1], &row[2], &row[3]);
        if rep.is_empty() {
            assert_eq!(status, "unassigned");
            assert!(!reason.is_empty(), "an unassigned lead needs a reason");
            continue;
        }
        assert_eq!(status, "assigned");
        assert!(reason.is_empty());
        let r = rep_row[rep];
        load[r] += workload[i];
        if reps.headers.iter().any(|h| h == names.active) {
            assert!(["true", "yes", "1", ""].contains(&reps.rows[r][reps.col(names.active)].to_lowercase().as_str()));
        }
        if let Some((lead_col, rep_col)) = rule {
            let list = &reps.rows[r][reps.col(rep_col)];
            let value = leads.rows[i][leads.col(lead_col)].trim().to_lowercase();
            let allowed: HashSet<String> =
                list.split(';').map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty()).collect();
            assert!(
                allowed.is_empty() || allowed.contains("*") || allowed.contains(&value),
                "{rep} may not take {value}"
            );
        }
        assert!(!row[out.col("explanation")].is_empty(), "every row has an explanation");
    }
    for (r, l) in load.iter().enumerate() {
        let cap: f64 = reps.rows[r][reps.col(names.capacity)].parse().unwrap();
        assert!(*l <= cap + 1e-9, "rep {} over capacity: {l} > {cap}", reps.rows[r][0]);
    }
    let mut ranks: Vec<usize> = out.column("rank").iter().map(|r| r.parse().unwrap()).collect();
    ranks.sort_unstable();
    assert_eq!(ranks, (1..=leads.rows.len()).collect::<Vec<_>>(), "ranks are a permutation");
}

fn example(rel: &str) -> String {
    repo(rel).to_string_lossy().into_owned()
}

#[test]
fn every_policy_routes_the_example_batch_within_the_rules() {
    let wd = Workdir::new();
    let leads = crate::workdir::read_csv(&repo("examples/leads.csv"));
    let reps = crate::workdir::read_csv(&repo("examples/reps.csv"));
    for policy in ["round-robin", "weighted", "least-loaded"] {
        let out = format!("{policy}.csv");
        wd.run(&[
            "assign",
            "--leads",
            &example("examples/leads.csv"),
            "--reps",
            &example("examples/reps.csv"),
            "--config",
            &example("examples/leadroute.toml"),
            "--policy",
            policy,
            "--out",
            &out,
        ]);
        let got = wd.read_csv(&out);
        verify(&leads, &reps, &got, Some(("region", "territories")));
        let assigned = got.column("status").iter().filter(|s| *s == "assigned").count();
        assert!(assigned * 10 >= leads.rows.len() * 8, "{policy}: only {assigned} assigned");
        // The runner-up is another rep the rules allow, and it is named for most leads.
        let (rep, ru) = (got.col("rep_id"), got.col("runner_up_rep_id"));
        let named = got.rows.iter().filter(|r| !r[ru].is_empty()).count();
        assert!(named * 2 > assigned, "{policy}: runner-up named for {named} of {assigned}");
        for (k, row) in got.rows.iter().enumerate().filter(|(_, r)| !r[ru].is_empty()) {
            assert_ne!(row[ru], row[rep], "{policy}: {row:?}");
            let terr = reps.rows.iter().find(|r| r[0] == row[ru]).map(|r| r[reps.col("territories")].clone()).unwrap();
            let region = &leads.rows[k][leads.col("region")];
            assert!(
                terr == "*" || terr.split(';').any(|t| t == region),
                "{policy}: {} not eligible for {region}",
                row[ru]
            );
            assert!(row[got.col("runner_up_p_win")].is_empty(), "no model, no p_win: {row:?}");
        }
    }
}

#[test]
fn reruns_are_byte_identical_and_the_seed_matters() {
    let wd = Workdir::new();
    wd.run(&["generate", "--out", "w", "--seed", "9", "--leads", "600", "--reps", "15", "--history", "0"]);
    let run = |out: &str, seed: &str, policy: &str| {
        wd.run(&[
            "assign",
            "--leads",
            "w/leads.csv",
            "--reps",
            "w/reps.csv",
            "--config",
            "w/leadroute.toml",
            "--policy",
            policy,
            "--seed",
            seed,
            "--out",
            out,
        ]);
    };
    for policy in ["round-robin", "weighted", "least-loaded"] {
        run("a.csv", "1", policy);
        run("b.csv", "1", policy);
        assert!(wd.read("a.csv") == wd.read("b.csv"), "{policy} is not deterministic");
    }
    run("c.csv", "2", "round-robin");
    run("d.csv", "1", "round-robin");
    assert!(wd.read("c.csv") != wd.read("d.csv"), "the seed changes the rotation");
}

#[test]
fn capacity_counts_workload_units_and_reasons_are_given() {
    let wd = Workdir::new();
    wd.create("leads.csv", "lead_id,workload,region\nA,2,NA\nB,2,NA\nC,1,NA\nD,5,NA\nE,1,Mars\nF,1,EMEA\nG,,NA\n");
    wd.create("reps.csv", "rep_id,capacity,active,territories\nr1,3,yes,NA\nr2,2,true,NA;APAC\nr3,4,no,EMEA\n");
    wd.create("c.toml", "[[eligibility]]\nlead = \"region\"\nrep = \"territories\"\n");
    wd.run(&[
        "assign",
        "--policy",
        "round-robin",
        "--leads",
        "leads.csv",
        "--reps",
        "reps.csv",
        "--config",
        "c.toml",
        "--out",
        "o.csv",
    ]);
    let out = wd.read_csv("o.csv");
    let reason: HashMap<String, String> = out.column("lead_id").into_iter().zip(out.column("reason")).collect();
    assert_eq!(reason["D"], "workload_exceeds_capacity");
    assert_eq!(reason["E"], "no_eligible_rep");
    assert_eq!(reason["F"], "no_active_rep");
    assert_eq!(reason["A"], "");
    assert_eq!(reason["B"], "");
    // r1 (3) and r2 (2) hold 5 units: A and B take 4, so one of C and G fits and the other waits.
    let waiting: Vec<&String> = ["C", "G"].iter().map(|k| &reason[*k]).filter(|r| !r.is_empty()).collect();
    assert_eq!(waiting, vec!["all_eligible_at_capacity"]);
    verify(&wd.read_csv("leads.csv"), &wd.read_csv("reps.csv"), &out, Some(("region", "territories")));
}

#[test]
fn crm_headers_in_any_order_with_bom_crlf_and_quotes() {
    let wd = Workdir::new();
    wd.create(
        "leads.csv",
        b"\xEF\xBB\xBFNotes,Region,Lead ID,Amount\r\n\"says \"\"hi\"\", then, leaves\",NA,\"L 1\",\"1200\"\r\n\"two\r\nlines\",EMEA,L2,50\r\n=cmd,NA,\"=HYPERLINK(\"\"x\"\")\",0\r\n",
    );
    wd.create("reps.csv", "Cap,Territories,Owner ID\r\n5,NA,\"O'Neil, P.\"\r\n5,EMEA,r2\r\n");
    wd.create(
        "c.toml",
        "[columns]\nlead_id = \"Lead ID\"\nrep_id = \"Owner ID\"\ncapacity = \"Cap\"\nvalue = \"Amount\"\n\
         [[eligibility]]\nlead = \"Region\"\nrep = \"Territories\"\n",
    );
    wd.run(&[
        "assign",
        "--policy",
        "round-robin",
        "--leads",
        "leads.csv",
        "--reps",
        "reps.csv",
        "--config",
        "c.toml",
        "--out",
        "o.csv",
    ]);
    let out = wd.read_csv("o.csv");
    assert_eq!(out.column("lead_id"), vec!["L 1", "L2", "'=HYPERLINK(\"x\")"]);
    assert_eq!(out.column("rep_id"), vec!["O'Neil, P.", "r2", "O'Neil, P."]);
    // Rank follows deal value: 1200 first, 0 last.
    assert_eq!(out.column("rank"), vec!["1", "2", "3"]);
}

#[test]
fn empty_batch_and_inactive_team_are_not_errors() {
    let wd = Workdir::new();
    wd.create("empty.csv", "lead_id,region\n");
    wd.create("reps.csv", "rep_id,capacity,active\nr1,5,false\nr2,5,0\n");
    wd.run(&["assign", "--policy", "round-robin", "--leads", "empty.csv", "--reps", "reps.csv", "--out", "o.csv"]);
    let out = wd.read_csv("o.csv");
    assert!(out.rows.is_empty());
    assert_eq!(out.headers, OUT_HEADER);

    wd.create("leads.csv", "lead_id\na\nb\n");
    wd.run(&["assign", "--policy", "round-robin", "--leads", "leads.csv", "--reps", "reps.csv", "--out", "o.csv"]);
    assert_eq!(wd.read_csv("o.csv").column("reason"), vec!["no_active_rep", "no_active_rep"]);
}

#[test]
fn quiet_prints_nothing_and_default_prints_a_summary() {
    let wd = Workdir::new();
    wd.create("leads.csv", "lead_id\na\nb\nc\n");
    wd.create("reps.csv", "rep_id,capacity\nr1,2\n");
    let out = wd.run(&[
        "assign",
        "--quiet",
        "--policy",
        "round-robin",
        "--leads",
        "leads.csv",
        "--reps",
        "reps.csv",
        "--out",
        "o.csv",
    ]);
    assert!(out.stdout.is_empty() && out.stderr.is_empty());
    let out =
        wd.run(&["assign", "--policy", "round-robin", "--leads", "leads.csv", "--reps", "reps.csv", "--out", "o.csv"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("assigned 2 of 3 leads"), "{err}");
    assert!(err.contains("1 all_eligible_at_capacity"), "{err}");
}

#[test]
fn likely_mistakes_in_valid_inputs_are_warned_about() {
    let wd = Workdir::new();
    wd.create("leads.csv", "lead_id,rep_id,region\na,r1,NA\nb,ghost,NA\nc,,NA\n");
    wd.create("reps.csv", "rep_id,capacity\nr1,5\n");
    wd.create("c.toml", "[features]\nexclude = [\"Emial\"]\n");
    let out = wd.run(&[
        "assign",
        "--policy",
        "round-robin",
        "--leads",
        "leads.csv",
        "--reps",
        "reps.csv",
        "--config",
        "c.toml",
        "--out",
        "o.csv",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("warning: c.toml: [features] exclude names \"Emial\""), "{err}");
    assert!(err.contains("1 leads name a current owner that is not in reps.csv (e.g. ghost)"), "{err}");
    let quiet = wd.run(&[
        "assign",
        "-q",
        "--policy",
        "round-robin",
        "--leads",
        "leads.csv",
        "--reps",
        "reps.csv",
        "--config",
        "c.toml",
        "--out",
        "o.csv",
    ]);
    assert!(quiet.stderr.is_empty(), "--quiet silences warnings");
}

#[test]
fn a_salesforce_style_export_routes_with_its_own_headers() {
    let wd = Workdir::new();
    let leads = crate::workdir::read_csv(&repo("fixtures/salesforce/leads.csv"));
    let reps = crate::workdir::read_csv(&repo("fixtures/salesforce/reps.csv"));
    let names = Names {
        lead_id: "Lead ID",
        workload: "workload",
        rep_id: "User ID",
        capacity: "Capacity",
        active: "Is Active",
        rule: Some(("Region", "Territories")),
    };
    for policy in ["round-robin", "weighted", "least-loaded"] {
        wd.run(&[
            "assign",
            "--leads",
            &example("fixtures/salesforce/leads.csv"),
            "--reps",
            &example("fixtures/salesforce/reps.csv"),
            "--config",
            &example("fixtures/salesforce/leadroute.toml"),
            "--policy",
            policy,
            "--out",
            "o.csv",
        ]);
        let out = wd.read_csv("o.csv");
        verify_named(&leads, &reps, &out, &names);
        // The inactive rep gets nothing; the formula-like note never reaches the output.
        assert!(!out.column("rep_id").contains(&"005A4".to_string()));
        assert!(out.column("explanation").iter().all(|e| !e.starts_with('=')));
    }
    // The CRM re-import file speaks the export's own headers: its lead id and owner columns.
    wd.run(&[
        "assign",
        "--leads",
        &example("fixtures/salesforce/leads.csv"),
        "--reps",
        &example("fixtures/salesforce/reps.csv"),
        "--config",
        &example("fixtures/salesforce/leadroute.toml"),
        "--policy",
        "round-robin",
        "--out",
        "o.csv",
        "--owner-csv",
        "owners.csv",
    ]);
    let out = wd.read_csv("o.csv");
    let owners = wd.read_csv("owners.csv");
    assert_eq!(owners.headers, vec!["Lead ID".to_string(), "Lead Owner".to_string()]);
    let assigned: Vec<Vec<String>> =
        out.rows.iter().filter(|r| r[2] == "assigned").map(|r| vec![r[0].clone(), r[1].clone()]).collect();
    assert_eq!(owners.rows, assigned);
}

/// The Maven CRM export (outside the repository): its own headers, US dates, reps named by
/// full name and no capacity column. Each agent is given a capacity of 80 here, as a team
/// would in its reps file; rule policies and `optimize` with the export's closed deals as
/// history route every open deal once, within the capacities.
#[test]
fn maven_crm_export_routes_with_its_own_headers() {
    let Some(data) = crate::workdir::shared("datasets/maven-crm") else { return };
    let wd = Workdir::new();
    let deals = data.join("open_deals_joined.csv");
    let leads = crate::workdir::read_csv(&deals);
    let agents = crate::workdir::read_csv(&data.join("reps.csv"));
    let mut reps_file = format!("{},capacity\n", agents.headers.join(","));
    for row in &agents.rows {
        reps_file.push_str(&format!("{},80\n", row.join(",")));
    }
    wd.create("reps.csv", &reps_file);
    let reps = wd.read_csv("reps.csv");
    assert_eq!(reps.rows.len(), 35);
    let names = Names { lead_id: "opportunity_id", rep_id: "sales_agent", rule: None, ..CANONICAL };
    let run = |policy: &str, extra: &[&str]| -> Csv {
        let out = format!("{policy}.csv");
        let deals = deals.to_string_lossy();
        let config = example("examples/maven/leadroute.toml");
        let mut args = vec!["assign", "--leads", &deals, "--reps", "reps.csv", "--config", &config];
        args.extend(["--policy", policy, "--out", &out]);
        args.extend(extra);
        wd.run(&args);
        let got = wd.read_csv(&out);
        verify_named(&leads, &reps, &got, &names);
        got
    };
    for policy in ["round-robin", "weighted", "least-loaded"] {
        let got = run(policy, &[]);
        assert!(got.column("status").iter().all(|s| s == "assigned"), "{policy}: 2,800 places for 2,089 deals");
    }
    let history = data.join("history_joined.csv").to_string_lossy().into_owned();
    let got = run("optimize", &["--history", &history, "--seed", "1"]);
    assert!(got.column("status").iter().all(|s| s == "assigned"), "optimize places every deal");
    for (i, p) in got.column("p_win").iter().enumerate() {
        let p: f64 = p.parse().unwrap_or_else(|_| panic!("row {i}: p_win {p:?}"));
        assert!((0.0..=1.0).contains(&p));
    }
    // The agents do not differ beyond chance here: no deal leaves its owner unless the
    // owner has more than 80, and the agents without deals of their own take the rest.
    let owner = leads.column("sales_agent");
    let mut owned: HashMap<&str, usize> = HashMap::new();
    owner.iter().for_each(|o| *owned.entry(o.as_str()).or_default() += 1);
    let must_move: usize = owned.values().map(|&n| n.saturating_sub(80)).sum();
    let moved = got.column("rep_id").iter().zip(&owner).filter(|(r, o)| r != o).count();
    assert_eq!(moved, must_move, "only deals over an owner's capacity move");
    let mut load: HashMap<String, usize> = HashMap::new();
    got.column("rep_id").into_iter().for_each(|r| *load.entry(r).or_default() += 1);
    for agent in agents.column("sales_agent") {
        let n = load.get(&agent).copied().unwrap_or(0);
        assert!(n <= 80, "{agent}: {n}");
        if !owned.contains_key(agent.as_str()) {
            assert!(n >= 20, "{agent} has no deals of its own and gets {n}");
        }
    }
}
