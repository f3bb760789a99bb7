//! Local names of a rule or function body: nested frames of bindings, each bound
//! to its own slot so the backends need no name lookup.

use crate::ir::LocalId;
use crate::source::Span;
use crate::types::Type;

pub(super) struct Local {
    pub name: String,
    pub id: LocalId,
    pub ty: Type,
    pub span: Span,
    pub used: bool,
    /// Warn when a `let` binding is never read.
    pub warn_unused: bool,
}

#[derive(Default)]
pub(super) struct Scope {
    frames: Vec<Vec<Local>>,
    next: u32,
    /// Bindings dropped with their frame, kept for the unused check.
    pub finished: Vec<Local>,
}

impl Scope {
    pub fn new() -> Scope {
        Scope {
            frames: vec![Vec::new()],
            next: 0,
            finished: Vec::new(),
        }
    }

    pub fn bind(&mut self, name: &str, ty: Type, span: Span, warn_unused: bool) -> LocalId {
        let id = LocalId(self.next);
        self.next += 1;
        let frame = self.frames.last_mut().expect("scope always has a frame");
        frame.push(Local {
            name: name.to_string(),
            id,
            ty,
            span,
            used: false,
            warn_unused,
        });
        id
    }

    pub fn lookup(&mut self, name: &str) -> Option<(LocalId, Type)> {
        for frame in self.frames.iter_mut().rev() {
            if let Some(l) = frame.iter_mut().rev().find(|l| l.name == name) {
                l.used = true;
                return Some((l.id, l.ty.clone()));
            }
        }
        None
    }

    pub fn push(&mut self) {
        self.frames.push(Vec::new());
    }

    pub fn pop(&mut self) {
        if let Some(frame) = self.frames.pop() {
            self.finished.extend(frame);
        }
    }

    pub fn names(&self) -> Vec<String> {
        self.frames
            .iter()
            .flatten()
            .map(|l| l.name.clone())
            .collect()
    }

    /// Number of slots used so far (the frame size).
    pub fn size(&self) -> u32 {
        self.next
    }

    /// Closes every frame and returns all bindings.
    pub fn finish(mut self) -> Vec<Local> {
        while !self.frames.is_empty() {
            self.pop();
        }
        self.finished
    }
}
