//! Embedding Heng in a serving component: load a pack once, check single visits.
//! Run: `cargo run --example embed -p heng-runtime`

use heng_runtime::history::{HistorySource, Patient};
use heng_runtime::value::Value;
use heng_runtime::{audit, engine::Interpreter, input, pack};

/// Where a serving component keeps patients' earlier visits (a database, a cache);
/// here, none.
struct EarlierVisits;

impl HistorySource for EarlierVisits {
    fn visits(&self, _psn_no: &str) -> Vec<Value> {
        Vec::new()
    }
}
use std::path::Path;

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../stdlib-rules");
    let loaded = pack::load(&dir, &[]);
    let Some(pack) = &loaded.pack else {
        eprintln!("the pack does not check");
        std::process::exit(2);
    };
    let schema = input::check_schema(&pack.program).expect("the standard schema");
    let engine = Interpreter::new(pack); // shareable across threads (`Sync`)

    let json_line = r#"{"mdtrt_id":"MD1","psn_no":"P1","gend":"2","brdy":"1980-05-01","med_type":"11","begntime":"2026-10-01T09:00:00","feedetail":[{"feedetl_sn":"1","fee_ocur_time":"2026-10-01T09:10:00","med_list_codg":"XG04CAA163A001010100001","hilist_name":"盐酸阿夫唑嗪缓释片","cnt":"1","pric":"73.00","det_item_fee_sumamt":"73.00"}]}"#;
    match input::read_visit(&schema, 1, json_line) {
        Ok(visit) => {
            // rules that read history see the patient's earlier visits
            let record = Value::Record(visit.record.clone());
            let patient = Patient::of_visit(&pack.program, &record, &visit.psn_no, &EarlierVisits);
            let (findings, errors) = audit::audit_visit(
                pack,
                &engine,
                &schema,
                &loaded.sources,
                &visit,
                Some(&patient),
            );
            for f in &findings {
                println!("{}", audit::finding_json(pack, f));
            }
            assert!(errors.is_empty());
        }
        Err(e) => eprintln!("rejected: {}", e.reason.en),
    }
}
