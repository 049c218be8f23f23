//! The model file: the scoring model and the rep skill learned from the same history, so
//! that `assign --model` routes without relearning either. Above both the scorer
//! (`model`) and `skill`, which know nothing of each other's storage.

use std::path::Path;

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::error::InputError;
use crate::io::write_atomic;
use crate::model::Model;
use crate::skill::Skill;

/// What `train` writes and `score` / `assign --model` read: the scorer's fields, then
/// `skill` (absent when the history names no reps or skill is switched off).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelFile {
    #[serde(flatten)]
    pub scorer: Model,
    #[serde(default)]
    pub skill: Option<Skill>,
    /// The speed-to-lead decay estimated from the history's first responses (when it has
    /// `first_response_at`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decay: Option<crate::timing::DecayEstimate>,
}

impl ModelFile {
    /// Writes the model file atomically.
    pub fn save(&self, path: &Path) -> Result<()> {
        write_atomic(path, |w| {
            serde_json::to_writer(&mut *w, self)?;
            w.write_all(b"\n")?;
            Ok(())
        })
    }

    /// Reads a model file, refusing other formats and versions and damaged trees.
    pub fn load(path: &Path) -> Result<ModelFile> {
        let head = Model::read_checked(path)?;
        let damaged = |e: String| InputError::file(path, format!("the model file is damaged: {e}"));
        let file: ModelFile = serde_json::from_value(head).map_err(|e| damaged(e.to_string()))?;
        file.scorer.validate().map_err(|e| damaged(e.to_string()))?;
        Ok(file)
    }
}
