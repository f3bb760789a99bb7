//! Syntax: tokens, the syntax tree and the error-tolerant parser.
//!
//! Architecture invariant: parsing never fails. [`parse`] always returns a tree
//! (with `Error` nodes where the text made no sense) plus every syntax error found.

pub mod ast;
pub mod lexer;
pub mod parser;
pub mod template;

pub use parser::parse;
