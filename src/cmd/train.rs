//! `train`: learn a scoring model (and rep skill) from history and write the model file.

use std::path::PathBuf;

use anyhow::Result;

use crate::config::Config;
use crate::data::find_column;
use crate::io::check_output_path;
use crate::join;
use crate::model::{self, Params};
use crate::modelfile::ModelFile;
use crate::progress::Progress;
use crate::skill::{self, SkillSettings};

/// Settings of `train`.
#[derive(Debug, Clone)]
pub struct TrainSettings {
    pub history: PathBuf,
    pub config: Option<PathBuf>,
    pub model: PathBuf,
    /// Continue this earlier model with the history's outcomes instead of starting afresh.
    pub from: Option<PathBuf>,
    pub params: Params,
}

/// `train`: learn a scoring model from history (or continue an earlier one with new
/// outcomes), learn rep skill from the same history, and write the model file.
pub fn run(s: &TrainSettings, progress: &Progress, warnings: &mut Vec<String>) -> Result<ModelFile> {
    s.params.check()?;
    check_output_path(&s.model)?;
    let cfg = Config::load_or_default(s.config.as_deref())?;
    let from = s.from.as_deref().map(ModelFile::load).transpose()?.map(|f| f.scorer);
    let table = join::read(&s.history, "history", &cfg, warnings)?;
    let hash = model::file_sha256(&s.history)?;
    let labels = model::labels(&table, &cfg)?;
    let trained = model::train_continuing(&table, &cfg, &s.params, hash, progress, labels, from.as_ref())?;
    warnings.extend(trained.warnings);
    // Rep skill from the same history, stored with the model for `assign --model`.
    let has_reps = find_column(&table, &cfg, "rep_id").is_some();
    let settings = SkillSettings::new(&cfg, &s.params);
    let mut skill = if cfg.skill.enabled && has_reps {
        Some(skill::learn(&table, &cfg, &settings, &trained.model, warnings)?)
    } else {
        None
    };
    // The speed-to-lead decay: with the skill's out-of-fold scores when it was learned.
    let decay = match skill.as_mut() {
        Some(sk) => sk.decay.take(),
        None => skill::decay_in_sample(&table, &cfg, &trained.model, &settings, warnings)?,
    };
    let file = ModelFile { scorer: trained.model, skill, decay };
    file.save(&s.model)?;
    Ok(file)
}
