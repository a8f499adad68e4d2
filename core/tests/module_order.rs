//! The core's modules form a chain read top to bottom: no module uses,
//! directly or through others, a module that uses it. This reads every
//! `use crate::...`, `use super::...` and `crate::...` path of `core/src`
//! (test modules left out) and fails on the first cycle, naming it.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// A module's path from the crate root (`""` for the root, `schema::reader`).
type Module = String;

/// Every source file's module and its code, comments and test modules removed.
fn sources() -> BTreeMap<Module, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = BTreeMap::new();
    let mut dirs = vec![root.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let relative = path.strip_prefix(&root).unwrap().with_extension("");
            let mut parts: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            match parts.last().map(String::as_str) {
                Some("lib" | "mod") => {
                    parts.pop();
                }
                // A test module in its own file.
                Some("tests") => continue,
                _ => {}
            }
            out.insert(parts.join("::"), code(&fs::read_to_string(&path).unwrap()));
        }
    }
    out
}

/// `text` without comments and without its `#[cfg(test)]` items.
fn code(text: &str) -> String {
    let mut out = String::new();
    let mut skip_depth: Option<i32> = None;
    let mut depth = 0;
    let mut cfg_test = false;
    for line in text.lines() {
        let line = line.split("//").next().unwrap_or("");
        let trimmed = line.trim();
        if trimmed == "#[cfg(test)]" {
            cfg_test = true;
            continue;
        }
        if cfg_test && skip_depth.is_none() {
            cfg_test = false;
            if !trimmed.ends_with(';') {
                skip_depth = Some(depth);
            } else {
                continue;
            }
        }
        for c in line.chars() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                _ => {}
            }
        }
        match skip_depth {
            Some(start) if depth <= start => skip_depth = None,
            Some(_) => {}
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

/// Each `use` statement's paths, braces expanded (`a::{b, c::d}` gives
/// `a::b` and `a::c::d`), and whether the statement re-exports them (`pub`).
fn use_paths(code: &str) -> Vec<(bool, String)> {
    let mut paths = Vec::new();
    let mut rest = code;
    while let Some(at) = find_word(rest, "use ") {
        let line_start = rest[..at].rfind('\n').map_or(0, |i| i + 1);
        let public = rest[line_start..at].trim_start().starts_with("pub");
        let statement = &rest[at + 4..];
        let end = statement.find(';').unwrap_or(statement.len());
        let mut expanded = Vec::new();
        expand(statement[..end].trim(), "", &mut expanded);
        paths.extend(expanded.into_iter().map(|path| (public, path)));
        rest = &statement[end..];
    }
    paths
}

/// Where `word` starts in `text` at the start of a word.
fn find_word(text: &str, word: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = text[from..].find(word) {
        let at = from + i;
        let before = text[..at].chars().next_back();
        if before.is_none_or(|c| !(c.is_alphanumeric() || c == '_')) {
            return Some(at);
        }
        from = at + word.len();
    }
    None
}

fn expand(tree: &str, prefix: &str, out: &mut Vec<String>) {
    let tree: String = tree.split_whitespace().collect();
    match tree.find('{') {
        None => out.push(format!("{prefix}{tree}")),
        Some(open) => {
            let head = format!("{prefix}{}", &tree[..open]);
            let inner = &tree[open + 1..tree.rfind('}').unwrap()];
            let mut depth = 0;
            let mut start = 0;
            for (i, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        expand(&inner[start..i], &head, out);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            if !inner[start..].is_empty() {
                expand(&inner[start..], &head, out);
            }
        }
    }
}

/// Every `crate::...` path written in the code, outside `use` (and
/// `$crate::...` in macros).
fn inline_paths(code: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let mut rest = code;
    while let Some(at) = find_word(rest, "crate::") {
        let path: String = rest[at..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        paths.push(path.trim_end_matches(':').to_owned());
        rest = &rest[at + 7..];
    }
    paths
}

/// Where each module's re-exported names come from: (module, name) to the
/// module that defines it.
type Reexports = BTreeMap<(Module, String), Module>;

/// The module a path names or names an item of, from `module`; a
/// re-exported name counts as the module it comes from.
fn target(
    module: &str,
    path: &str,
    modules: &BTreeSet<Module>,
    reexports: &Reexports,
) -> Option<Module> {
    let segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
    let (mut base, rest): (Vec<String>, &[&str]) = match segments.first() {
        Some(&"crate") => (Vec::new(), &segments[1..]),
        Some(&"super") => {
            let mut parent = split(module);
            parent.pop();
            (parent, &segments[1..])
        }
        Some(&"self") => (split(module), &segments[1..]),
        // A child module, named from its parent.
        Some(first) if modules.contains(&join(module, first)) => (split(module), &segments[..]),
        _ => return None,
    };
    let mut found = base.join("::");
    let mut item = None;
    for segment in rest {
        base.push((*segment).to_owned());
        let candidate = base.join("::");
        if modules.contains(&candidate) {
            found = candidate;
        } else {
            item = Some(*segment);
            break;
        }
    }
    match item.and_then(|name| reexports.get(&(found.clone(), name.to_owned()))) {
        Some(source) => Some(source.clone()),
        None => Some(found),
    }
}

fn split(module: &str) -> Vec<String> {
    module
        .split("::")
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn join(module: &str, child: &str) -> String {
    if module.is_empty() {
        child.to_owned()
    } else {
        format!("{module}::{child}")
    }
}

/// Which module uses which. A module's `pub use` of another's items is a
/// re-export (a folder's set-up, the crate root's API), not a use: a use of
/// the re-exported name counts as a use of the module it comes from.
fn graph() -> BTreeMap<Module, BTreeSet<Module>> {
    let sources = sources();
    let modules: BTreeSet<Module> = sources.keys().cloned().collect();
    let statements: BTreeMap<&Module, Vec<(bool, String)>> = sources
        .iter()
        .map(|(module, code)| (module, use_paths(code)))
        .collect();
    // Re-exports of re-exports: settle over a few rounds.
    let mut reexports = Reexports::new();
    for _ in 0..4 {
        for (module, uses) in &statements {
            for (_, path) in uses.iter().filter(|(public, _)| *public) {
                let name = path.rsplit("::").next().unwrap_or_default().to_owned();
                if let Some(source) = target(module, path, &modules, &reexports) {
                    reexports.insert(((*module).clone(), name), source);
                }
            }
        }
    }
    let mut graph = BTreeMap::new();
    for (module, code) in &sources {
        let used = statements[module]
            .iter()
            .filter(|(public, _)| !public)
            .map(|(_, path)| path.clone())
            .chain(inline_paths(code));
        let uses: BTreeSet<Module> = used
            .filter_map(|path| target(module, &path, &modules, &reexports))
            .filter(|used| used != module && !used.is_empty())
            .collect();
        graph.insert(module.clone(), uses);
    }
    graph
}

/// A cycle through `graph`, if there is one.
fn find_cycle(graph: &BTreeMap<Module, BTreeSet<Module>>) -> Option<Vec<Module>> {
    fn visit(
        module: &Module,
        graph: &BTreeMap<Module, BTreeSet<Module>>,
        stack: &mut Vec<Module>,
        done: &mut BTreeSet<Module>,
    ) -> Option<Vec<Module>> {
        if let Some(at) = stack.iter().position(|m| m == module) {
            let mut cycle = stack[at..].to_vec();
            cycle.push(module.clone());
            return Some(cycle);
        }
        if done.contains(module) {
            return None;
        }
        stack.push(module.clone());
        for used in graph.get(module).into_iter().flatten() {
            if let Some(cycle) = visit(used, graph, stack, done) {
                return Some(cycle);
            }
        }
        stack.pop();
        done.insert(module.clone());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|module| visit(module, graph, &mut Vec::new(), &mut done))
}

#[test]
fn core_modules_have_no_import_cycle() {
    let graph = graph();
    // The reading of the sources found the chain's known links.
    assert!(graph["json"].contains("scan"), "{graph:#?}");
    assert!(graph["schema::reader"].contains("schema::mismatch"));
    assert!(graph["webhook"].contains("event"));
    // A name re-exported by a folder counts as the module it comes from.
    assert!(graph["event"].contains("schema::records"), "{graph:#?}");
    assert!(graph["bitnob"].contains("verifier"));
    if let Some(cycle) = find_cycle(&graph) {
        panic!(
            "core modules import each other in a cycle: {}",
            cycle.join(" -> ")
        );
    }
}

#[test]
fn a_cycle_is_found_and_named() {
    let graph: BTreeMap<Module, BTreeSet<Module>> = [
        ("json", vec!["scan"]),
        ("scan", vec!["schema"]),
        ("schema", vec!["json"]),
        ("event", vec!["schema"]),
    ]
    .into_iter()
    .map(|(m, uses)| (m.to_owned(), uses.into_iter().map(str::to_owned).collect()))
    .collect();
    assert_eq!(
        find_cycle(&graph),
        Some(vec![
            "schema".into(),
            "json".into(),
            "scan".into(),
            "schema".into()
        ])
    );
}

#[test]
fn use_trees_are_expanded() {
    let mut paths = Vec::new();
    expand("crate::{a::B, c::{d, e::F}}", "", &mut paths);
    assert_eq!(paths, ["crate::a::B", "crate::c::d", "crate::c::e::F"]);
}
