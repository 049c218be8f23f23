//! A fresh folder per test, files written into it, the real binary run inside it, and its
//! CSV output parsed back. On an unexpected status the whole command line, status, stdout
//! and stderr are printed.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct Workdir {
    dir: tempfile::TempDir,
}

/// A CSV file parsed back: its header and rows.
#[derive(Debug, Clone)]
pub struct Csv {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Csv {
    pub fn col(&self, name: &str) -> usize {
        self.headers.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name} in {:?}", self.headers))
    }

    pub fn column(&self, name: &str) -> Vec<String> {
        let c = self.col(name);
        self.rows.iter().map(|r| r[c].clone()).collect()
    }
}

impl Workdir {
    pub fn new() -> Workdir {
        Workdir { dir: tempfile::Builder::new().prefix("leadroute-test-").tempdir().expect("temp dir") }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn create(&self, rel: &str, contents: impl AsRef<[u8]>) {
        let p = self.path(rel);
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent).unwrap();
        }
        fs::write(p, contents).unwrap();
    }

    pub fn exists(&self, rel: &str) -> bool {
        self.path(rel).exists()
    }

    pub fn read(&self, rel: &str) -> Vec<u8> {
        fs::read(self.path(rel)).unwrap_or_else(|e| panic!("cannot read {rel}: {e}"))
    }

    pub fn read_csv(&self, rel: &str) -> Csv {
        read_csv(&self.path(rel))
    }

    /// Sets the cell of `column` in data row `row` (0-based) of a CSV file in the folder.
    pub fn edit_cell(&self, file: &str, column: &str, row: usize, value: &str) {
        let mut csv = self.read_csv(file);
        let c = csv.col(column);
        csv.rows[row][c] = value.to_string();
        let mut w = csv::Writer::from_path(self.path(file)).unwrap();
        w.write_record(&csv.headers).unwrap();
        for r in &csv.rows {
            w.write_record(r).unwrap();
        }
        w.flush().unwrap();
    }

    /// Splits a leads file: its first `n` leads into `night.csv`, the rest into `day.csv`
    /// (each with the header).
    pub fn split_night_day(&self, leads: &str, n: usize) {
        let text = String::from_utf8(self.read(leads)).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        self.create("night.csv", lines[..=n].join("\n") + "\n");
        self.create("day.csv", format!("{}\n{}\n", lines[0], lines[n + 1..].join("\n")));
    }

    /// Generates a world in `w/`: 10 reps whose skill by industry spreads 0.8 in log-odds,
    /// `leads` new leads and `history` past outcomes.
    pub fn world(&self, seed: &str, leads: &str, history: &str) {
        self.run(&[
            "generate",
            "--out",
            "w",
            "--seed",
            seed,
            "--leads",
            leads,
            "--reps",
            "10",
            "--history",
            history,
            "--skill-spread",
            "0.8",
        ]);
    }

    /// A command for the leadroute binary, run in this folder.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_leadroute"));
        cmd.current_dir(self.dir.path()).args(args);
        cmd
    }

    /// Runs with `input` on standard input; the output, whatever the exit code.
    pub fn run_with_input(&self, args: &[&str], input: &[u8]) -> Output {
        use std::io::Write;
        use std::process::Stdio;
        let mut child =
            self.command(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        child.stdin.take().unwrap().write_all(input).unwrap();
        child.wait_with_output().unwrap()
    }

    /// Runs and insists on exit code 0.
    pub fn run(&self, args: &[&str]) -> Output {
        self.run_expect(args, 0)
    }

    /// Runs and insists on the given exit code.
    pub fn run_expect(&self, args: &[&str], code: i32) -> Output {
        let out = self.command(args).output().expect("run leadroute");
        if out.status.code() != Some(code) {
            panic!(
                "\ncommand: leadroute {}\nexpected exit {code}, got {:?}\n--- stdout\n{}\n--- stderr\n{}",
                args.join(" "),
                out.status.code(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        out
    }

    /// Runs, insists on `code`, and returns stderr.
    pub fn fail(&self, args: &[&str], code: i32) -> String {
        String::from_utf8_lossy(&self.run_expect(args, code).stderr).into_owned()
    }
}

pub fn read_csv(path: &Path) -> Csv {
    let mut rdr = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let headers = rdr.headers().unwrap().iter().map(String::from).collect();
    let rows = rdr.records().map(|r| r.unwrap().iter().map(String::from).collect()).collect();
    Csv { headers, rows }
}

/// The repository's own folder (for `examples/`).
pub fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Data from `../shared` (never copied into the repository). Missing data fails the test
/// when `CI` is set, and otherwise skips it with a loud message on stderr.
pub fn shared(rel: &str) -> Option<PathBuf> {
    let p = repo("..").join("shared").join(rel);
    if p.exists() {
        return Some(p);
    }
    if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
        panic!("{} is missing: this test needs the shared data sets, which CI must have", p.display());
    }
    eprintln!("SKIPPED (not a pass): {} is not on this machine", p.display());
    None
}

/// A generated world with a trained model in `w/model.json`.
pub fn trained_world(seed: &str) -> Workdir {
    let wd = Workdir::new();
    wd.run(&["generate", "--out", "w", "--seed", seed, "--leads", "800", "--reps", "12", "--history", "6000"]);
    wd.run(&["train", "--history", "w/history.csv", "--config", "w/leadroute.toml", "--model", "w/model.json"]);
    wd
}

/// `assign` on the world's batch, reps and config, then `extra`.
pub fn world_assign<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["assign", "--leads", "w/leads.csv", "--reps", "w/reps.csv", "--config", "w/leadroute.toml"];
    args.extend_from_slice(extra);
    args
}

/// A JSON number, or a panic naming what was found instead.
pub fn number(v: &serde_json::Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// Routes `leads.csv` to `reps.csv` by round robin into `out`, with `extra` flags.
pub fn round_robin<'a>(out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args =
        vec!["assign", "--policy", "round-robin", "--leads", "leads.csv", "--reps", "reps.csv", "--out", out];
    args.extend(extra);
    args
}
