//! `score`: probability to convert, rank, tier and top factors for every lead.

use std::path::PathBuf;

use anyhow::Result;

use crate::config::Config;
use crate::data::Leads;
use crate::io::check_output_path;
use crate::join;
use crate::modelfile::ModelFile;
use crate::output::write_scores;
use crate::progress::{Progress, Stages};
use crate::scoring;

/// Settings of `score`.
#[derive(Debug, Clone)]
pub struct ScoreSettings {
    pub leads: PathBuf,
    pub model: PathBuf,
    pub config: Option<PathBuf>,
    pub out: PathBuf,
    /// How many factors to list per lead.
    pub factors: usize,
}

/// `score`: read the model and the leads, score, write; returns the number of leads.
pub fn run(s: &ScoreSettings, progress: &Progress, warnings: &mut Vec<String>, stages: &mut Stages) -> Result<usize> {
    check_output_path(&s.out)?;
    let cfg = Config::load_or_default(s.config.as_deref())?;
    let model = ModelFile::load(&s.model)?.scorer;
    stages.mark("model");
    let table = join::read(&s.leads, "leads", &cfg, warnings)?;
    stages.mark("read");
    let leads = Leads::from_table(table, &cfg)?;
    stages.mark("validate");
    let spinner = progress.spinner(&format!("scoring {} leads", leads.len()));
    let (x, w) = model.bin_leads(&leads.table, &cfg)?;
    warnings.extend(w);
    stages.mark("features");
    let (p, explained) = scoring::predict_explained(&model, &x, &leads.table, &cfg, s.factors);
    stages.mark("predict+factors");
    write_scores(&s.out, &leads, &p, &explained)?;
    spinner.finish();
    stages.mark("write");
    Ok(leads.len())
}
