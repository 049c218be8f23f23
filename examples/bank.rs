//! Scoring benchmark on the UCI bank-marketing data (41,188 calls, outcome `y`).
//!
//! ```sh
//! cargo run --release --example bank -- [PATH] [--seed N] [--config FILE] \
//!     [--depth 3,5] [--learning-rate X] [--min-leaf N] [--subsample X]
//! ```
//!
//! `--config` reads the columns, outcome values and exclusions from a config (e.g. the one
//! `leadroute init --history PATH` writes) instead of the built-in one; the other flags
//! are `train`'s.
//! PATH defaults to `../shared/datasets/bank-marketing/bank-additional-full.csv`. The
//! `duration` column is left out (it is only known after the call). Rows are split 75/25 at
//! random (seeded); the model trains on the 75 % (holding out its own share for early
//! stopping and calibration) and is scored on the untouched 25 %. Prints one CSV row:
//! `seed,train_rows,test_rows,test_auc,test_log_loss,train_seconds`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use leadroute::config::Config;
use leadroute::io::Table;
use leadroute::model::{self, Params, metrics};
use leadroute::progress::Progress;
use rand::SeedableRng;
use rand::seq::SliceRandom;

fn main() -> Result<()> {
    let mut path = PathBuf::from("../shared/datasets/bank-marketing/bank-additional-full.csv");
    let mut seed = 1u64;
    let mut config: Option<PathBuf> = None;
    let mut params = Params::default();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--seed" {
            seed = args.next().context("--seed needs a number")?.parse()?;
        } else if a == "--depth" {
            let d: String = args.next().context("--depth needs depths")?;
            params.depths = d.split(',').map(str::parse).collect::<Result<_, _>>()?;
        } else if a == "--learning-rate" {
            params.learning_rate = args.next().context("--learning-rate needs a number")?.parse()?;
        } else if a == "--min-leaf" {
            params.min_leaf = args.next().context("--min-leaf needs a number")?.parse()?;
        } else if a == "--subsample" {
            params.subsample = args.next().context("--subsample needs a number")?.parse()?;
        } else if a == "--config" {
            config = Some(args.next().context("--config needs a file")?.into());
        } else {
            path = PathBuf::from(a);
        }
    }
    if !path.exists() {
        eprintln!("{} is not on this machine; nothing to measure", path.display());
        return Ok(());
    }
    let table = Table::read(&path, "bank-marketing")?;
    let mut rows: Vec<usize> = (0..table.len()).collect();
    rows.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(seed));
    let cut = rows.len() * 3 / 4;
    let dir = tempfile::tempdir()?;
    let train_path = dir.path().join("train.csv");
    let test_path = dir.path().join("test.csv");
    write_rows(&table, &rows[..cut], &train_path)?;
    write_rows(&table, &rows[cut..], &test_path)?;

    let cfg = match &config {
        Some(c) => Config::load(c)?,
        None => Config::parse(
            "[columns]\nlead_id = \"row\"\noutcome = \"y\"\n[outcome]\nwon = [\"yes\"]\nlost = [\"no\"]\n[features]\nexclude = [\"duration\"]\n",
            Path::new("bank.toml"),
        )?,
    };
    let train = Table::read(&train_path, "train")?;
    let start = Instant::now();
    let trained = model::train(&train, &cfg, &Params { seed, ..params }, String::new(), &Progress::hidden())?;
    let seconds = start.elapsed().as_secs_f64();

    let test = Table::read(&test_path, "test")?;
    let labels: Vec<bool> = model::labels(&test, &cfg)?.into_iter().map(|l| l == Some(true)).collect();
    let (x, _) = trained.model.bin_leads(&test, &cfg)?;
    let p = trained.model.predict(&x);
    let auc = metrics::auc(&p, &labels).unwrap_or(f64::NAN);
    println!("seed,train_rows,test_rows,test_auc,test_log_loss,train_seconds");
    println!("{seed},{},{},{auc:.4},{:.4},{seconds:.2}", cut, rows.len() - cut, metrics::log_loss(&p, &labels));
    Ok(())
}

/// Writes the chosen rows with a `row` id column in front.
fn write_rows(table: &Table, rows: &[usize], path: &Path) -> Result<()> {
    let mut w = csv::Writer::from_path(path)?;
    w.write_record(std::iter::once("row").chain(table.headers().iter().map(String::as_str)))?;
    for &r in rows {
        let id = r.to_string();
        w.write_record(std::iter::once(id.as_str()).chain((0..table.headers().len()).map(|c| table.cell(r, c))))?;
    }
    w.flush()?;
    Ok(())
}
