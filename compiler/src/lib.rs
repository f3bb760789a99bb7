//! Heng's compiler core: source → tokens → syntax tree → checked, typed IR.
//!
//! Architecture invariant: this crate is pure. It never touches the file system,
//! the network, the clock or stdout; the runtime, the CLI and the editor hand it
//! source texts and receive a [`ir::Program`] plus [`diagnostic::Diagnostic`]s.

pub mod check;
pub mod diagnostic;
pub mod ir;
pub mod source;
pub mod syntax;
pub mod types;
