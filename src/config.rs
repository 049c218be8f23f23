//! The TOML config file: how a CRM's own headers map onto leadroute's canonical columns,
//! which outcome values mean won and lost, which columns are features or segments, and the
//! eligibility rules. Every key is optional and unknown keys are rejected, so a typo is an
//! error rather than a silently ignored setting.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Deserialize;

use crate::error::InputError;

/// The whole config file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub columns: Columns,
    #[serde(default)]
    pub outcome: Outcome,
    #[serde(default)]
    pub features: Features,
    #[serde(default)]
    pub eligibility: Vec<EligibilityRule>,
    #[serde(default)]
    pub skill: SkillConfig,
    #[serde(default)]
    pub monitoring: Monitoring,
    #[serde(default)]
    pub reps: RepsConfig,
    /// Lookup tables joined onto the input files (`[[join]]`).
    #[serde(default, rename = "join")]
    pub joins: Vec<JoinSpec>,
    /// When reps can work and what waiting costs (`[timing]`); its presence makes routing
    /// time-aware.
    #[serde(default)]
    pub timing: Option<TimingConfig>,
    /// Absences (`[availability]`).
    #[serde(default)]
    pub availability: Option<AvailabilityConfig>,
    /// Where the config came from, for messages (not a TOML key).
    #[serde(skip)]
    pub source: Option<PathBuf>,
}

/// Canonical column name → the header used in the input files: one header, or a list of
/// headers tried in order (the first one a file has is used), for when the files of one CRM
/// name the same thing differently (`rep_id = ["Lead Owner", "User ID"]`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Columns {
    pub lead_id: Option<Headers>,
    pub value: Option<Headers>,
    pub workload: Option<Headers>,
    pub rep_id: Option<Headers>,
    pub created_at: Option<Headers>,
    pub capacity: Option<Headers>,
    pub open_leads: Option<Headers>,
    pub active: Option<Headers>,
    pub weight: Option<Headers>,
    pub min_leads: Option<Headers>,
    pub outcome: Option<Headers>,
    pub closed_at: Option<Headers>,
    /// Reps: the IANA time zone of the rep's working hours.
    pub time_zone: Option<Headers>,
    /// Reps: weekly hours, `Mon-Fri 09:00-17:00` (blocks joined by `;`).
    pub working_hours: Option<Headers>,
    /// History: when the deal was first answered (for the speed-to-lead decay).
    pub first_response_at: Option<Headers>,
    /// Current owners: when the owner got the lead, and when they first worked it (SLAs).
    pub assigned_at: Option<Headers>,
    pub touched_at: Option<Headers>,
    /// How the files write dates that are not ISO, as a chrono/strftime format
    /// (`"%m/%d/%Y"`); ISO dates are read either way.
    pub date_format: Option<String>,
    /// The decimal separator of numbers in the files: `"."` (default) or `","` (then `.`
    /// and spaces group thousands: `1.234,50`).
    pub decimal: Option<String>,
}

impl Columns {
    /// Whether the files write numbers with a decimal comma.
    pub fn decimal_comma(&self) -> bool {
        self.decimal.as_deref().map(str::trim) == Some(",")
    }
}

/// One header name or several alternatives.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged, expecting = "a header name or a list of header names")]
pub enum Headers {
    One(String),
    Any(Vec<String>),
}

impl Headers {
    fn names(&self) -> Vec<&str> {
        match self {
            Headers::One(h) => vec![h.as_str()],
            Headers::Any(hs) => hs.iter().map(String::as_str).collect(),
        }
    }
}

/// Canonical columns, in the order they are documented.
pub const CANONICAL: [&str; 17] = [
    "lead_id",
    "value",
    "workload",
    "rep_id",
    "created_at",
    "capacity",
    "open_leads",
    "active",
    "weight",
    "min_leads",
    "outcome",
    "closed_at",
    "time_zone",
    "working_hours",
    "first_response_at",
    "assigned_at",
    "touched_at",
];

impl Columns {
    fn mapping(&self, name: &str) -> Option<&Headers> {
        match name {
            "lead_id" => self.lead_id.as_ref(),
            "value" => self.value.as_ref(),
            "workload" => self.workload.as_ref(),
            "rep_id" => self.rep_id.as_ref(),
            "created_at" => self.created_at.as_ref(),
            "capacity" => self.capacity.as_ref(),
            "open_leads" => self.open_leads.as_ref(),
            "active" => self.active.as_ref(),
            "weight" => self.weight.as_ref(),
            "min_leads" => self.min_leads.as_ref(),
            "outcome" => self.outcome.as_ref(),
            "closed_at" => self.closed_at.as_ref(),
            "time_zone" => self.time_zone.as_ref(),
            "working_hours" => self.working_hours.as_ref(),
            "first_response_at" => self.first_response_at.as_ref(),
            "assigned_at" => self.assigned_at.as_ref(),
            "touched_at" => self.touched_at.as_ref(),
            _ => None,
        }
    }

    /// The headers that may hold canonical column `name` in the input files, in order of
    /// preference: the config's mapping, else the canonical name itself.
    pub fn headers<'a>(&'a self, name: &'a str) -> Vec<&'a str> {
        match self.mapping(name) {
            Some(h) => h.names(),
            None => vec![name],
        }
    }

    /// True when `name` was mapped explicitly in the config.
    pub fn is_mapped(&self, name: &str) -> bool {
        self.mapping(name).is_some()
    }
}

/// Which outcome values count as won and lost; anything else is an open deal.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outcome {
    #[serde(default = "default_won")]
    pub won: Vec<String>,
    #[serde(default = "default_lost")]
    pub lost: Vec<String>,
}

impl Default for Outcome {
    fn default() -> Self {
        Outcome { won: default_won(), lost: default_lost() }
    }
}

fn default_won() -> Vec<String> {
    vec!["won".into()]
}

fn default_lost() -> Vec<String> {
    vec!["lost".into()]
}

/// What an outcome cell says about a deal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Label {
    Won,
    Lost,
    Open,
}

impl Outcome {
    /// Classifies an outcome cell, ignoring case and surrounding spaces.
    pub fn label(&self, cell: &str) -> Label {
        let c = cell.trim();
        if self.won.iter().any(|w| w.trim().eq_ignore_ascii_case(c)) {
            Label::Won
        } else if self.lost.iter().any(|l| l.trim().eq_ignore_ascii_case(c)) {
            Label::Lost
        } else {
            Label::Open
        }
    }
}

/// Feature selection.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Features {
    /// Lead columns never used as features.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Lead columns on which rep skill is learned.
    #[serde(default)]
    pub segments: Vec<String>,
}

/// How rep skill is learned.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkillConfig {
    /// An outcome's weight halves every this many days before the newest one.
    #[serde(default = "default_half_life")]
    pub half_life_days: f64,
    /// `false` routes on lead scores alone: every rep is assumed equally good.
    #[serde(default = "yes")]
    pub enabled: bool,
}

impl Default for SkillConfig {
    fn default() -> Self {
        SkillConfig { half_life_days: default_half_life(), enabled: true }
    }
}

fn yes() -> bool {
    true
}

/// When `assign` warns that the model may no longer fit the leads.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Monitoring {
    /// A model file trained longer ago than this many days is stale.
    #[serde(default = "default_max_age")]
    pub max_model_age_days: f64,
    /// A feature whose population stability index between training and the batch is above
    /// this has drifted (0.1 is a small shift, 0.25 a large one).
    #[serde(default = "default_max_psi")]
    pub max_psi: f64,
}

impl Default for Monitoring {
    fn default() -> Self {
        Monitoring { max_model_age_days: default_max_age(), max_psi: default_max_psi() }
    }
}

/// `[[join]]`: a lookup table whose columns are added to the input files' rows by a key
/// (many rows to one lookup row), e.g. `file = "accounts.csv", on = "account"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinSpec {
    /// The lookup file, relative to the config file.
    pub file: PathBuf,
    /// The key column, named the same in both files…
    pub on: Option<String>,
    /// …or named differently: the input file's column and the lookup's.
    pub left_on: Option<String>,
    pub right_on: Option<String>,
    /// The inputs it extends: any of "leads", "history", "reps" (default: leads and history).
    pub to: Option<Vec<String>>,
}

impl JoinSpec {
    /// (the input file's key column, the lookup's).
    pub fn keys(&self) -> (&str, &str) {
        match (&self.on, &self.left_on, &self.right_on) {
            (Some(on), _, _) => (on, on),
            (None, Some(l), Some(r)) => (l, r),
            _ => unreachable!("validated: on, or left_on and right_on"),
        }
    }

    /// Whether the join extends the input file of this role.
    pub fn applies_to(&self, role: &str) -> bool {
        match &self.to {
            Some(list) => list.iter().any(|t| t.trim().eq_ignore_ascii_case(role)),
            None => role == "leads" || role == "history",
        }
    }
}

impl Config {
    /// A path in the config, relative to the config file's folder.
    pub fn resolve(&self, path: &Path) -> PathBuf {
        match self.source.as_deref().and_then(Path::parent) {
            Some(dir) if path.is_relative() => dir.join(path),
            _ => path.to_path_buf(),
        }
    }
}

/// `[timing]`: the clock routing runs on.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimingConfig {
    /// The zone of timestamps written without an offset, and of reps without a `time_zone`
    /// (an IANA name; default UTC).
    #[serde(default)]
    pub time_zone: Option<String>,
    /// A lead's p_win halves every this many hours it waits for its rep (`inf`: no decay).
    /// Unset: estimated from the history's `first_response_at` when it can be, else the
    /// default.
    #[serde(default)]
    pub response_half_life_hours: Option<f64>,
    /// A rep who cannot start on a lead within this many hours of its arrival does not get it.
    #[serde(default = "default_horizon")]
    pub horizon_hours: f64,
    /// An owned lead untouched this many hours after its owner got it leaves its owner.
    #[serde(default)]
    pub sla_hours: Option<f64>,
    /// How the SLA's hours are counted: `"plain"` (every hour) or `"working"` (the owner's
    /// working hours only).
    #[serde(default)]
    pub sla_clock: SlaClock,
}

impl Default for TimingConfig {
    fn default() -> Self {
        TimingConfig {
            time_zone: None,
            response_half_life_hours: None,
            horizon_hours: default_horizon(),
            sla_hours: None,
            sla_clock: SlaClock::Plain,
        }
    }
}

/// The half-life of p_win in hours of waiting when neither the config nor the history says:
/// a day (the README says why).
pub const DEFAULT_HALF_LIFE_HOURS: f64 = 24.0;

fn default_horizon() -> f64 {
    168.0
}

/// How SLA hours are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SlaClock {
    #[default]
    Plain,
    Working,
}

/// `[availability]`: who is away when.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AvailabilityConfig {
    /// A CSV of absences, `rep_id,start,end`, relative to the config file.
    #[serde(default)]
    pub away: Option<PathBuf>,
}

impl Config {
    /// Whether the config asks for time-aware routing (a `[timing]` or `[availability]`
    /// section).
    pub fn time_aware(&self) -> bool {
        self.timing.is_some() || self.availability.is_some()
    }

    /// The zone of timestamps without an offset and of reps without one: `[timing]
    /// time_zone`, else UTC.
    pub fn default_zone(&self) -> Result<jiff::tz::TimeZone> {
        match self.timing.as_ref().and_then(|t| t.time_zone.as_deref()) {
            Some(z) => crate::calendar::zone(z)
                .map_err(|e| InputError::file(self.source.as_deref().unwrap_or(Path::new("config")), e).into()),
            None => Ok(jiff::tz::TimeZone::UTC),
        }
    }

    /// The `[timing]` settings, defaults where absent.
    pub fn timing(&self) -> TimingConfig {
        self.timing.clone().unwrap_or_default()
    }
}

/// What a reps file without a `capacity` column means.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepsConfig {
    /// `"even"` (default): the batch's workload shared evenly over the active reps, plus
    /// `slack`; or a number of workload units every rep may take.
    #[serde(default)]
    pub capacity: Option<CapacitySetting>,
    /// With `"even"`, the share of room above an even split (0.1: 10 % more).
    #[serde(default = "default_slack")]
    pub slack: f64,
}

impl Default for RepsConfig {
    fn default() -> Self {
        RepsConfig { capacity: None, slack: default_slack() }
    }
}

fn default_slack() -> f64 {
    0.1
}

/// `[reps] capacity`: a number of workload units, or the name of a rule (`"even"`).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum CapacitySetting {
    Units(f64),
    Rule(String),
}

fn default_max_age() -> f64 {
    90.0
}

fn default_max_psi() -> f64 {
    0.25
}

fn default_half_life() -> f64 {
    365.0
}

/// A rep may take a lead only if the lead's value in column `lead` is in the rep's list in
/// column `rep` (values separated by ';'; empty or '*' means any).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct EligibilityRule {
    pub lead: String,
    pub rep: String,
}

impl Config {
    /// The config file named, or the defaults when none is.
    pub fn load_or_default(path: Option<&Path>) -> Result<Config> {
        match path {
            Some(p) => Config::load(p),
            None => Ok(Config::default()),
        }
    }

    /// Reads and checks a config file.
    pub fn load(path: &Path) -> Result<Config> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("cannot read the config file {}", path.display()))?;
        Config::parse(&text, path)
    }

    /// Parses and checks config text; `path` is only used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Config> {
        let mut cfg: Config = toml::from_str(text).map_err(|e| {
            let mut err = InputError::file(path, e.message().trim().to_string());
            if let Some(span) = e.span() {
                // The line, and the column as a character count, with the line's text as
                // the column's name.
                let at = (0..=span.start.min(text.len())).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
                let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
                let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
                err.line = Some(1 + text[..start].matches('\n').count() as u64);
                let shown: String = text[start..end].trim().chars().take(60).collect();
                err.column = Some((1 + text[start..at].chars().count(), shown));
            }
            err
        })?;
        cfg.source = Some(path.to_path_buf());
        cfg.validate()?;
        Ok(cfg)
    }

    fn validate(&self) -> Result<()> {
        let path = self.source.as_deref().unwrap_or(Path::new("config"));
        let bad = |msg: String| -> anyhow::Error { InputError::file(path, msg).into() };
        for name in CANONICAL {
            let headers = self.columns.headers(name);
            if headers.is_empty() || headers.iter().any(|h| h.trim().is_empty()) {
                return Err(bad(format!("[columns] {name} is empty; expected the header of that column")));
            }
        }
        if let Some(f) = &self.columns.date_format {
            let broken = chrono::format::StrftimeItems::new(f).any(|i| matches!(i, chrono::format::Item::Error));
            if f.trim().is_empty() || broken || !f.contains('%') {
                return Err(bad(format!(
                    "[columns] date_format {f:?} is not a date format; expected one like \"%m/%d/%Y\" or \"%d.%m.%Y %H:%M\""
                )));
            }
        }
        for (i, j) in self.joins.iter().enumerate() {
            let which = format!("[[join]] {} (file = {:?})", i + 1, j.file.display().to_string());
            let keys_ok = match (&j.on, &j.left_on, &j.right_on) {
                (Some(on), None, None) => !on.trim().is_empty(),
                (None, Some(l), Some(r)) => !l.trim().is_empty() && !r.trim().is_empty(),
                _ => false,
            };
            if !keys_ok {
                return Err(bad(format!(
                    "{which} needs its key: on = \"column\" (the same name in both files), or left_on and right_on"
                )));
            }
            if j.file.as_os_str().is_empty() {
                return Err(bad(format!("{which}: file is empty; expected the lookup file's path")));
            }
            for t in j.to.iter().flatten() {
                if !["leads", "history", "reps"].iter().any(|r| t.trim().eq_ignore_ascii_case(r)) {
                    return Err(bad(format!("{which}: to = {t:?}; expected \"leads\", \"history\" or \"reps\"")));
                }
            }
        }
        match &self.reps.capacity {
            Some(CapacitySetting::Units(u)) if !u.is_finite() || *u < 0.0 => {
                return Err(bad(format!(
                    "[reps] capacity {u} is not a capacity; expected workload units ≥ 0 or \"even\""
                )));
            }
            Some(CapacitySetting::Rule(r)) if r.trim() != "even" => {
                return Err(bad(format!(
                    "[reps] capacity {r:?} is not a capacity; expected workload units ≥ 0 or \"even\""
                )));
            }
            _ => {}
        }
        if !self.reps.slack.is_finite() || self.reps.slack < 0.0 {
            return Err(bad(format!(
                "[reps] slack {} is not a share; expected a number ≥ 0 (0.1 is 10 % room)",
                self.reps.slack
            )));
        }
        if let Some(d) = &self.columns.decimal
            && !matches!(d.trim(), "." | ",")
        {
            return Err(bad(format!("[columns] decimal {d:?} is not a decimal separator; expected \".\" or \",\"")));
        }
        for (section, list) in [("won", &self.outcome.won), ("lost", &self.outcome.lost)] {
            if list.is_empty() || list.iter().any(|v| v.trim().is_empty()) {
                return Err(bad(format!("[outcome] {section} must list at least one non-empty value")));
            }
        }
        for w in &self.outcome.won {
            if self.outcome.lost.iter().any(|l| l.trim().eq_ignore_ascii_case(w.trim())) {
                return Err(bad(format!("[outcome] {w:?} is listed as both won and lost")));
            }
        }
        if !(self.skill.half_life_days.is_finite() && self.skill.half_life_days > 0.0) {
            return Err(bad(format!(
                "[skill] half_life_days must be a number of days > 0, got {}",
                self.skill.half_life_days
            )));
        }
        let m = &self.monitoring;
        if !(m.max_model_age_days.is_finite() && m.max_model_age_days > 0.0) {
            return Err(bad(format!(
                "[monitoring] max_model_age_days must be a number of days > 0, got {}",
                m.max_model_age_days
            )));
        }
        if !(m.max_psi.is_finite() && m.max_psi > 0.0) {
            return Err(bad(format!("[monitoring] max_psi must be a number > 0, got {}", m.max_psi)));
        }
        if let Some(t) = &self.timing {
            if let Some(z) = &t.time_zone {
                crate::calendar::zone(z).map_err(|e| bad(format!("[timing] time_zone: {e}")))?;
            }
            if let Some(h) = t.response_half_life_hours
                && (h.is_nan() || h <= 0.0)
            {
                return Err(bad(format!(
                    "[timing] response_half_life_hours must be a number of hours > 0 (inf for no decay), got {h}"
                )));
            }
            if !(t.horizon_hours.is_finite() && t.horizon_hours > 0.0) {
                return Err(bad(format!(
                    "[timing] horizon_hours must be a number of hours > 0, got {}",
                    t.horizon_hours
                )));
            }
            if let Some(h) = t.sla_hours
                && !(h.is_finite() && h > 0.0)
            {
                return Err(bad(format!("[timing] sla_hours must be a number of hours > 0, got {h}")));
            }
        }
        if let Some(a) = &self.availability
            && a.away.as_ref().is_some_and(|p| p.as_os_str().is_empty())
        {
            return Err(bad("[availability] away is empty; expected the absences file's path".into()));
        }
        for (i, rule) in self.eligibility.iter().enumerate() {
            if rule.lead.trim().is_empty() || rule.rep.trim().is_empty() {
                return Err(bad(format!("[[eligibility]] rule {} needs both `lead` and `rep` column names", i + 1)));
            }
        }
        Ok(())
    }

    /// The label for messages: the config's path or "the default config".
    pub fn describe(&self) -> String {
        match &self.source {
            Some(p) => p.display().to_string(),
            None => "the default config".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Config> {
        Config::parse(s, Path::new("leadroute.toml"))
    }

    #[test]
    fn full_example_parses() {
        let cfg = parse(
            r#"
[columns]
lead_id = "Lead ID"
rep_id = "Owner ID"
outcome = "Status"
[outcome]
won = ["Closed Won"]
lost = ["Closed Lost"]
[features]
exclude = ["Email"]
segments = ["Industry", "Company Size"]
[[eligibility]]
lead = "Region"
rep = "Territories"
"#,
        )
        .unwrap();
        assert_eq!(cfg.columns.headers("lead_id"), vec!["Lead ID"]);
        assert_eq!(cfg.columns.headers("value"), vec!["value"]);
        assert_eq!(cfg.outcome.label(" closed won "), Label::Won);
        assert_eq!(cfg.outcome.label("Closed Lost"), Label::Lost);
        assert_eq!(cfg.outcome.label("Engaging"), Label::Open);
        assert_eq!(cfg.eligibility.len(), 1);
    }

    #[test]
    fn unknown_key_is_rejected_with_its_line() {
        let err = parse("[columns]\nlead_id = \"x\"\nlead_idd = \"y\"\n").unwrap_err();
        let e = err.downcast_ref::<InputError>().unwrap();
        assert_eq!(e.line, Some(3), "{e}");
        assert!(e.message.contains("lead_idd"), "{e}");
    }

    #[test]
    fn a_column_may_have_alternative_headers() {
        let cfg = parse("[columns]\nrep_id = [\"Lead Owner\", \"User ID\"]\n").unwrap();
        assert_eq!(cfg.columns.headers("rep_id"), vec!["Lead Owner", "User ID"]);
        assert!(parse("[columns]\nrep_id = 3\n").is_err());
        assert!(parse("[columns]\nrep_id = []\n").is_err());
    }

    #[test]
    fn bad_toml_is_rejected() {
        let err = parse("[columns\n").unwrap_err();
        assert!(err.downcast_ref::<InputError>().is_some());
    }

    #[test]
    fn empty_config_gives_defaults() {
        let cfg = parse("").unwrap();
        assert_eq!(cfg.outcome.label("WON"), Label::Won);
        assert!(cfg.eligibility.is_empty());
    }

    #[test]
    fn won_and_lost_must_not_overlap() {
        assert!(parse("[outcome]\nwon=[\"x\"]\nlost=[\"X\"]\n").is_err());
        assert!(parse("[outcome]\nwon=[]\n").is_err());
    }
}
