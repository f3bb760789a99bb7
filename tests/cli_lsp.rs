//! `heng lsp` driven as an editor drives it: the real binary, JSON-RPC framed
//! on its stdin and stdout. Diagnostics follow the unsaved text, land where the
//! editor counts (UTF-16 columns after Chinese text), clear when fixed; hover
//! explains fields and parameters; shutdown ends the process cleanly.

#[path = "support/declarations_pack.rs"]
mod support;

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

/// The rule as saved: it checks.
const SAVED: &str = r#"rule my_rule "示例" {
  each line
  severity low
  when line.hilist_name == "儿童用药" and line.cnt > 1
  message "{line.hilist_name}"
}
"#;

/// As being typed: `line.cnt` compared with a text, after Chinese text on its line.
const TYPING: &str = r#"rule my_rule "示例" {
  each line
  severity low
  when line.hilist_name == "儿童用药" and line.cnt > "1"
  message "{line.hilist_name} 超过 {discharge_max_days} 天"
}
"#;

struct Client {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    next_id: i64,
}

impl Client {
    fn start() -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_heng"))
            .args(["lsp", "--stdio"])
            .env("HENG_LANG", "zh")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start heng lsp");
        let stdin = child.stdin.take().expect("stdin");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let (tx, messages) = channel();
        std::thread::spawn(move || {
            loop {
                let mut length = 0;
                loop {
                    let mut header = String::new();
                    if stdout.read_line(&mut header).unwrap_or(0) == 0 {
                        return;
                    }
                    let header = header.trim();
                    if header.is_empty() {
                        break;
                    }
                    if let Some(n) = header.strip_prefix("Content-Length: ") {
                        length = n.parse().expect("a length");
                    }
                }
                let mut body = vec![0; length];
                stdout.read_exact(&mut body).expect("a body");
                let message = serde_json::from_slice(&body).expect("JSON");
                if tx.send(message).is_err() {
                    return;
                }
            }
        });
        Client {
            child,
            stdin,
            messages,
            next_id: 0,
        }
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write");
        self.stdin.flush().expect("flush");
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and returns its result, skipping notifications.
    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let m = self.next();
            if m["id"] == json!(id) {
                assert!(m.get("error").is_none(), "{m}");
                return m["result"].clone();
            }
        }
    }

    fn next(&self) -> Value {
        self.messages
            .recv_timeout(Duration::from_secs(60))
            .expect("the server answers within a minute")
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics_for(&self, uri: &str) -> Vec<Value> {
        loop {
            let m = self.next();
            if m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri {
                return m["params"]["diagnostics"]
                    .as_array()
                    .expect("a list")
                    .clone();
            }
        }
    }
}

/// Diagnostics a line each, `line:column` as the editor counts, the pack's
/// folder left out of file names.
fn show(diagnostics: &[Value], dir: &std::path::Path) -> String {
    let at = |range: &Value| {
        let p = |end: &str| format!("{}:{}", range[end]["line"], range[end]["character"]);
        format!("{}-{}", p("start"), p("end"))
    };
    let mut out = String::new();
    for d in diagnostics {
        out.push_str(&format!(
            "{} {} [{}] {}\n",
            at(&d["range"]),
            d["code"].as_str().unwrap_or(""),
            d["severity"],
            d["message"].as_str().unwrap_or("").replace('\n', "\n    ")
        ));
        for r in d["relatedInformation"].as_array().into_iter().flatten() {
            let uri = r["location"]["uri"].as_str().unwrap_or("");
            out.push_str(&format!(
                "  related {} {}: {}\n",
                uri.replace(&file_uri(dir), "PACK"),
                at(&r["location"]["range"]),
                r["message"].as_str().unwrap_or("")
            ));
        }
    }
    out
}

fn file_uri(path: &std::path::Path) -> String {
    // the temporary folder's path is ASCII: no percent-encoding needed
    format!("file://{}", path.display())
}

#[test]
fn an_editor_sees_diagnostics_as_it_types_and_finds_its_way_around_the_pack() {
    let dir = support::declarations_pack("lsp-pack");
    let file = dir.join("rules").join("my_rule.heng");
    std::fs::create_dir_all(file.parent().expect("folder")).expect("rules folder");
    std::fs::write(&file, SAVED).expect("write the rule");
    let uri = file_uri(&file);

    let mut client = Client::start();
    let init = client.request(
        "initialize",
        json!({"processId": null, "rootUri": file_uri(&dir), "capabilities": {}}),
    );
    assert_eq!(init["capabilities"]["positionEncoding"], "utf-16");
    assert_eq!(init["capabilities"]["hoverProvider"], true);
    assert_eq!(init["capabilities"]["definitionProvider"], true);
    assert_eq!(init["capabilities"]["documentSymbolProvider"], true);
    assert_eq!(
        init["capabilities"]["completionProvider"]["triggerCharacters"],
        json!(["."])
    );
    client.notify("initialized", json!({}));

    // opened with unsaved text: the diagnostics are the editor's text's
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "heng", "version": 1, "text": TYPING}}),
    );
    let shown = client.diagnostics_for(&uri);
    insta::assert_snapshot!("lsp_diagnostics_while_typing", show(&shown, &dir));
    // the text `"1"` is at UTF-16 column 49 of line 3, byte 57: four CJK
    // characters (three bytes, one unit each) come before it
    let line = TYPING.lines().nth(3).expect("line 3");
    let at = line.find("\"1\"").expect("the text");
    assert_eq!((at, line[..at].encode_utf16().count()), (57, 49));
    assert_eq!(
        shown[0]["range"]["start"],
        json!({"line": 3, "character": 49})
    );

    // fixed: the file's list empties
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2},
               "contentChanges": [{"text": TYPING.replace("> \"1\"", "> 1")}]}),
    );
    assert_eq!(client.diagnostics_for(&uri), Vec::<Value>::new());

    // hover: a field of two records, and a parameter with its value in effect
    let at_word = |word: &str| {
        let text = TYPING.replace("> \"1\"", "> 1");
        let (line, col) = text
            .lines()
            .enumerate()
            .find_map(|(i, l)| l.find(word).map(|c| (i, l[..c].encode_utf16().count() + 1)))
            .expect("the word");
        json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": col}})
    };
    let hover = |client: &mut Client, word: &str| {
        let result = client.request("textDocument/hover", at_word(word));
        result["contents"]["value"]
            .as_str()
            .expect("markdown")
            .to_string()
    };
    insta::assert_snapshot!("lsp_hover_field", hover(&mut client, "cnt"));
    insta::assert_snapshot!("lsp_hover_param", hover(&mut client, "discharge_max_days"));

    // go to definition: where each is declared (a field of two records: both;
    // a rule of the open file: there)
    let definition = |client: &mut Client, word: &str| {
        let result = client.request("textDocument/definition", at_word(word));
        let places: Vec<String> = result
            .as_array()
            .expect("locations")
            .iter()
            .map(|l| {
                let uri = l["uri"].as_str().unwrap_or("");
                let p = |end: &str| {
                    let at = &l["range"][end];
                    format!("{}:{}", at["line"], at["character"])
                };
                let file = uri.replace(&file_uri(&dir), "PACK");
                format!("{word} → {file} {}-{}", p("start"), p("end"))
            })
            .collect();
        places.join("\n")
    };
    let places = ["cnt", "discharge_max_days", "my_rule"].map(|w| definition(&mut client, w));
    insta::assert_snapshot!("lsp_definition", places.join("\n"));

    // completion: the fee line's fields after `line.`, names elsewhere (here in
    // a message's placeholder), each with its type and meaning
    let complete = |client: &mut Client, typed: &str| {
        let text = TYPING.replace("> \"1\"", "> 1");
        let (line, col) = text
            .lines()
            .enumerate()
            .find_map(|(i, l)| {
                l.find(typed)
                    .map(|c| (i, l[..c + typed.len()].encode_utf16().count()))
            })
            .expect("the text");
        let at =
            json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": col}});
        let result = client.request("textDocument/completion", at);
        let items: Vec<String> = result
            .as_array()
            .expect("items")
            .iter()
            .map(|i| {
                let s = |k: &str| i[k].as_str().unwrap_or("").to_string();
                format!(
                    "{typed} → {} [{}] {} {}",
                    s("label"),
                    i["kind"],
                    s("detail"),
                    s("documentation")
                )
            })
            .collect();
        items.join("\n")
    };
    let offers = ["line.hil", "{disch"].map(|t| complete(&mut client, t));
    insta::assert_snapshot!("lsp_completion", offers.join("\n"));

    // the outline of a file: the open one, and the pack's params.heng on disk
    let outline = |client: &mut Client, uri: &str, first: usize| {
        let result = client.request(
            "textDocument/documentSymbol",
            json!({"textDocument": {"uri": uri}}),
        );
        let symbols: Vec<String> = result
            .as_array()
            .expect("symbols")
            .iter()
            .take(first)
            .map(|s| {
                let start = &s["location"]["range"]["start"];
                format!(
                    "{} [{}] {}:{}",
                    s["name"].as_str().unwrap_or(""),
                    s["kind"],
                    start["line"],
                    start["character"]
                )
            })
            .collect();
        symbols.join("\n")
    };
    let params = file_uri(&dir.join("params.heng"));
    let outlines = [
        outline(&mut client, &uri, 10),
        outline(&mut client, &params, 3),
    ];
    insta::assert_snapshot!("lsp_outline", outlines.join("\n"));

    assert_eq!(client.request("shutdown", Value::Null), Value::Null);
    client.notify("exit", Value::Null);
    let status = client.child.wait().expect("the server exits");
    assert!(status.success(), "{status}");
}
