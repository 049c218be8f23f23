//! The bad-input catalogue: broken exports a nightly job will meet sooner or later, and
//! awkward ones it must take in its stride.
//!
//! A case that must fail exits 1 (2 for bad flags), names the file — and the line and
//! column where there is one — never panics, and leaves the folder as it was: no output,
//! no temporary file. A case that must work puts every lead in the output exactly once.

use std::collections::BTreeSet;

use crate::workdir::Workdir;

const REPS: &str = "rep_id,capacity,territories\nr1,10,NA\nr2,10,*\n";
const LEADS: &str = "lead_id,region,value\na,NA,10\nb,EMEA,20\n";

/// An assign command line with a rule policy (no model needed).
fn assign(leads: &'static str, reps: &'static str, out: &'static str) -> Vec<&'static str> {
    vec!["assign", "--policy", "round-robin", "--leads", leads, "--reps", reps, "--out", out]
}

enum Expect {
    /// Exit code and what stderr must say.
    Fails(i32, &'static [&'static str]),
    /// Exit 0, and `out.csv` has exactly these lead ids, each once.
    Works(&'static [&'static str]),
    /// As `Works`, and stderr says all of these (a default or a mismatch that is not silent).
    Warns(&'static [&'static str], &'static [&'static str]),
}
use Expect::*;

struct Case {
    name: &'static str,
    /// Files written first (a name ending in `/` is a folder). `leads.csv` and `reps.csv`
    /// default to the small batch above unless given.
    files: &'static [(&'static str, &'static [u8])],
    /// Commands run first, which must succeed (e.g. training a model).
    setup: &'static [&'static [&'static str]],
    /// The command; `None` is the small batch routed by round robin into `out.csv`.
    args: Option<Vec<&'static str>>,
    /// Flags appended to the command.
    extra: &'static [&'static str],
    /// Changes the folder after the setup (e.g. breaks one cell of a generated file).
    prepare: Option<fn(&Workdir)>,
    expect: Expect,
}

const fn case(name: &'static str, files: &'static [(&'static str, &'static [u8])], expect: Expect) -> Case {
    Case { name, files, setup: &[], args: None, extra: &[], prepare: None, expect }
}

/// A generated world in `w/` with a history, and a model trained on it.
const TRAINED: &[&[&str]] = &[
    &["generate", "--out", "w", "--seed", "3", "--leads", "30", "--reps", "6", "--history", "600"],
    &["train", "--history", "w/history.csv", "--config", "w/leadroute.toml", "--model", "model.json"],
];
const WORLD: &[&[&str]] =
    &[&["generate", "--out", "w", "--seed", "3", "--leads", "30", "--reps", "6", "--history", "600"]];
const RULE: &[u8] = b"[[eligibility]]\nlead = \"region\"\nrep = \"territories\"\n";
const JOIN: &[u8] = b"[[join]]\nfile = \"accounts.csv\"\non = \"account\"\n";

const TRAIN: &[&str] = &["train", "--history", "history.csv", "--model", "m.json"];
const SCORE: &[&str] = &["score", "--leads", "leads.csv", "--model", "model.json", "--out", "scores.csv"];

fn catalogue() -> Vec<Case> {
    vec![
        // ---- leads
        case(
            "money values as exports write them",
            &[("leads.csv", b"lead_id,value\na,\"$349,938\"\nb,USD 12\n")],
            Works(&["a", "b"]),
        ),
        case(
            "decimal comma without the config saying so",
            &[("leads.csv", b"lead_id,value\na,10\nb,\"12,5\"\n")],
            Fails(1, &["leads.csv, line 3, column 2", "[columns] decimal = \",\""]),
        ),
        case(
            "infinite value",
            &[("leads.csv", b"lead_id,value\na,inf\n")],
            Fails(1, &["line 2", "not a finite number"]),
        ),
        case(
            "US dates",
            &[("leads.csv", b"lead_id,created_at\na,10/20/2016\nb,3/1/2017 2:05 PM\n")],
            Works(&["a", "b"]),
        ),
        case(
            "dates that could be month or day first",
            &[("leads.csv", b"lead_id,created_at\na,3/1/2017\nb,4/2/2017\n")],
            Fails(1, &["leads.csv, line 2, column 2", "month first or day first", "date_format"]),
        ),
        case(
            "dates in two styles",
            &[("leads.csv", b"lead_id,created_at\na,20/10/2016\nb,10/20/2016\n")],
            Fails(1, &["leads.csv, line 3, column 2", "month first", "line 2", "day first"]),
        ),
        Case {
            setup: WORLD,
            prepare: Some(|wd| wd.edit_cell("w/history.csv", "created_at", 7, "someday")),
            args: Some(vec![
                "train",
                "--history",
                "w/history.csv",
                "--config",
                "w/leadroute.toml",
                "--model",
                "m.json",
            ]),
            ..case(
                "unreadable date in a history",
                &[],
                Fails(1, &["history.csv, line 9, column 2", "(\"created_at\")", "expected an ISO date", "someday"]),
            )
        },
        Case {
            setup: TRAINED,
            prepare: Some(|wd| wd.edit_cell("w/leads.csv", "page_views", 3, "inf")),
            args: Some(vec![
                "score",
                "--leads",
                "w/leads.csv",
                "--config",
                "w/leadroute.toml",
                "--model",
                "model.json",
                "--out",
                "scores.csv",
            ]),
            ..case(
                "infinite number in a feature",
                &[],
                Fails(1, &["leads.csv, line 5, column", "\"inf\"", "finite number"]),
            )
        },
        Case {
            extra: &["--config", "c.toml"],
            ..case(
                "lookup with a key twice",
                &[
                    ("leads.csv", b"lead_id,account\na,x\nb,y\n"),
                    ("accounts.csv", b"account,sector\nx,tech\ny,media\nx,retail\n"),
                    ("c.toml", JOIN),
                ],
                Fails(1, &["accounts.csv, line 4, column 1", "key \"x\" appears twice (first on line 2)"]),
            )
        },
        Case {
            extra: &["--config", "c.toml"],
            ..case(
                "lookup without a lead's key",
                &[
                    ("leads.csv", b"lead_id,account\na,x\nb,z\n"),
                    ("accounts.csv", b"account,sector\nx,tech\ny,media\n"),
                    ("c.toml", JOIN),
                ],
                Warns(&["a", "b"], &["1 of 2 rows have a account that", "accounts.csv does not list", "\"z\""]),
            )
        },
        Case {
            extra: &["--config", "c.toml"],
            ..case(
                "join key the leads do not have",
                &[("accounts.csv", b"account,sector\nx,tech\n"), ("c.toml", JOIN)],
                Fails(1, &["leads.csv, line 1", "joins on \"account\""]),
            )
        },
        Case {
            args: Some(vec!["init", "--leads", "leads.csv", "--out", "c.toml"]),
            ..case("init over an existing config", &[("c.toml", b"# mine\n")], Fails(2, &["c.toml exists", "--force"]))
        },
        Case {
            args: Some(assign("nope.csv", "reps.csv", "out.csv")),
            ..case("leads file missing", &[], Fails(1, &["nope.csv"]))
        },
        case("leads file empty", &[("leads.csv", b"")], Fails(1, &["leads.csv", "empty", "header"])),
        case("leads path is a folder", &[("leads.csv/", b"")], Fails(1, &["leads.csv", "folder"])),
        case(
            "no lead_id column",
            &[("leads.csv", b"id,region\na,NA\n")],
            Fails(1, &["leads.csv, line 1", "\"lead_id\""]),
        ),
        case(
            "duplicate lead_id",
            &[("leads.csv", b"lead_id\na\nb\na\n")],
            Fails(1, &["leads.csv, line 4, column 1", "duplicate lead_id \"a\"", "line 2"]),
        ),
        case(
            "empty lead_id",
            &[("leads.csv", b"lead_id,value\na,1\n  ,2\n")],
            Fails(1, &["leads.csv, line 3, column 1", "lead_id is empty"]),
        ),
        case(
            "row with an extra field",
            &[("leads.csv", b"lead_id,region\na,NA\nb,EMEA,extra\n")],
            Fails(1, &["leads.csv, line 3", "expected 2 fields", "found 3"]),
        ),
        case(
            "row with a missing field",
            &[("leads.csv", b"lead_id,region,value\na,NA,1\nb\n")],
            Fails(1, &["leads.csv, line 3", "expected 3 fields", "found 1"]),
        ),
        case(
            "invalid UTF-8",
            &[("leads.csv", b"lead_id,company\na,Caf\xe9\n")],
            Fails(1, &["leads.csv, line 2", "UTF-8"]),
        ),
        case(
            "unterminated quote",
            &[("leads.csv", b"lead_id,note\na,ok\nb,\"never closed\nc,x\n")],
            Fails(1, &["leads.csv, line 3", "never closed"]),
        ),
        case(
            "duplicate header",
            &[("leads.csv", b"lead_id,region,Region\na,NA,NA\n")],
            Fails(1, &["leads.csv, line 1, column 3", "duplicate column"]),
        ),
        case(
            "non-numeric value",
            &[("leads.csv", b"lead_id,value\na,12\nb,twelve\n")],
            Fails(1, &["leads.csv, line 3, column 2 (\"value\")", "twelve"]),
        ),
        case(
            "NaN value",
            &[("leads.csv", b"lead_id,value\na,NaN\n")],
            Fails(1, &["leads.csv, line 2, column 2", "deal value"]),
        ),
        case(
            "negative value",
            &[("leads.csv", b"lead_id,value\na,5\nb,-5\n")],
            Fails(1, &["leads.csv, line 3, column 2", "≥ 0"]),
        ),
        case(
            "infinite workload",
            &[("leads.csv", b"lead_id,workload\na,inf\n")],
            Fails(1, &["leads.csv, line 2, column 2", "workload"]),
        ),
        case(
            "zero workload",
            &[("leads.csv", b"lead_id,workload\na,0\n")],
            Fails(1, &["leads.csv, line 2, column 2", "workload > 0"]),
        ),
        case(
            "impossible date",
            &[("leads.csv", b"lead_id,created_at\na,2024-02-30\n")],
            Fails(1, &["leads.csv, line 2, column 2 (\"created_at\")", "date"]),
        ),
        // ---- reps
        Case {
            args: Some(assign("leads.csv", "nope_reps.csv", "out.csv")),
            ..case("reps file missing", &[], Fails(1, &["nope_reps.csv"]))
        },
        case("reps file empty", &[("reps.csv", b"")], Fails(1, &["reps.csv", "empty"])),
        case(
            "no capacity column",
            &[("reps.csv", b"rep_id,territories\nr1,NA\n")],
            Warns(&["a", "b"], &["reps.csv has no capacity column", "up to 3 workload units", "[reps] capacity"]),
        ),
        case(
            "reps file with a header and no reps",
            &[("reps.csv", b"rep_id,capacity,territories\n")],
            Fails(1, &["reps.csv", "no reps"]),
        ),
        Case {
            extra: &["--config", "c.toml"],
            ..case(
                "territory list with commas and spaces",
                &[("reps.csv", b"rep_id,capacity,territories\nr1,10,\"NA, EMEA\"\n"), ("c.toml", RULE)],
                Works(&["a", "b"]),
            )
        },
        Case {
            extra: &["--config", "c.toml"],
            ..case(
                "rep territory no lead has",
                &[("reps.csv", b"rep_id,capacity,territories\nr1,10,NA;Mars\nr2,10,*\n"), ("c.toml", RULE)],
                Warns(&["a", "b"], &["1 territories values match no lead's region", "\"mars\" (r1)"]),
            )
        },
        Case {
            extra: &["--config", "c.toml"],
            ..case(
                "lead region no rep lists",
                &[("reps.csv", b"rep_id,capacity,territories\nr1,10,NA\n"), ("c.toml", RULE)],
                Warns(&["a", "b"], &["1 leads have a region that no rep's territories lists", "no_eligible_rep"]),
            )
        },
        case(
            "territories but no config",
            &[("reps.csv", b"rep_id,capacity,territories\nr1,10,NA\nr2,10,EMEA\n")],
            Warns(&["a", "b"], &["no eligibility rule is set", "lead = \"region\"", "rep = \"territories\""]),
        ),
        case(
            "negative capacity",
            &[("reps.csv", b"rep_id,capacity\nr1,-3\n")],
            Fails(1, &["reps.csv, line 2, column 2 (\"capacity\")", "capacity ≥ 0"]),
        ),
        case(
            "missing capacity cell",
            &[("reps.csv", b"rep_id,capacity\nr1,\n")],
            Fails(1, &["reps.csv, line 2, column 2", "capacity is missing"]),
        ),
        case(
            "infinite capacity",
            &[("reps.csv", b"rep_id,capacity\nr1,1e400\n")],
            Fails(1, &["reps.csv, line 2, column 2"]),
        ),
        case(
            "odd boolean",
            &[("reps.csv", b"rep_id,capacity,active\nr1,3,maybe\n")],
            Fails(1, &["reps.csv, line 2, column 3 (\"active\")", "true/false"]),
        ),
        case(
            "zero weight",
            &[("reps.csv", b"rep_id,capacity,weight\nr1,3,0\n")],
            Fails(1, &["reps.csv, line 2, column 3", "weight > 0"]),
        ),
        case(
            "fractional min_leads",
            &[("reps.csv", b"rep_id,capacity,min_leads\nr1,3,2.5\n")],
            Fails(1, &["reps.csv, line 2, column 3", "whole number"]),
        ),
        case(
            "duplicate rep_id",
            &[("reps.csv", b"rep_id,capacity\nr1,3\nr1,4\n")],
            Fails(1, &["reps.csv, line 3", "duplicate rep_id"]),
        ),
        case(
            "empty rep_id",
            &[("reps.csv", b"rep_id,capacity\nr1,3\n,4\n")],
            Fails(1, &["reps.csv, line 3, column 1", "rep_id is empty"]),
        ),
        // ---- config
        Case {
            extra: &["--config", "c.toml"],
            ..case(
                "unknown config key",
                &[("c.toml", b"[features]\nexclud = [\"x\"]\n")],
                Fails(1, &["c.toml, line 2", "exclud"]),
            )
        },
        Case {
            extra: &["--config", "c.toml"],
            ..case("bad TOML", &[("c.toml", b"[columns\nlead_id = 3\n")], Fails(1, &["c.toml, line 1"]))
        },
        Case {
            extra: &["--config", "c.toml"],
            ..case(
                "config value of the wrong type",
                &[("c.toml", b"[monitoring]\nmax_psi = \"high\"\n")],
                Fails(1, &["c.toml, line 2, column 11 (\"max_psi = \\\"high\\\"\")", "expected f64"]),
            )
        },
        Case { extra: &["--config", "nope.toml"], ..case("config file missing", &[], Fails(1, &["nope.toml"])) },
        Case {
            extra: &["--config", "c.toml"],
            ..case(
                "mapped column missing",
                &[("c.toml", b"[columns]\nlead_id = \"Lead ID\"\n")],
                Fails(1, &["c.toml maps lead_id"]),
            )
        },
        Case {
            extra: &["--config", "c.toml"],
            ..case(
                "eligibility on a missing lead column",
                &[("c.toml", b"[[eligibility]]\nlead = \"country\"\nrep = \"territories\"\n")],
                Fails(1, &["leads.csv", "\"country\"", "eligibility rule 1"]),
            )
        },
        Case {
            extra: &["--config", "c.toml"],
            ..case(
                "eligibility on a missing rep column",
                &[("c.toml", b"[[eligibility]]\nlead = \"region\"\nrep = \"regions\"\n")],
                Fails(1, &["reps.csv", "\"regions\"", "eligibility rule 1"]),
            )
        },
        // ---- history
        Case {
            args: Some(vec!["train", "--history", "nope.csv", "--model", "m.json"]),
            ..case("history file missing", &[], Fails(1, &["nope.csv"]))
        },
        Case {
            args: Some(vec!["generate", "--out", "g", "--reps", "4", "--new-reps", "4"]),
            ..case("generate with only new reps", &[], Fails(2, &["--new-reps", "--reps"]))
        },
        // Training settings out of range are usage errors, named by their flag.
        Case {
            args: Some(TRAIN.to_vec()),
            extra: &["--subsample", "0"],
            ..case("train with no rows per tree", &[], Fails(2, &["--subsample", "(0, 1]"]))
        },
        Case {
            args: Some(TRAIN.to_vec()),
            extra: &["--depth", "3,0"],
            ..case("train with a zero tree depth", &[], Fails(2, &["--depth", "0"]))
        },
        Case {
            args: Some(TRAIN.to_vec()),
            extra: &["--learning-rate", "1.5"],
            ..case("train with a learning rate above 1", &[], Fails(2, &["--learning-rate"]))
        },
        Case {
            args: Some(TRAIN.to_vec()),
            ..case(
                "history without outcomes",
                &[("history.csv", b"lead_id,region\na,NA\nb,EMEA\n")],
                Fails(1, &["history.csv, line 1", "outcome"]),
            )
        },
        Case {
            args: Some(TRAIN.to_vec()),
            ..case(
                "one-class history",
                &[("history.csv", b"lead_id,region,outcome\na,NA,won\nb,EMEA,won\nc,NA,won\n")],
                Fails(1, &["history.csv", "only one class"]),
            )
        },
        Case {
            args: Some(TRAIN.to_vec()),
            ..case(
                "empty history",
                &[("history.csv", b"lead_id,region,outcome\n")],
                Fails(1, &["history.csv", "no deals"]),
            )
        },
        // ---- model
        Case {
            setup: WORLD,
            args: Some(SCORE.to_vec()),
            ..case("corrupt model file", &[("model.json", b"{\"trees\": [1, 2")], Fails(1, &["model.json"]))
        },
        Case {
            setup: WORLD,
            args: Some(SCORE.to_vec()),
            ..case(
                "model file of another kind",
                &[("model.json", b"{\"name\": \"not a model\"}")],
                Fails(1, &["model.json"]),
            )
        },
        Case {
            args: Some(vec!["score", "--leads", "leads.csv", "--model", "nope.json", "--out", "scores.csv"]),
            ..case("model file missing", &[], Fails(1, &["nope.json"]))
        },
        // ---- flags
        Case {
            args: Some(vec!["assign", "--policy", "round-robin", "--leads", "leads.csv"]),
            ..case("required flag missing", &[], Fails(2, &["--reps"]))
        },
        Case {
            args: Some(vec![
                "assign",
                "--policy",
                "random",
                "--leads",
                "leads.csv",
                "--reps",
                "reps.csv",
                "--out",
                "out.csv",
            ]),
            ..case("unknown policy", &[], Fails(2, &["random"]))
        },
        Case { args: Some(vec!["frobnicate"]), ..case("unknown command", &[], Fails(2, &["frobnicate"])) },
        Case {
            args: Some(vec!["generate", "--out", "w", "--leads", "-5"]),
            ..case("negative count", &[], Fails(2, &["-5"]))
        },
        Case {
            args: Some([vec!["--threads", "0"], assign("leads.csv", "reps.csv", "out.csv")].concat()),
            ..case("zero threads", &[], Fails(2, &["threads"]))
        },
        Case { extra: &["--report-leads", "many"], ..case("non-numeric flag value", &[], Fails(2, &["many"])) },
        Case { extra: &["--what-if", "r1:capacity"], ..case("malformed what-if", &[], Fails(2, &["r1:capacity"])) },
        // ---- outputs
        Case {
            args: Some(assign("leads.csv", "reps.csv", "no/such/out.csv")),
            ..case("output folder missing", &[], Fails(1, &["no/such", "does not exist"]))
        },
        Case {
            args: Some(assign("leads.csv", "reps.csv", "outdir")),
            ..case("output is a folder", &[("outdir/", b"")], Fails(1, &["outdir", "folder"]))
        },
        Case {
            args: Some(assign("leads.csv", "reps.csv", "leads.csv/out.csv")),
            ..case("output under a file", &[], Fails(1, &["leads.csv/out.csv", "is a file, not a folder"]))
        },
        // ---- re-routing inputs
        Case {
            extra: &["--current", "cur.csv"],
            ..case(
                "current owners file lists a lead twice",
                &[("cur.csv", b"lead_id,rep_id\na,r1\na,r2\n")],
                Fails(1, &["cur.csv, line 3, column 1", "listed twice"]),
            )
        },
        Case {
            extra: &["--what-if", "r9:capacity=+5"],
            ..case("what-if on an unknown rep", &[], Fails(2, &["r9", "reps.csv"]))
        },
        Case {
            extra: &["--lock", "--move-penalty", "5"],
            ..case("contradictory flags", &[], Fails(2, &["--lock", "--move-penalty"]))
        },
        Case {
            extra: &["--current", "cur.csv"],
            ..case(
                "current owners naming unknown leads and reps",
                &[("cur.csv", b"lead_id,rep_id\nzzz,r1\na,r9\n")],
                Works(&["a", "b"]),
            )
        },
        // ---- inputs that must work
        case(
            "BOM and CRLF",
            &[
                ("leads.csv", b"\xEF\xBB\xBFlead_id,region,value\r\na,NA,10\r\nb,EMEA,20\r\n"),
                ("reps.csv", b"\xEF\xBB\xBFrep_id,capacity\r\nr1,5\r\n"),
            ],
            Works(&["a", "b"]),
        ),
        case(
            "quoted commas and newlines",
            &[("leads.csv", b"lead_id,note,value\n\"a\",\"big, \"\"hot\"\" deal\",10\nb,\"two\nlines\",20\n")],
            Works(&["a", "b"]),
        ),
        case(
            "columns in another order",
            &[
                ("leads.csv", b"value,region,lead_id\n10,NA,a\n20,EMEA,b\n"),
                ("reps.csv", b"territories,capacity,rep_id\nNA,10,r1\n*,10,r2\n"),
            ],
            Works(&["a", "b"]),
        ),
        case(
            "extra columns",
            &[("leads.csv", b"lead_id,region,value,favourite_colour,notes\na,NA,10,blue,\nb,EMEA,20,,call back\n")],
            Works(&["a", "b"]),
        ),
        case("header-only batch", &[("leads.csv", b"lead_id,region,value\n")], Works(&[])),
        case("header-only batch without a line end", &[("leads.csv", b"lead_id,region,value")], Works(&[])),
        case(
            "every rep inactive",
            &[("reps.csv", b"rep_id,capacity,active\nr1,10,false\nr2,10,no\n")],
            Works(&["a", "b"]),
        ),
        case("no capacity left", &[("reps.csv", b"rep_id,capacity\nr1,0\nr2,1\n")], Works(&["a", "b"])),
        case("very long cells", LONG_FILES, Works(&["a", "b"])),
        case(
            "ids with spaces and quotes",
            &[("leads.csv", b"lead_id,value\n\"lead \"\"one\"\", inc\",1\nlead two,2\n  padded  ,3\n")],
            Works(&["lead \"one\", inc", "lead two", "padded"]),
        ),
        case("unicode ids and values", &[("leads.csv", UNICODE)], Works(&["Zoë-1", "株式会社-2"])),
        case(
            "semicolon-separated",
            &[("leads.csv", b"lead_id;region;value\na;NA;10\nb;EMEA;20\n"), ("reps.csv", b"rep_id;capacity\nr1;5\n")],
            Works(&["a", "b"]),
        ),
        case(
            "tab-separated",
            &[("leads.csv", b"lead_id\tregion\tvalue\na\tNA\t10\nb\tEMEA\t20\n")],
            Works(&["a", "b"]),
        ),
        case(
            "blank lines",
            &[("leads.csv", b"lead_id,region,value\n\na,NA,10\n\n\nb,EMEA,20\n\n")],
            Works(&["a", "b"]),
        ),
        case(
            "empty optional cells",
            &[("leads.csv", b"lead_id,region,value,workload,created_at\na,,,,\nb,EMEA,20,1,2026-01-02\n")],
            Works(&["a", "b"]),
        ),
        Case {
            setup: TRAINED,
            args: Some(vec![
                "assign",
                "--leads",
                "w/leads.csv",
                "--reps",
                "few_reps.csv",
                "--history",
                "w/history.csv",
                "--config",
                "w/leadroute.toml",
                "--model",
                "model.json",
                "--out",
                "out.csv",
            ]),
            ..case(
                "history naming departed reps",
                &[("few_reps.csv", b"rep_id,capacity,territories\nR001,20,*\nR003,20,NA\n")],
                Works(&WORLD_LEADS),
            )
        },
        Case {
            setup: TRAINED,
            args: Some(vec!["score", "--leads", "w/leads.csv", "--model", "model.json", "--out", "out.csv"]),
            ..case("scoring a batch", &[], Works(&WORLD_LEADS))
        },
    ]
}

const UNICODE: &[u8] = "lead_id,region,value\nZoë-1,NA,1\n株式会社-2,EMEA,2\n".as_bytes();

/// The lead ids of the generated world (`generate --leads 30`).
const WORLD_LEADS: [&str; 30] = [
    "L0000001", "L0000002", "L0000003", "L0000004", "L0000005", "L0000006", "L0000007", "L0000008", "L0000009",
    "L0000010", "L0000011", "L0000012", "L0000013", "L0000014", "L0000015", "L0000016", "L0000017", "L0000018",
    "L0000019", "L0000020", "L0000021", "L0000022", "L0000023", "L0000024", "L0000025", "L0000026", "L0000027",
    "L0000028", "L0000029", "L0000030",
];

/// Two leads, one with a 200,000-character note.
const LONG_FILES: &[(&str, &[u8])] = &[("leads.csv", &LONG_CELL)];
const LONG_HEAD: &[u8] = b"lead_id,note,value\na,";
const LONG_TAIL: &[u8] = b",10\nb,short,20\n";
const LONG_NOTE: usize = 200_000;
static LONG_CELL: [u8; LONG_HEAD.len() + LONG_NOTE + LONG_TAIL.len()] = {
    let mut b = [b'x'; LONG_HEAD.len() + LONG_NOTE + LONG_TAIL.len()];
    let mut i = 0;
    while i < LONG_HEAD.len() {
        b[i] = LONG_HEAD[i];
        i += 1;
    }
    let mut j = 0;
    while j < LONG_TAIL.len() {
        b[LONG_HEAD.len() + LONG_NOTE + j] = LONG_TAIL[j];
        j += 1;
    }
    b
};

/// Every file in the folder (names relative to it), folders included.
fn listing(wd: &Workdir) -> BTreeSet<String> {
    fn walk(dir: &std::path::Path, base: &std::path::Path, out: &mut BTreeSet<String>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            out.insert(p.strip_prefix(base).unwrap().display().to_string());
            if p.is_dir() {
                walk(&p, base, out);
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(&wd.path(""), &wd.path(""), &mut out);
    out
}

/// Runs one case; `Err` says how it went wrong.
fn run(case: &Case) -> Result<(), String> {
    let wd = Workdir::new();
    for (name, bytes) in case.files {
        match name.strip_suffix('/') {
            Some(dir) => std::fs::create_dir_all(wd.path(dir)).unwrap(),
            None => wd.create(name, bytes),
        }
    }
    for (name, default) in [("leads.csv", LEADS), ("reps.csv", REPS)] {
        if !case.files.iter().any(|(n, _)| n.trim_end_matches('/') == name) {
            wd.create(name, default);
        }
    }
    for s in case.setup {
        wd.run(s);
    }
    if let Some(prepare) = case.prepare {
        prepare(&wd);
    }
    let mut args = case.args.clone().unwrap_or_else(|| assign("leads.csv", "reps.csv", "out.csv"));
    args.extend(case.extra);
    let before = listing(&wd);
    let out = wd.command(&args).output().expect("run leadroute");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let code = out.status.code();
    if stderr.contains("panicked") {
        return Err(format!("panicked:\n{stderr}"));
    }
    match &case.expect {
        Fails(want, needles) => {
            if code != Some(*want) {
                return Err(format!("exit {code:?}, expected {want}; stderr:\n{stderr}"));
            }
            if let Some(n) = needles.iter().find(|n| !stderr.contains(**n)) {
                return Err(format!("stderr lacks {n:?}:\n{stderr}"));
            }
            let after = listing(&wd);
            if after != before {
                let new: Vec<_> = after.difference(&before).collect();
                return Err(format!("the folder changed: {new:?}"));
            }
        }
        Works(ids) | Warns(ids, _) => {
            if let Warns(_, needles) = &case.expect
                && let Some(n) = needles.iter().find(|n| !stderr.contains(**n))
            {
                return Err(format!("stderr lacks {n:?}:\n{stderr}"));
            }
            if code != Some(0) {
                return Err(format!("exit {code:?}, expected 0; stderr:\n{stderr}"));
            }
            let csv = wd.read_csv("out.csv");
            let mut got = csv.column("lead_id");
            let mut want: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
            got.sort();
            want.sort();
            if got != want {
                return Err(format!("lead ids in the output {got:?}, expected each of {want:?} once"));
            }
        }
    }
    Ok(())
}

#[test]
fn the_bad_input_catalogue() {
    let cases = catalogue();
    let fails = cases.iter().filter(|c| matches!(c.expect, Fails(..))).count();
    assert!(cases.iter().any(|c| matches!(c.expect, Warns(..))), "some cases check their warnings");
    assert!(fails >= 40 && cases.len() - fails >= 15, "{fails} failing cases, {} working", cases.len() - fails);
    let names: BTreeSet<&str> = cases.iter().map(|c| c.name).collect();
    assert_eq!(names.len(), cases.len(), "case names are unique");
    let broken: Vec<String> = cases.iter().filter_map(|c| run(c).err().map(|e| format!("{}: {e}", c.name))).collect();
    assert!(broken.is_empty(), "{} of {} cases went wrong:\n\n{}", broken.len(), cases.len(), broken.join("\n\n"));
}
