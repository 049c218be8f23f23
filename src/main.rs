//! The `leadroute` binary: parse flags, run the command, print the error chain, exit with a
//! code that means something (0 ok, 1 input or runtime error, 2 usage, 3 gate failed).

mod cli;

use std::process::ExitCode;

use clap::Parser;
use leadroute::error::{EXIT_USAGE, exit_code};
use leadroute::progress::{Progress, Stages};

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { 0 });
        }
    };
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let code = exit_code(&err);
            if code != 0 {
                eprintln!("leadroute: error: {}", terminal_safe(&format!("{err:#}")));
            }
            ExitCode::from(code)
        }
    }
}

/// Where messages go. Standard output carries what a command found or did (its summary,
/// the files it wrote); standard error carries diagnostics (warnings, progress, timings,
/// errors). When standard output carries the command's data (`--out -`), the summary moves
/// to standard error so the data stays clean. `--quiet` leaves only errors.
struct Say {
    quiet: bool,
    data_on_stdout: bool,
}

impl Say {
    fn result(&self, msg: &str) {
        if self.quiet {
        } else if self.data_on_stdout {
            eprintln!("{}", terminal_safe(msg));
        } else {
            println!("{}", terminal_safe(msg));
        }
    }

    fn diagnostic(&self, msg: &str) {
        if !self.quiet {
            eprintln!("{}", terminal_safe(msg));
        }
    }
}

fn run(cli: &cli::Cli) -> anyhow::Result<()> {
    if let Some(n) = cli.threads {
        // Results do not depend on the thread count; only the time does.
        rayon::ThreadPoolBuilder::new()
            .num_threads(usize::from(n))
            .build_global()
            .map_err(|e| anyhow::anyhow!("cannot start {n} threads: {e}"))?;
    }
    let data_on_stdout = match &cli.command {
        cli::Command::Assign(a) => writes_to_stdout(&a.out),
        cli::Command::Score(a) => writes_to_stdout(&a.out),
        cli::Command::Stream(_) => true,
        _ => false,
    };
    let say = Say { quiet: cli.quiet, data_on_stdout };
    let progress = Progress::for_terminal(cli.quiet);
    let mut warnings = Vec::new();
    let result = dispatch(cli, &progress, &mut warnings, &say);
    leadroute::report::dedup_warnings(&mut warnings);
    for w in &warnings {
        say.diagnostic(&format!("leadroute: warning: {w}"));
    }
    result
}

fn dispatch(cli: &cli::Cli, progress: &Progress, warnings: &mut Vec<String>, say: &Say) -> anyhow::Result<()> {
    match &cli.command {
        cli::Command::Generate(args) => {
            let s = args.settings()?;
            let summary = leadroute::cmd::generate::run(&s, progress)?;
            say.result(&format!("wrote {}: {summary}", s.out.display()));
        }
        cli::Command::Assign(args) => {
            let s = args.settings()?;
            let mut stages = Stages::new();
            let summary = leadroute::cmd::assign::run(&s, progress, warnings, &mut stages)?;
            say.result(&format!("{summary}; wrote {}", shown(&s.out)));
            if cli.verbose {
                if let Some(method) = &summary.method {
                    say.diagnostic(&format!("optimizer: {method}"));
                }
                say.diagnostic(&format!("timing: {}", stages.summary()));
            }
        }
        cli::Command::Train(args) => {
            let s = args.settings();
            let model = leadroute::cmd::train::run(&s, progress, warnings)?;
            say.result(leadroute::model::report::text(&model.scorer).trim_end());
            if let Some(d) = &model.decay {
                say.result(&format!("speed-to-lead: {}", d.describe()));
            }
            say.result(&format!("wrote {}", shown(&s.model)));
        }
        cli::Command::Backtest(args) => {
            let s = args.settings();
            let mut stages = Stages::new();
            let b = leadroute::cmd::backtest::run(&s, progress, warnings, &mut stages)?;
            say.result(&leadroute::backtest::headline(&b));
            for out in [&s.json, &s.report].into_iter().flatten() {
                say.result(&format!("wrote {}", shown(out)));
            }
            if cli.verbose {
                say.diagnostic(&format!("timing: {}", stages.summary()));
            }
            if let Some(failed) = leadroute::backtest::gate_failure(&b) {
                return Err(failed.into());
            }
        }
        cli::Command::Init(args) => {
            let s = args.settings();
            let guesses = leadroute::cmd::init::run(&s)?;
            for g in guesses {
                say.result(&format!("  {g}"));
            }
            say.result(&format!("wrote {}", s.out.display()));
        }
        cli::Command::Stream(args) => {
            let s = args.settings();
            let stdin = std::io::BufReader::with_capacity(1 << 16, std::io::stdin());
            let stdout = std::io::stdout();
            let summary = leadroute::cmd::stream::run(&s, stdin, &mut stdout.lock(), warnings)?;
            say.result(&summary.to_string());
        }
        cli::Command::Score(args) => {
            let s = args.settings();
            let mut stages = Stages::new();
            let n = leadroute::cmd::score::run(&s, progress, warnings, &mut stages)?;
            say.result(&format!("scored {n} leads; wrote {}", shown(&s.out)));
            if cli.verbose {
                say.diagnostic(&format!("timing: {}", stages.summary()));
            }
        }
    }
    Ok(())
}

/// A message with its control characters (other than line ends and tabs) shown as code
/// points: a name in an input file must not be able to send escape sequences to the
/// terminal of whoever reads the message.
fn terminal_safe(msg: &str) -> std::borrow::Cow<'_, str> {
    if !msg.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return msg.into();
    }
    msg.chars()
        .map(|c| if c.is_control() && c != '\n' && c != '\t' { format!("U+{:04X}", c as u32) } else { c.to_string() })
        .collect::<String>()
        .into()
}

/// Whether the output file is standard output: `-`, or a path to whatever standard output
/// is (`/dev/stdout`, `/dev/fd/1`, the file the shell redirected it to).
fn writes_to_stdout(path: &std::path::Path) -> bool {
    if leadroute::io::is_stdio(path) {
        return true;
    }
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        use std::os::unix::fs::MetadataExt;
        let stdout = std::io::stdout().as_fd().try_clone_to_owned().ok().map(std::fs::File::from);
        if let (Some(out), Ok(target)) = (stdout.and_then(|f| f.metadata().ok()), std::fs::metadata(path)) {
            return out.dev() == target.dev() && out.ino() == target.ino();
        }
    }
    false
}

/// An output path for messages: `-` is standard output.
fn shown(path: &std::path::Path) -> String {
    if leadroute::io::is_stdio(path) { "standard output".into() } else { path.display().to_string() }
}
