//! DuckDB as a W7 peer, through its Python package (the Rust crate bundles DuckDB
//! and takes 45 minutes to build; the wheel installs in seconds and runs the same
//! engine). The bench writes the flat records and the pack's item_limits and
//! exclusions tables as CSV to a temporary folder and runs `duckdb_w7.py`
//! (embedded here) on them: it loads them into DuckDB tables (timed apart) and
//! times two queries that flag lines, one on the pre-resolved columns every rule
//! engine is given, one doing the longest-prefix lookups in SQL. Where `import
//! duckdb` fails, the package is installed into a private virtual environment
//! under the system temporary folder; where that fails too, W7 says why.

use super::super::w7::{Flag, FlatLine, RULES, W7Peer, agree};
use std::path::{Path, PathBuf};
use std::process::Command;

const SCRIPT: &str = include_str!("duckdb_w7.py");

/// The two queries the script times: (its key, the row's name in the report).
const QUERIES: [(&str, &str); 2] = [
    ("resolved", "DuckDB (SQL, lookups pre-resolved)"),
    ("prefix_join", "DuckDB (SQL, prefix lookups in SQL)"),
];

/// Runs the script on `lines` and the tables of the pack in `pack_dir`; one row
/// per query, each checked against Heng's `flags`.
pub fn run(
    pack_dir: &Path,
    lines: &[FlatLine],
    heng: &[Flag],
    heng_rate: f64,
    rounds: usize,
    progress: &mut dyn FnMut(&str),
) -> Vec<W7Peer> {
    let failed = |why: String| -> Vec<W7Peer> {
        QUERIES
            .iter()
            .map(|(_, name)| W7Peer::failed(name, false, format!("not available: {why}")))
            .collect()
    };
    progress("W7: DuckDB (Python package)");
    let python = match python_with_duckdb() {
        Ok(p) => p,
        Err(e) => return failed(e),
    };
    let folder = std::env::temp_dir().join(format!("heng-bench-w7-{}", std::process::id()));
    let _cleanup = super::super::RemoveOnDrop(folder.clone());
    let out = match write_inputs(&folder, pack_dir, lines).and_then(|()| {
        let output = Command::new(&python)
            .arg(folder.join("duckdb_w7.py"))
            .arg(&folder)
            .arg(rounds.to_string())
            .output()
            .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
        if !output.status.success() {
            return Err(format!(
                "duckdb_w7.py failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        serde_json::from_slice::<serde_json::Value>(&output.stdout)
            .map_err(|e| format!("duckdb_w7.py printed no JSON: {e}"))
    }) {
        Ok(v) => v,
        Err(e) => return failed(e),
    };
    let load_ms = out["load_ms"].as_f64();
    QUERIES
        .iter()
        .map(|(key, name)| {
            let q = &out["queries"][key];
            let row = read_flags(&folder.join(format!("flags_{key}.csv"))).and_then(|flags| {
                agree(heng, &flags).map_err(|m| m.to_string())?;
                let ms = q["query_ms"].as_f64().ok_or("no query time")?;
                let time = std::time::Duration::from_secs_f64(ms / 1e3);
                Ok(W7Peer::timed(name, false, time, lines.len(), heng_rate))
            });
            let mut row = row.unwrap_or_else(|e| W7Peer::failed(name, false, e));
            row.load_ms = load_ms;
            if let Some(v) = out["duckdb"].as_str() {
                row.engine = format!("{} {v}", row.engine);
            }
            row
        })
        .collect()
}

/// A Python that imports duckdb: `python3`, else one of a private virtual
/// environment, made and filled on first use.
fn python_with_duckdb() -> Result<PathBuf, String> {
    let imports = |python: &Path| {
        Command::new(python)
            .args(["-c", "import duckdb"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let system = PathBuf::from("python3");
    if imports(&system) {
        return Ok(system);
    }
    let venv = std::env::temp_dir().join("heng-bench-duckdb-venv");
    let python = venv.join("bin").join("python3");
    if imports(&python) {
        return Ok(python);
    }
    eprintln!(
        "W7: python3 cannot import duckdb; installing it into {} (python3 -m venv, pip install duckdb)",
        venv.display()
    );
    let run = |cmd: &mut Command, what: &str| -> Result<(), String> {
        let out = cmd
            .output()
            .map_err(|e| format!("{what}: cannot run: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            let err = String::from_utf8_lossy(&out.stderr);
            Err(format!(
                "{what} failed: {}",
                err.lines().last().unwrap_or("").trim()
            ))
        }
    };
    run(
        Command::new("python3").args(["-m", "venv"]).arg(&venv),
        "python3 -m venv",
    )?;
    run(
        Command::new(&python).args(["-m", "pip", "install", "--quiet", "duckdb"]),
        "pip install duckdb",
    )?;
    if imports(&python) {
        Ok(python)
    } else {
        Err(format!("{} still cannot import duckdb", python.display()))
    }
}

/// lines.csv (a header, then one record per line; absent values empty), the two
/// tables of the pack, and the script.
fn write_inputs(folder: &Path, pack_dir: &Path, lines: &[FlatLine]) -> Result<(), String> {
    let io = |e: std::io::Error| format!("cannot write to {}: {e}", folder.display());
    std::fs::create_dir_all(folder).map_err(io)?;
    for table in ["item_limits", "exclusions"] {
        let from = pack_dir.join("tables").join(format!("{table}.csv"));
        std::fs::copy(&from, folder.join(format!("{table}.csv")))
            .map_err(|e| format!("cannot copy {}: {e}", from.display()))?;
    }
    std::fs::write(folder.join("duckdb_w7.py"), SCRIPT).map_err(io)?;
    let mut w = csv::Writer::from_path(folder.join("lines.csv")).map_err(|e| e.to_string())?;
    let text = |s: &Option<String>| s.clone().unwrap_or_default();
    let int = |i: Option<i64>| i.map(|i| i.to_string()).unwrap_or_default();
    w.write_record([
        "line",
        "item_code",
        "gend",
        "age",
        "tier",
        "visit_class",
        "chrgitm_lv",
        "limit_gender",
        "age_min",
        "age_max",
        "min_tier",
        "visit_allowed",
        "excluded",
    ])
    .map_err(|e| e.to_string())?;
    for l in lines {
        w.write_record([
            l.line.to_string(),
            l.item_code.clone(),
            text(&l.gend),
            l.age.to_string(),
            l.tier.to_string(),
            l.visit_class.clone(),
            text(&l.chrgitm_lv),
            text(&l.limit_gender),
            int(l.age_min),
            int(l.age_max),
            int(l.min_tier),
            text(&l.visit_allowed),
            l.excluded.to_string(),
        ])
        .map_err(|e| e.to_string())?;
    }
    w.flush().map_err(io)
}

/// The (line, rule) pairs the script wrote.
fn read_flags(path: &Path) -> Result<Vec<Flag>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (line, rule) = l.split_once(',').ok_or(format!("bad flag `{l}`"))?;
            let line: u32 = line.parse().map_err(|_| format!("bad flag `{l}`"))?;
            let rule = RULES
                .iter()
                .position(|r| *r == rule)
                .ok_or(format!("unknown rule in `{l}`"))?;
            Ok((line, rule as u8))
        })
        .collect()
}
