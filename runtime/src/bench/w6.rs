//! W6 (performance.md): the language server's diagnostics after a one-character
//! edit in a 5,000-line pack, as an editor gets them.
//!
//! The pack is made for the run: it imports the pack measured and adds
//! generated rules until its `.heng` files hold 5,000 lines. The server runs in
//! this process over an in-memory connection (`heng_lsp::serve`, as `heng lsp`
//! runs it over stdio). The edits alternate: one character that breaks the last
//! rule (a field name that does not exist), then the same character taken out
//! again; each must give the diagnostics it should. An edit's time runs from
//! sending the change to the last diagnostics of the check it starts (marked by
//! the answer to a hover request sent after the change, which the server
//! handles after them). The baseline is the same check called directly,
//! without the server.

use super::{RemoveOnDrop, ms};
use crate::editor::check_open;
use heng_compiler::diagnostic::Lang;
use lsp_server::{Connection, Message, Notification, Request, RequestId};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

/// Lines of `.heng` source the measured pack holds.
pub const PACK_LINES: usize = 5_000;

#[derive(Clone, Debug, Serialize)]
pub struct W6 {
    /// Lines of the `.heng` files checked (the imported pack's and the generated).
    pub pack_lines: usize,
    pub files: usize,
    pub edits: usize,
    /// From an edit sent to its diagnostics received: target ≤ 50 ms.
    pub p50_ms: f64,
    pub max_ms: f64,
    /// The same check called directly (the baseline), and p50 / it.
    pub check_p50_ms: f64,
    pub ratio_to_check: f64,
}

/// The edit: this character added after the last rule's `FIELD`, making a
/// field that does not exist, then taken out again.
const EDIT: &str = "x";
const FIELD: &str = "line.det_item_fee_sumamt";

/// Measures W6 on a pack importing the one in `dir`, with `rounds` edits of
/// each kind, in a folder made under `scratch`.
pub fn w6(dir: &Path, scratch: &Path, rounds: usize) -> Result<W6, String> {
    let root = scratch.join("w6-pack");
    let _cleanup = RemoveOnDrop(root.clone());
    let made = make_pack(dir, &root).map_err(|e| format!("W6: {e}"))?;
    let file = root.join("rules").join("generated.heng");
    let uri = format!("file://{}", file.display());
    let broken = broken(&made.text);
    let (server, client) = Connection::memory();
    let rounds = rounds.max(1);
    // the text after each edit, and whether it has errors
    let edited = |round: usize| match round % 2 {
        0 => (&broken, true),
        _ => (&made.text, false),
    };
    let mut times = Vec::new();
    std::thread::scope(|scope| {
        let serving = scope.spawn(move || {
            heng_lsp::serve(&server, &check_open, Lang::En).map_err(|e| e.to_string())
        });
        let mut c = Client {
            connection: &client,
            next_id: 0,
            uri: &uri,
        };
        let measured = (|| {
            c.request("initialize", json!({ "capabilities": {} }))?;
            c.notify("initialized", json!({}));
            let open = json!({ "textDocument": {
                "uri": uri, "languageId": "heng", "version": 0, "text": made.text } });
            c.notify("textDocument/didOpen", open);
            c.expect(&made.text, false)?;
            for round in 0..2 * rounds {
                let (text, errors) = edited(round);
                let t = Instant::now();
                let change = json!({
                    "textDocument": { "uri": uri, "version": round + 1 },
                    "contentChanges": [{ "text": text }] });
                c.notify("textDocument/didChange", change);
                c.expect(text, errors)?;
                times.push(t.elapsed());
            }
            c.request("shutdown", Value::Null)?;
            c.notify("exit", Value::Null);
            Ok::<(), String>(())
        })();
        drop(client);
        let served = serving
            .join()
            .unwrap_or_else(|_| Err("the server stopped".to_string()));
        measured.and(served)
    })
    .map_err(|e| format!("W6: {e}"))?;
    // the baseline: the same checks without the server
    let mut checks = Vec::new();
    for round in 0..2 * rounds {
        let (text, _) = edited(round);
        let open = HashMap::from([(file.clone(), text.clone())]);
        let t = Instant::now();
        let checked = check_open(&root, open);
        checks.push(t.elapsed());
        std::hint::black_box(checked);
    }
    let p50 = ms(median(&mut times));
    let check_p50 = ms(median(&mut checks));
    Ok(W6 {
        pack_lines: made.lines,
        files: made.files,
        edits: times.len(),
        p50_ms: p50,
        max_ms: ms(times.iter().max().copied().unwrap_or_default()),
        check_p50_ms: check_p50,
        ratio_to_check: p50 / check_p50.max(1e-9),
    })
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times.get(times.len() / 2).copied().unwrap_or_default()
}

/// `text` with the edit: the last rule's field misspelt.
fn broken(text: &str) -> String {
    let at = text.rfind(FIELD).map_or(text.len(), |i| i + FIELD.len());
    [&text[..at], EDIT, &text[at..]].concat()
}

/// The server as an editor sees it, for one document.
struct Client<'a> {
    connection: &'a Connection,
    next_id: i32,
    uri: &'a str,
}

impl Client<'_> {
    fn send(&self, message: Message) -> Result<(), String> {
        let sent = self.connection.sender.send(message);
        sent.map_err(|_| "the server stopped listening".to_string())
    }

    fn notify(&self, method: &str, params: Value) {
        // a server that stopped shows in the next request
        let _ = self.send(Message::Notification(Notification::new(
            method.to_string(),
            params,
        )));
    }

    /// Sends a request and waits for its answer, keeping the diagnostics
    /// published for the document on the way.
    fn request(&mut self, method: &str, params: Value) -> Result<Vec<Value>, String> {
        self.next_id += 1;
        let id = RequestId::from(self.next_id);
        let request = Request::new(id.clone(), method.to_string(), params);
        self.send(Message::Request(request))?;
        let mut published = Vec::new();
        loop {
            let message = self
                .connection
                .receiver
                .recv_timeout(Duration::from_secs(60));
            match message.map_err(|_| format!("no answer to {method}"))? {
                Message::Response(r) if r.id == id => match r.error {
                    Some(e) => return Err(format!("{method}: {}", e.message)),
                    None => return Ok(published),
                },
                Message::Notification(n)
                    if n.method == "textDocument/publishDiagnostics"
                        && n.params["uri"] == self.uri =>
                {
                    published.push(n.params["diagnostics"].clone());
                }
                _ => {}
            }
        }
    }

    /// Waits for the check of `text` (a hover sent after it is answered after its
    /// diagnostics) and checks the document got errors exactly when `errors`.
    fn expect(&mut self, text: &str, errors: bool) -> Result<(), String> {
        let hover = json!({ "textDocument": { "uri": self.uri },
            "position": { "line": 0, "character": 0 } });
        let published = self.request("textDocument/hover", hover)?;
        let got = published.last().and_then(Value::as_array).map(Vec::len);
        match (got, errors) {
            (Some(n), true) if n > 0 => Ok(()),
            (Some(0), false) => Ok(()),
            _ => Err(format!(
                "after an edit to {} lines the server published {got:?} diagnostics for it, expected {}",
                text.lines().count(),
                if errors { "some" } else { "none" }
            )),
        }
    }
}

/// The pack made for W6.
struct Made {
    /// The generated file's text.
    text: String,
    lines: usize,
    files: usize,
}

/// Writes, in `root`, a pack that imports the one in `dir` and has generated
/// rules to bring its `.heng` files to [`PACK_LINES`] lines.
fn make_pack(dir: &Path, root: &Path) -> std::io::Result<Made> {
    let dir = std::fs::canonicalize(dir)?;
    // the pack's own files and those of the packs it imports
    let checked = check_open(&dir, HashMap::new());
    let files = checked.sources.files();
    let imported: Vec<&str> = files
        .filter(|(_, f)| f.path.ends_with(".heng"))
        .map(|(_, f)| f.text.as_str())
        .collect();
    let lines: usize = imported.iter().map(|t| t.lines().count()).sum();
    std::fs::create_dir_all(root.join("rules"))?;
    let manifest = format!(
        "# W6 of `heng bench`: the pack measured, with generated rules\n[pack]\nname = \"w6\"\nimports = [{}]\n",
        Value::from(dir.display().to_string())
    );
    std::fs::write(root.join("heng.toml"), manifest)?;
    let mut text = String::from("# Rules generated for W6 of `heng bench`.\n");
    let mut i = 0;
    while lines + text.lines().count() < PACK_LINES {
        i += 1;
        text.push_str(&format!(
            "\n# generated rule {i}: a fee line above {i} yuan\n\
             rule w6_rule_{i} \"W6 生成规则 {i}\" code \"GZ9{i:013}\" {{\n  \
               doc \"生成的规则,用于测量编辑器的诊断。\"\n  \
               each line\n  \
               severity low\n  \
               when {FIELD} > {i}\n  \
               amount {FIELD}\n  \
               message \"{{line.hilist_name}} 超过 {i} 元\"\n  \
               evidence {{ limit: {i} }}\n\
             }}\n"
        ));
    }
    std::fs::write(root.join("rules").join("generated.heng"), &text)?;
    Ok(Made {
        lines: lines + text.lines().count(),
        files: imported.len() + 1,
        text,
    })
}
