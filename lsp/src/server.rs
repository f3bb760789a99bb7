//! The server loop: documents as the editor has them, each pack checked again
//! after every change to one of its files, diagnostics published for all of the
//! pack's files (an empty list clears a file that has none left), hover, go to
//! definition and completion answered from the pack's last program.

use crate::completion::{Kind, complete};
use crate::definition::{declarations, outline};
use crate::diagnostics::to_lsp;
use crate::hover::{describe, word_at};
use crate::position::{Encoding, offset, position};
use heng_compiler::diagnostic::{Diagnostic, Lang};
use heng_compiler::ir::Program;
use heng_compiler::source::{FileId, SourceMap, Span};
use lsp_server::{Connection, Message, Notification, Request, Response};
use lsp_types::notification::Notification as _;
use lsp_types::request::Request as _;
use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionOptions, CompletionParams, CompletionResponse,
    DocumentSymbolParams, DocumentSymbolResponse, Documentation, GotoDefinitionParams,
    GotoDefinitionResponse, Hover, HoverContents, HoverParams, InitializeParams, Location,
    MarkupContent, MarkupKind, OneOf, PositionEncodingKind, PublishDiagnosticsParams, Range,
    ServerCapabilities, ServerInfo, SymbolInformation, SymbolKind, TextDocumentPositionParams,
    TextDocumentSyncKind, Url,
};
use std::collections::{BTreeMap, HashMap};
use std::error::Error;
use std::path::{Path, PathBuf};

/// What checking a pack gave.
pub struct Checked {
    /// Every file the pack's check read, named as the runtime names them
    /// (relative to the working directory where possible).
    pub sources: SourceMap,
    pub diagnostics: Vec<Diagnostic>,
    /// The checked program, when the pack has no errors.
    pub program: Option<Program>,
    /// The parameters' values in effect, in `program.params` order.
    pub param_values: Vec<String>,
}

/// Checks the pack in folder `root`, reading the files an editor has open (by
/// absolute path) from `open`.
pub type Check<'a> = dyn Fn(&Path, HashMap<PathBuf, String>) -> Checked + 'a;

type Failure = Box<dyn Error + Send + Sync>;

/// Serves `connection` until the client shuts the server down.
pub fn serve(connection: &Connection, check: &Check, lang: Lang) -> Result<(), Failure> {
    let (id, params) = connection.initialize_start()?;
    let params: InitializeParams = serde_json::from_value(params)?;
    let utf8 = params
        .capabilities
        .general
        .and_then(|g| g.position_encodings)
        .is_some_and(|e| e.contains(&PositionEncodingKind::UTF8));
    let encoding = if utf8 {
        Encoding::Utf8
    } else {
        Encoding::Utf16
    };
    let capabilities = ServerCapabilities {
        position_encoding: Some(if utf8 {
            PositionEncodingKind::UTF8
        } else {
            PositionEncodingKind::UTF16
        }),
        text_document_sync: Some(TextDocumentSyncKind::FULL.into()),
        hover_provider: Some(true.into()),
        definition_provider: Some(OneOf::Left(true)),
        document_symbol_provider: Some(OneOf::Left(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![".".to_string()]),
            ..CompletionOptions::default()
        }),
        ..ServerCapabilities::default()
    };
    let result = lsp_types::InitializeResult {
        capabilities,
        server_info: Some(ServerInfo {
            name: "heng".to_string(),
            version: Some(env!("CARGO_PKG_VERSION").to_string()),
        }),
    };
    connection.initialize_finish(id, serde_json::to_value(result)?)?;
    let mut server = Server {
        connection,
        check,
        lang,
        encoding,
        open: HashMap::new(),
        packs: HashMap::new(),
    };
    for message in &connection.receiver {
        match message {
            Message::Request(request) => {
                if connection.handle_shutdown(&request)? {
                    return Ok(());
                }
                server.request(request)?;
            }
            Message::Notification(n) => server.notification(n)?,
            Message::Response(_) => {}
        }
    }
    Ok(())
}

struct Server<'a> {
    connection: &'a Connection,
    check: &'a Check<'a>,
    lang: Lang,
    encoding: Encoding,
    /// The open documents' texts, by absolute path.
    open: HashMap<PathBuf, String>,
    /// Per pack folder: the files last published to, and the last program.
    packs: HashMap<PathBuf, Pack>,
}

#[derive(Default)]
struct Pack {
    published: Vec<Url>,
    last: Option<Last>,
}

/// A pack's last program that checked, with its parameters' values in effect
/// and the sources its spans point into.
struct Last {
    program: Program,
    param_values: Vec<String>,
    sources: SourceMap,
}

impl Server<'_> {
    fn notification(&mut self, n: Notification) -> Result<(), Failure> {
        use lsp_types::notification::{
            DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, DidSaveTextDocument,
        };
        let changed = match n.method.as_str() {
            DidOpenTextDocument::METHOD => {
                let p: lsp_types::DidOpenTextDocumentParams = serde_json::from_value(n.params)?;
                let path = file_path(&p.text_document.uri);
                path.inspect(|path| {
                    self.open.insert(path.clone(), p.text_document.text);
                })
            }
            DidChangeTextDocument::METHOD => {
                let p: lsp_types::DidChangeTextDocumentParams = serde_json::from_value(n.params)?;
                let path = file_path(&p.text_document.uri);
                // full synchronisation: the last change holds the whole text
                match (path, p.content_changes.into_iter().last()) {
                    (Some(path), Some(change)) => {
                        self.open.insert(path.clone(), change.text);
                        Some(path)
                    }
                    _ => None,
                }
            }
            DidSaveTextDocument::METHOD => {
                let p: lsp_types::DidSaveTextDocumentParams = serde_json::from_value(n.params)?;
                file_path(&p.text_document.uri)
            }
            DidCloseTextDocument::METHOD => {
                let p: lsp_types::DidCloseTextDocumentParams = serde_json::from_value(n.params)?;
                let path = file_path(&p.text_document.uri);
                path.inspect(|path| {
                    self.open.remove(path);
                })
            }
            _ => None,
        };
        match changed.as_deref().and_then(pack_root) {
            Some(root) => self.check_pack(&root),
            None => Ok(()),
        }
    }

    /// Checks the pack in `root` and publishes its diagnostics.
    fn check_pack(&mut self, root: &Path) -> Result<(), Failure> {
        let checked = (self.check)(root, self.open.clone());
        let cwd = std::env::current_dir().unwrap_or_default();
        let uri_of = |file: FileId| pack_file_uri(&cwd, &checked.sources, file);
        // every file of the pack gets a list, empty or not
        let mut by_file: BTreeMap<Url, Vec<lsp_types::Diagnostic>> = checked
            .sources
            .files()
            .filter_map(|(f, _)| uri_of(f))
            .map(|u| (u, Vec::new()))
            .collect();
        for d in &checked.diagnostics {
            if let Some(uri) = uri_of(d.primary.span.file) {
                let shown = to_lsp(d, &checked.sources, &uri_of, self.lang, self.encoding);
                by_file.entry(uri).or_default().push(shown);
            }
        }
        let pack = self.packs.entry(root.to_path_buf()).or_default();
        for gone in std::mem::take(&mut pack.published) {
            by_file.entry(gone).or_default();
        }
        pack.published = by_file.keys().cloned().collect();
        if let Some(program) = checked.program {
            pack.last = Some(Last {
                program,
                param_values: checked.param_values,
                sources: checked.sources,
            });
        }
        for (uri, diagnostics) in by_file {
            let params = PublishDiagnosticsParams::new(uri, diagnostics, None);
            self.connection
                .sender
                .send(Message::Notification(Notification::new(
                    lsp_types::notification::PublishDiagnostics::METHOD.to_string(),
                    params,
                )))?;
        }
        Ok(())
    }

    fn request(&mut self, request: Request) -> Result<(), Failure> {
        let response = match request.method.as_str() {
            lsp_types::request::HoverRequest::METHOD => {
                let p: HoverParams = serde_json::from_value(request.params)?;
                let hover = self.hover(&p);
                Response::new_ok(request.id, hover)
            }
            lsp_types::request::Completion::METHOD => {
                let p: CompletionParams = serde_json::from_value(request.params)?;
                let items = self.completion(&p.text_document_position);
                Response::new_ok(request.id, items)
            }
            lsp_types::request::DocumentSymbolRequest::METHOD => {
                let p: DocumentSymbolParams = serde_json::from_value(request.params)?;
                let symbols = self.outline(&p.text_document.uri);
                Response::new_ok(request.id, symbols)
            }
            lsp_types::request::GotoDefinition::METHOD => {
                let p: GotoDefinitionParams = serde_json::from_value(request.params)?;
                let definition = self.definition(&p.text_document_position_params);
                Response::new_ok(request.id, definition)
            }
            _ => Response::new_err(
                request.id,
                lsp_server::ErrorCode::MethodNotFound as i32,
                format!("heng lsp does not answer {}", request.method),
            ),
        };
        self.connection.sender.send(Message::Response(response))?;
        Ok(())
    }

    /// The text of the document at `at`, the cursor's byte offset in it, and
    /// the last program of its pack.
    fn document_at(&self, at: &TextDocumentPositionParams) -> Option<(&Last, String, usize)> {
        let path = file_path(&at.text_document.uri)?;
        let text = match self.open.get(&path) {
            Some(t) => t.clone(),
            None => std::fs::read_to_string(&path).ok()?,
        };
        let last = self.packs.get(&pack_root(&path)?)?.last.as_ref()?;
        let at = offset(&text, at.position, self.encoding);
        Some((last, text, at))
    }

    /// The name under the cursor at `at`, and the last program of its pack.
    fn name_at(&self, at: &TextDocumentPositionParams) -> Option<(&Last, String)> {
        let (last, text, at) = self.document_at(at)?;
        let word = word_at(&text, at)?;
        Some((last, word.to_string()))
    }

    fn completion(&self, at: &TextDocumentPositionParams) -> Option<CompletionResponse> {
        let (last, text, at) = self.document_at(at)?;
        let items = complete(&last.program, &text, at)
            .into_iter()
            .map(|o| CompletionItem {
                kind: Some(match o.kind {
                    Kind::Rule => CompletionItemKind::EVENT,
                    Kind::Field => CompletionItemKind::FIELD,
                    Kind::Param => CompletionItemKind::CONSTANT,
                    Kind::Table => CompletionItemKind::STRUCT,
                    Kind::Function => CompletionItemKind::FUNCTION,
                    Kind::Keyword => CompletionItemKind::KEYWORD,
                    Kind::Type => CompletionItemKind::CLASS,
                }),
                detail: (!o.detail.is_empty()).then_some(o.detail),
                documentation: (!o.doc.is_empty()).then_some(Documentation::String(o.doc)),
                label: o.label,
                ..CompletionItem::default()
            });
        Some(CompletionResponse::Array(items.collect()))
    }

    fn definition(&self, at: &TextDocumentPositionParams) -> Option<GotoDefinitionResponse> {
        let (last, word) = self.name_at(at)?;
        let cwd = std::env::current_dir().unwrap_or_default();
        let locations: Vec<Location> = declarations(&last.program, &word)
            .into_iter()
            .filter_map(|span| self.location(&cwd, &last.sources, span))
            .collect();
        (!locations.is_empty()).then_some(GotoDefinitionResponse::Array(locations))
    }

    /// Where `span` of a pack file of `sources` is, as the editor counts.
    fn location(&self, cwd: &Path, sources: &SourceMap, span: Span) -> Option<Location> {
        let uri = pack_file_uri(cwd, sources, span.file)?;
        let text = &sources.get(span.file).text;
        let at = |offset| position(text, offset, self.encoding);
        let range = span.range();
        Some(Location::new(
            uri,
            Range::new(at(range.start), at(range.end)),
        ))
    }

    /// The declarations of the document `uri`, from its pack's last program.
    fn outline(&self, uri: &Url) -> Option<DocumentSymbolResponse> {
        let path = file_path(uri)?;
        let last = self.packs.get(&pack_root(&path)?)?.last.as_ref()?;
        let cwd = std::env::current_dir().unwrap_or_default();
        let (file, _) = last
            .sources
            .files()
            .find(|(f, _)| pack_file_uri(&cwd, &last.sources, *f).as_ref() == Some(uri))?;
        let symbols = outline(&last.program, file)
            .into_iter()
            .filter_map(|(name, kind, span)| {
                let location = self.location(&cwd, &last.sources, span)?;
                #[allow(deprecated, reason = "the protocol's `deprecated` field must be given")]
                Some(SymbolInformation {
                    name,
                    kind: match kind {
                        Kind::Rule => SymbolKind::EVENT,
                        Kind::Param => SymbolKind::CONSTANT,
                        Kind::Table => SymbolKind::STRUCT,
                        Kind::Function => SymbolKind::FUNCTION,
                        Kind::Field => SymbolKind::FIELD,
                        Kind::Keyword | Kind::Type => SymbolKind::CLASS,
                    },
                    tags: None,
                    deprecated: None,
                    location,
                    container_name: None,
                })
            });
        Some(DocumentSymbolResponse::Flat(symbols.collect()))
    }

    fn hover(&self, p: &HoverParams) -> Option<Hover> {
        let (last, word) = self.name_at(&p.text_document_position_params)?;
        let value = describe(&last.program, &last.param_values, &word)?;
        Some(Hover {
            contents: HoverContents::Markup(MarkupContent {
                kind: MarkupKind::Markdown,
                value,
            }),
            range: None,
        })
    }
}

/// The `file:` URI of a pack file (`.heng` or heng.toml) of `sources`, which
/// names them relative to `cwd` where it can; `None` for other files (tables).
fn pack_file_uri(cwd: &Path, sources: &SourceMap, file: FileId) -> Option<Url> {
    let path = cwd.join(Path::new(&sources.get(file).path));
    let is_pack_file = path.extension().is_some_and(|e| e == "heng")
        || path.file_name().is_some_and(|n| n == "heng.toml");
    is_pack_file
        .then(|| Url::from_file_path(&path).ok())
        .flatten()
}

/// The absolute path of a `file:` document.
fn file_path(uri: &Url) -> Option<PathBuf> {
    uri.to_file_path().ok()
}

/// The pack folder holding `file`: the nearest folder above it with a heng.toml.
fn pack_root(file: &Path) -> Option<PathBuf> {
    file.ancestors()
        .skip(1)
        .find(|d| d.join("heng.toml").is_file())
        .map(Path::to_path_buf)
}
