//! Bad input gets a clear message naming file, line and column, exit code 1 (2 for bad
//! flags), and no output file.

use crate::workdir::Workdir;

const REPS: &str = "rep_id,capacity,territories\nr1,10,NA\nr2,10,*\n";
const LEADS: &str = "lead_id,region,value\na,NA,10\nb,EMEA,20\n";

/// Runs `assign` on the given files, expects `code`, checks that no output was written
/// and that stderr contains every `needle`.
fn assign_fails(leads: &[u8], reps: &[u8], config: Option<&str>, code: i32, needles: &[&str]) {
    let wd = Workdir::new();
    wd.create("leads.csv", leads);
    wd.create("reps.csv", reps);
    let mut args =
        vec!["assign", "--policy", "round-robin", "--leads", "leads.csv", "--reps", "reps.csv", "--out", "out.csv"];
    if let Some(c) = config {
        wd.create("c.toml", c);
        args.extend(["--config", "c.toml"]);
    }
    let err = wd.fail(&args, code);
    for n in needles {
        assert!(err.contains(n), "stderr should contain {n:?}:\n{err}");
    }
    assert!(!err.contains("panicked"), "{err}");
    assert!(!wd.exists("out.csv"), "no output on error");
}

#[test]
fn missing_leads_file() {
    let wd = Workdir::new();
    wd.create("reps.csv", REPS);
    let err = wd
        .fail(&["assign", "--policy", "round-robin", "--leads", "nope.csv", "--reps", "reps.csv", "--out", "o.csv"], 1);
    assert!(err.contains("nope.csv"), "{err}");
    assert!(!wd.exists("o.csv"));
}

#[test]
fn empty_leads_file() {
    assign_fails(b"", REPS.as_bytes(), None, 1, &["leads.csv", "empty", "header"]);
}

#[test]
fn missing_lead_id_column() {
    assign_fails(b"id,region\na,NA\n", REPS.as_bytes(), None, 1, &["leads.csv, line 1", "\"lead_id\"", "\"id\""]);
}

#[test]
fn mapped_column_missing_names_the_config() {
    assign_fails(
        LEADS.as_bytes(),
        REPS.as_bytes(),
        Some("[columns]\nlead_id = \"Lead ID\"\n"),
        1,
        &["c.toml maps lead_id"],
    );
}

#[test]
fn duplicate_lead_id() {
    assign_fails(
        b"lead_id\na\nb\na\n",
        REPS.as_bytes(),
        None,
        1,
        &["leads.csv, line 4, column 1", "duplicate lead_id \"a\"", "line 2"],
    );
}

#[test]
fn empty_lead_id() {
    assign_fails(
        b"lead_id,value\na,1\n  ,2\n",
        REPS.as_bytes(),
        None,
        1,
        &["leads.csv, line 3, column 1", "lead_id is empty"],
    );
}

#[test]
fn ragged_row() {
    assign_fails(
        b"lead_id,region\na,NA\nb,EMEA,extra\n",
        REPS.as_bytes(),
        None,
        1,
        &["leads.csv, line 3", "expected 2 fields", "found 3"],
    );
}

#[test]
fn non_numeric_value() {
    assign_fails(
        b"lead_id,value\na,12\nb,twelve\n",
        REPS.as_bytes(),
        None,
        1,
        &["leads.csv, line 3, column 2 (\"value\")", "twelve"],
    );
}

#[test]
fn nan_and_inf_values() {
    assign_fails(b"lead_id,value\na,NaN\n", REPS.as_bytes(), None, 1, &["line 2, column 2", "deal value"]);
    assign_fails(b"lead_id,workload\na,inf\n", REPS.as_bytes(), None, 1, &["line 2, column 2", "workload"]);
}

#[test]
fn negative_capacity() {
    assign_fails(
        LEADS.as_bytes(),
        b"rep_id,capacity\nr1,-3\n",
        None,
        1,
        &["reps.csv, line 2, column 2 (\"capacity\")", "capacity ≥ 0"],
    );
}

#[test]
fn missing_capacity_cell() {
    assign_fails(
        LEADS.as_bytes(),
        b"rep_id,capacity\nr1,\n",
        None,
        1,
        &["reps.csv, line 2, column 2", "capacity is missing"],
    );
}

#[test]
fn odd_boolean() {
    assign_fails(
        LEADS.as_bytes(),
        b"rep_id,capacity,active\nr1,3,maybe\n",
        None,
        1,
        &["reps.csv, line 2, column 3 (\"active\")", "true/false"],
    );
}

#[test]
fn zero_weight() {
    assign_fails(
        LEADS.as_bytes(),
        b"rep_id,capacity,weight\nr1,3,0\n",
        None,
        1,
        &["reps.csv, line 2, column 3", "weight > 0"],
    );
}

#[test]
fn duplicate_rep_id() {
    assign_fails(
        LEADS.as_bytes(),
        b"rep_id,capacity\nr1,3\nr1,4\n",
        None,
        1,
        &["reps.csv, line 3", "duplicate rep_id"],
    );
}

#[test]
fn bad_date() {
    assign_fails(
        b"lead_id,created_at\na,2024-02-30\n",
        REPS.as_bytes(),
        None,
        1,
        &["leads.csv, line 2, column 2 (\"created_at\")", "ISO date"],
    );
}

#[test]
fn invalid_utf8() {
    assign_fails(b"lead_id,company\na,Caf\xe9\n", REPS.as_bytes(), None, 1, &["leads.csv, line 2", "UTF-8"]);
}

#[test]
fn unterminated_quote() {
    assign_fails(
        b"lead_id,note\na,ok\nb,\"never closed\nc,x\n",
        REPS.as_bytes(),
        None,
        1,
        &["leads.csv, line 3", "never closed"],
    );
}

#[test]
fn duplicate_header() {
    assign_fails(
        b"lead_id,region,Region\na,NA,NA\n",
        REPS.as_bytes(),
        None,
        1,
        &["leads.csv, line 1, column 3", "duplicate column"],
    );
}

#[test]
fn unknown_config_key() {
    assign_fails(
        LEADS.as_bytes(),
        REPS.as_bytes(),
        Some("[features]\nexclud = [\"x\"]\n"),
        1,
        &["c.toml, line 2", "exclud"],
    );
}

#[test]
fn bad_toml() {
    assign_fails(LEADS.as_bytes(), REPS.as_bytes(), Some("[columns\nlead_id = 3\n"), 1, &["c.toml, line 1"]);
}

#[test]
fn eligibility_on_a_missing_column() {
    assign_fails(
        LEADS.as_bytes(),
        REPS.as_bytes(),
        Some("[[eligibility]]\nlead = \"country\"\nrep = \"territories\"\n"),
        1,
        &["leads.csv", "\"country\"", "eligibility rule 1"],
    );
}

#[test]
fn output_folder_does_not_exist() {
    let wd = Workdir::new();
    wd.create("leads.csv", LEADS);
    wd.create("reps.csv", REPS);
    let err = wd.fail(
        &[
            "assign",
            "--policy",
            "round-robin",
            "--leads",
            "leads.csv",
            "--reps",
            "reps.csv",
            "--out",
            "no/such/out.csv",
        ],
        1,
    );
    assert!(err.contains("does not exist"), "{err}");
}

#[test]
fn bad_flags_exit_2() {
    let wd = Workdir::new();
    wd.fail(&["assign", "--policy", "round-robin", "--leads", "x.csv"], 2);
    wd.fail(
        &[
            "assign",
            "--policy",
            "round-robin",
            "--leads",
            "l.csv",
            "--reps",
            "r.csv",
            "--out",
            "o.csv",
            "--policy",
            "random",
        ],
        2,
    );
    wd.fail(&["frobnicate"], 2);
    wd.fail(&["generate", "--out", "w", "--leads", "-5"], 2);
}

#[test]
fn help_shows_an_example_and_exits_0() {
    let wd = Workdir::new();
    for cmd in [vec!["--help"], vec!["assign", "--help"], vec!["generate", "--help"]] {
        let out = wd.run(&cmd);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("Example"), "{cmd:?}: {text}");
    }
}

#[test]
fn failed_run_keeps_the_previous_output() {
    let wd = Workdir::new();
    wd.create("leads.csv", LEADS);
    wd.create("reps.csv", REPS);
    wd.run(&["assign", "--policy", "round-robin", "--leads", "leads.csv", "--reps", "reps.csv", "--out", "out.csv"]);
    let before = wd.read("out.csv");
    wd.create("leads.csv", "lead_id,value\na,1\nb,oops\n");
    wd.fail(
        &["assign", "--policy", "round-robin", "--leads", "leads.csv", "--reps", "reps.csv", "--out", "out.csv"],
        1,
    );
    assert!(wd.read("out.csv") == before, "the previous output must survive a failed run");
}
