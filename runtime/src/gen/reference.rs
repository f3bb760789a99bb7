//! Reference data that the standard tables do not hold: departments, common
//! diagnoses (医保版 ICD-10, with names) and their procedures, the main diagnosis
//! of each sample special disease, and the shape of hospital codes and levels.
//! Items (codes, names, restrictions, price caps) never come from here: they come
//! from the pack's tables (`catalogue`).

/// Where a diagnosis is seen as the main one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setting {
    Outpatient,
    Inpatient,
    /// Both outpatient and inpatient.
    Both,
    /// Only as an extra diagnosis (an indication of a restricted item).
    Secondary,
}

/// A diagnosis with who it fits.
#[derive(Clone, Copy, Debug)]
pub struct Diagnosis {
    pub code: &'static str,
    pub name: &'static str,
    /// Admitting department (adm_dept_codg); children go to paediatrics (A07).
    pub dept: &'static str,
    pub setting: Setting,
    /// 1 men only, 2 women only, 0 either.
    pub gender: u8,
    pub age_min: i64,
    pub age_max: i64,
    /// Main procedure (ICD-9-CM-3) of an inpatient stay with this diagnosis.
    pub oprn: Option<&'static str>,
    /// A maternity diagnosis: only for maternity visits (med_type 51, 52).
    pub maternity: bool,
}

const fn dx(
    code: &'static str,
    name: &'static str,
    dept: &'static str,
    setting: Setting,
    gender: u8,
    age: (i64, i64),
) -> Diagnosis {
    Diagnosis {
        code,
        name,
        dept,
        setting,
        gender,
        age_min: age.0,
        age_max: age.1,
        oprn: None,
        maternity: false,
    }
}

const fn with_oprn(mut d: Diagnosis, oprn: &'static str) -> Diagnosis {
    d.oprn = Some(oprn);
    d
}

const fn maternity(mut d: Diagnosis) -> Diagnosis {
    d.maternity = true;
    d
}

use Setting::{Both, Inpatient, Outpatient, Secondary};

const ANY: (i64, i64) = (0, 120);
const ADULT: (i64, i64) = (18, 120);
const NEWBORN: (i64, i64) = (0, 0);

/// Common diagnoses, most common first within each setting.
pub static DIAGNOSES: &[Diagnosis] = &[
    dx("J06.900", "急性上呼吸道感染", "A03", Outpatient, 0, ANY),
    dx("I10.x00", "高血压", "A03", Outpatient, 0, (30, 120)),
    dx("J20.900", "急性支气管炎", "A03", Outpatient, 0, ANY),
    dx("E11.900", "2型糖尿病", "A03", Both, 0, (30, 120)),
    dx("K29.700", "胃炎", "A03", Outpatient, 0, (14, 120)),
    dx("R50.900", "发热", "A20", Outpatient, 0, ANY),
    dx("J02.900", "急性咽炎", "A11", Outpatient, 0, ANY),
    dx("E78.500", "高脂血症", "A03", Outpatient, 0, (30, 120)),
    dx("M54.500", "腰痛", "A04", Outpatient, 0, ADULT),
    dx("N39.000", "尿路感染", "A03", Outpatient, 0, ANY),
    dx("H10.900", "结膜炎", "A10", Outpatient, 0, ANY),
    dx("L30.900", "皮炎", "A13", Outpatient, 0, ANY),
    dx("K02.900", "龋病", "A12", Outpatient, 0, (3, 120)),
    dx("J45.900", "哮喘", "A03", Outpatient, 0, (3, 120)),
    dx("F32.900", "抑郁发作", "A15", Outpatient, 0, (14, 90)),
    dx("N76.000", "急性阴道炎", "A05", Outpatient, 2, (18, 70)),
    dx("N95.100", "绝经期综合征", "A05", Outpatient, 2, (45, 60)),
    dx("M17.900", "膝关节病", "A21", Outpatient, 0, (40, 120)),
    dx("P59.900", "新生儿黄疸", "A07", Outpatient, 0, NEWBORN),
    maternity(dx(
        "Z34.900",
        "正常妊娠监督",
        "A05",
        Outpatient,
        2,
        (20, 42),
    )),
    dx("J18.900", "肺炎", "A03", Inpatient, 0, ANY),
    dx(
        "J44.100",
        "慢性阻塞性肺病伴有急性加重",
        "A03",
        Inpatient,
        0,
        (40, 120),
    ),
    dx("I63.900", "脑梗死", "A03", Inpatient, 0, (45, 120)),
    with_oprn(
        dx(
            "I25.100",
            "动脉粥样硬化性心脏病",
            "A03",
            Inpatient,
            0,
            (40, 120),
        ),
        "36.0700",
    ),
    with_oprn(
        dx("K80.100", "胆囊结石伴胆囊炎", "A04", Inpatient, 0, (25, 90)),
        "51.2300",
    ),
    with_oprn(
        dx("S82.200", "胫骨干骨折", "A04", Inpatient, 0, (18, 90)),
        "79.3601",
    ),
    dx("K25.900", "胃溃疡", "A03", Inpatient, 0, (18, 120)),
    dx("N18.500", "慢性肾脏病5期", "A03", Inpatient, 0, (30, 90)),
    with_oprn(
        dx("I21.900", "急性心肌梗死", "A03", Inpatient, 0, (40, 120)),
        "36.0700",
    ),
    with_oprn(
        dx("K35.800", "急性阑尾炎", "A04", Inpatient, 0, (8, 80)),
        "47.0100",
    ),
    with_oprn(
        dx(
            "C83.300",
            "弥漫大B细胞淋巴瘤",
            "A19",
            Inpatient,
            0,
            (30, 90),
        ),
        "99.2501",
    ),
    with_oprn(
        dx("N40.x00", "前列腺增生", "A04", Inpatient, 1, (50, 120)),
        "60.2901",
    ),
    dx(
        "P22.000",
        "新生儿呼吸窘迫综合征",
        "A07",
        Inpatient,
        0,
        NEWBORN,
    ),
    maternity(dx("O80.000", "单胎顺产", "A05", Inpatient, 2, (20, 42))),
    dx("J44.900", "慢性阻塞性肺病", "A03", Secondary, 0, ANY),
    dx("K74.600", "肝硬化", "A03", Secondary, 0, ANY),
    dx("R18.x00", "腹水", "A03", Secondary, 0, ANY),
    dx("R57.000", "心源性休克", "A03", Secondary, 0, ANY),
    dx("I20.000", "不稳定型心绞痛", "A03", Secondary, 0, ANY),
    dx("I70.200", "四肢动脉粥样硬化", "A03", Secondary, 0, ANY),
    dx("Z95.500", "冠状动脉支架植入状态", "A03", Secondary, 0, ANY),
    dx("I11.900", "高血压性心脏病", "A03", Secondary, 0, ANY),
    dx("E10.900", "1型糖尿病", "A03", Secondary, 0, ANY),
    dx("N17.900", "急性肾衰竭", "A03", Secondary, 0, ANY),
    dx("B18.100", "慢性乙型病毒性肝炎", "A03", Secondary, 0, ANY),
    dx("K26.900", "十二指肠溃疡", "A03", Secondary, 0, ANY),
    dx(
        "K21.000",
        "胃食管反流病伴有食管炎",
        "A03",
        Secondary,
        0,
        ANY,
    ),
    dx("K92.200", "消化道出血", "A03", Secondary, 0, ANY),
    dx("C82.900", "滤泡性淋巴瘤", "A19", Secondary, 0, ANY),
    dx("C85.900", "非霍奇金淋巴瘤", "A19", Secondary, 0, ANY),
    dx("C91.100", "慢性淋巴细胞白血病", "A19", Secondary, 0, ANY),
    dx("Z94.000", "肾移植状态", "A03", Secondary, 0, ANY),
    dx("F20.900", "精神分裂症", "A15", Secondary, 0, ANY),
    dx("M06.900", "类风湿关节炎", "A03", Secondary, 0, ANY),
    dx("G20.x00", "帕金森病", "A03", Secondary, 0, ANY),
];

/// The main diagnosis of a special-disease (门诊慢特病) visit, by dise_codg of the
/// sample special_diseases table; other diseases get a common chronic diagnosis.
pub fn special_disease_diagnosis(dise_codg: &str) -> Option<&'static str> {
    Some(match dise_codg {
        "M00500" => "I10.x00",
        "M01600" => "E11.900",
        "M03900" => "I25.100",
        "M02300" => "J44.900",
        "M07800" => "N18.500",
        "M00100" => "C83.300",
        "M08300" => "Z94.000",
        "M02900" => "F20.900",
        "M04400" => "M06.900",
        "M06100" => "G20.x00",
        _ => return None,
    })
}

/// The diagnosis with this code.
pub fn diagnosis(code: &str) -> Option<&'static Diagnosis> {
    DIAGNOSES.iter().find(|d| d.code == code)
}

/// A diagnosis code that starts with `prefix`: a listed one if any, else the
/// prefix padded to the 医保版 shape (`K74` → `K74.900`, `E88.0` → `E88.000`),
/// without a name.
pub fn diagnosis_for_prefix(prefix: &str) -> (String, Option<&'static str>) {
    if let Some(d) = DIAGNOSES.iter().find(|d| d.code.starts_with(prefix)) {
        return (d.code.to_string(), Some(d.name));
    }
    let mut code = prefix.to_string();
    const FILL: &[u8] = b"A00.900";
    while code.len() < FILL.len() {
        code.push(FILL[code.len()] as char);
    }
    (code, None)
}

/// Departments (国家标准科室代码) used for admissions and billing.
pub static DEPARTMENTS: &[&str] = &[
    "A02", "A03", "A04", "A05", "A07", "A10", "A11", "A12", "A13", "A15", "A19", "A20", "A21",
    "A26", "A28", "A50",
];

/// hosp_lv codes by tier (records.md): tier 3, 2, 1.
pub const LEVELS: [&[&str]; 3] = [
    &["08", "09", "10", "14"],
    &["05", "06", "07", "13"],
    &["01", "02", "03", "04", "12"],
];

/// The hosp_lv of pharmacies and ungraded institutions (tier 0).
pub const PHARMACY_LEVEL: &str = "11";
