//! Files that appear whole or not at all.
//!
//! Every output is written to a temporary file in the destination's own folder and renamed
//! over the destination only once it is complete and flushed, so a crash, a kill or a full
//! disk leaves yesterday's file intact and never a half-written one.

use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result, anyhow};

/// Fails early, before any work is done, if `path` cannot be written: its folder must exist
/// and `path` itself must not be a folder.
pub fn check_output_path(path: &Path) -> Result<()> {
    if is_stdio(path) {
        return Ok(());
    }
    let parent = parent_dir(path);
    if parent.exists() && !parent.is_dir() {
        return Err(anyhow!("cannot write {}: {} is a file, not a folder", path.display(), parent.display()));
    }
    if !parent.is_dir() {
        return Err(anyhow!("cannot write {}: the folder {} does not exist", path.display(), parent.display()));
    }
    if path.is_dir() {
        return Err(anyhow!("cannot write {}: it is a folder, expected a file name", path.display()));
    }
    Ok(())
}

/// Writes `value` as pretty JSON and a final line end, atomically.
pub fn write_json(path: &Path, value: &impl serde::Serialize) -> Result<()> {
    write_atomic(path, |w| {
        serde_json::to_writer_pretty(&mut *w, value)?;
        w.write_all(b"\n")?;
        Ok(())
    })
}

/// Writes `path` atomically: `fill` writes the whole content to a buffered temp file, which
/// is flushed, synced and renamed onto `path`. On any error the temp file is removed and
/// `path` is left as it was.
pub fn write_atomic<F>(path: &Path, fill: F) -> Result<()>
where
    F: FnOnce(&mut dyn Write) -> Result<()>,
{
    check_output_path(path)?;
    if is_stdio(path) {
        // `-`: standard output, streamed (a pipe cannot be replaced whole).
        let mut w = BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
        fill(&mut w).context("while writing to standard output")?;
        return w.flush().context("cannot write to standard output");
    }
    if is_special(path) {
        // A device, pipe or socket (`/dev/stdout`, `/dev/null`, a FIFO): written in place;
        // renaming a file over it would replace it.
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        let mut w = BufWriter::with_capacity(1 << 20, f);
        fill(&mut w).with_context(|| format!("while writing {}", path.display()))?;
        return w.flush().with_context(|| format!("cannot write {}", path.display()));
    }
    let parent = parent_dir(path);
    let mut builder = tempfile::Builder::new();
    builder.prefix(".leadroute-").suffix(".tmp");
    #[cfg(unix)]
    {
        // A temp file is private (0600); the output gets the mode of the file it replaces,
        // or the usual 0644 for a new one.
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).map(|m| m.permissions().mode() & 0o777).unwrap_or(0o644);
        builder.permissions(std::fs::Permissions::from_mode(mode));
    }
    let tmp = builder
        .tempfile_in(parent)
        .with_context(|| format!("cannot create a temporary file in {}", parent.display()))?;
    {
        let mut w = BufWriter::with_capacity(1 << 20, tmp.as_file());
        fill(&mut w).with_context(|| format!("while writing {}", path.display()))?;
        w.flush().with_context(|| format!("cannot write {}", path.display()))?;
    }
    tmp.as_file().sync_all().with_context(|| format!("cannot write {}", path.display()))?;
    tmp.persist(path).map_err(|e| anyhow!("cannot write {}: {}", path.display(), e.error))?;
    Ok(())
}

/// Whether `path` is `-`: standard input where a file is read, standard output where one is
/// written.
pub fn is_stdio(path: &Path) -> bool {
    path == Path::new("-")
}

/// Whether `path` is something other than a regular file or a folder.
fn is_special(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn failed_write_keeps_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        fs::write(&path, "old").unwrap();
        let r = write_atomic(&path, |w| {
            w.write_all(b"partial")?;
            Err(anyhow!("boom"))
        });
        assert!(r.is_err());
        assert_eq!(fs::read_to_string(&path).unwrap(), "old");
        let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "temp file must be cleaned up");
    }

    #[test]
    fn successful_write_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        fs::write(&path, "old").unwrap();
        write_atomic(&path, |w| Ok(w.write_all(b"new")?)).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
    }

    #[cfg(unix)]
    #[test]
    fn a_device_is_written_in_place_and_a_full_disk_is_a_clear_error() {
        use std::os::unix::fs::FileTypeExt;
        write_atomic(Path::new("/dev/null"), |w| Ok(w.write_all(b"discarded")?)).unwrap();
        assert!(fs::metadata("/dev/null").unwrap().file_type().is_char_device(), "/dev/null is still a device");
        if Path::new("/dev/full").exists() {
            let err = write_atomic(Path::new("/dev/full"), |w| Ok(w.write_all(&[b'x'; 1 << 21])?)).unwrap_err();
            let text = format!("{err:#}");
            assert!(text.contains("/dev/full") && text.contains("No space left"), "{text}");
            assert!(fs::metadata("/dev/full").unwrap().file_type().is_char_device());
        }
    }

    #[test]
    fn a_file_in_place_of_the_folder_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("f"), "x").unwrap();
        let err = write_atomic(&dir.path().join("f").join("out.csv"), |_| Ok(())).unwrap_err();
        assert!(err.to_string().contains("is a file, not a folder"), "{err}");
    }

    #[test]
    fn missing_folder_is_a_clear_error() {
        let err = write_atomic(Path::new("/no/such/dir/out.csv"), |_| Ok(())).unwrap_err();
        assert!(err.to_string().contains("does not exist"), "{err}");
    }
}
