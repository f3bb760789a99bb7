//! `assert_reported!(CODE, (codes, rendering))`: asserts `CODE` is among the
//! codes a check reported and snapshots the rendering under the test's name.
//! Shared by the diagnostics tests of the compiler and of packs.

#[macro_export]
macro_rules! assert_reported {
    ($code:literal, $report:expr) => {{
        let (codes, out) = $report;
        assert!(
            codes.contains(&$code),
            "expected {} among {:?}\n{}",
            $code,
            codes,
            out
        );
        insta::assert_snapshot!(out);
    }};
}
