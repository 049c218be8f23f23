//! The layering ARCHITECTURE.md states, checked against the code: a module of `src/` may
//! use (`crate::…`) only the modules listed above it, so data flows one way and no two
//! modules import each other.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The modules in their documented order.
fn layers(root: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(root.join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let start = text.find("<!-- layers: begin -->").expect("layers begin marker");
    let end = text.find("<!-- layers: end -->").expect("layers end marker");
    text[start..end]
        .lines()
        .filter_map(|l| l.strip_prefix("| "))
        .filter_map(|l| l.split(" |").next())
        .map(str::trim)
        .filter(|m| *m != "module" && !m.starts_with("---"))
        .map(String::from)
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The `crate::name` paths of a file's code, tests and comments left out.
fn uses(text: &str) -> Vec<String> {
    let code = text.split("#[cfg(test)]").next().unwrap_or("");
    let mut out = Vec::new();
    for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
        let mut rest = line;
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + "crate::".len()..];
            let name: String = rest.chars().take_while(|c| c.is_ascii_lowercase() || *c == '_').collect();
            if !name.is_empty() {
                out.push(name);
            }
        }
        // `use crate::{a, b}` lists.
        if let Some(i) = line.find("crate::{") {
            for part in line[i + "crate::{".len()..].split(['}', ',']) {
                let name: String = part.trim().chars().take_while(|c| c.is_ascii_lowercase() || *c == '_').collect();
                if !name.is_empty() {
                    out.push(name);
                }
            }
        }
    }
    out
}

#[test]
fn modules_use_only_the_modules_listed_above_them() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let order = layers(root);
    assert!(order.len() >= 20, "the layer list looks cut short: {order:?}");
    let rank: HashMap<&str, usize> = order.iter().enumerate().map(|(k, m)| (m.as_str(), k)).collect();
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    let mut broken = Vec::new();
    for file in &files {
        let rel = file.strip_prefix(root.join("src")).unwrap();
        let first = rel.components().next().unwrap().as_os_str().to_string_lossy().into_owned();
        let module = first.trim_end_matches(".rs").to_string();
        if ["main", "lib", "cli"].contains(&module.as_str()) {
            continue;
        }
        let Some(&own) = rank.get(module.as_str()) else {
            broken.push(format!("{}: module {module} is not in ARCHITECTURE.md", rel.display()));
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap();
        for used in uses(&text) {
            if used == module {
                continue;
            }
            match rank.get(used.as_str()) {
                Some(&r) if r < own => {}
                Some(_) => broken.push(format!("{}: {module} uses {used}, which is listed below it", rel.display())),
                None => broken.push(format!("{}: uses {used}, which ARCHITECTURE.md does not list", rel.display())),
            }
        }
    }
    broken.sort();
    broken.dedup();
    assert!(broken.is_empty(), "layering broken:\n{}", broken.join("\n"));
}

#[test]
fn the_checker_sees_a_use_in_every_form() {
    let text = "use crate::io::Table;\nuse crate::{report, scoring};\n// crate::nope\nlet x = crate::fmt::pct(1.0);\n#[cfg(test)]\nuse crate::late;";
    let mut found = uses(text);
    found.sort();
    found.dedup();
    assert_eq!(found, ["fmt", "io", "report", "scoring"]);
}
