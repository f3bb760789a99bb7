//! Renders diagnostics for terminals (ariadne) and as JSON for tools and the editor.
