//! One visit without its lines: class and med_type, hospital, department,
//! begin and end times, insurance type and main diagnosis, fitted to the
//! patient (a newborn goes to paediatrics, a pregnancy to maternity, a special
//! disease to its special outpatient clinic).

use super::calendar::years_between;
use super::catalogue::{Catalogue, Class};
use super::codes::fnv;
use super::hospitals::{Hospital, Hospitals};
use super::orders::Order;
use super::patient::{MONTH_DAYS, MONTH_START, Patient};
use super::reference::{self, Diagnosis, Setting};
use super::rng::{Rng, Weighted};
use super::rules::{Diag, Line, VisitFacts};
use std::borrow::Cow;

/// One visit being written.
pub struct Visit<'c> {
    pub facts: VisitFacts<'c>,
    /// 1-based number of the visit within the patient's month.
    pub seq: u32,
    pub hospital: &'c Hospital,
    pub begin_minute: u32,
    pub end_minute: u32,
    pub dept: &'static str,
    pub doctor: u32,
    pub diags: Vec<Diag<'c>>,
    pub oprn: Option<&'static str>,
    pub lines: Vec<Line>,
    /// Doctor's orders for the drug lines (`Line::drord` numbers them from 1).
    pub orders: Vec<Order>,
    /// Per counting rule (in [`super::rules::COUNTING`] order): violations
    /// injected on purpose, as findings.
    pub injected: [u64; 2],
}

/// Generation of one visit of one patient.
pub struct VisitGen<'a, 'c> {
    pub cat: &'c Catalogue,
    pub rng: &'a mut Rng,
    pub p: &'a Patient,
}

impl<'c> VisitGen<'_, 'c> {
    /// The visit without its lines: class, hospital, times, department, main
    /// diagnosis. `d`: day in the month; `next`: the day of the next visit.
    pub fn skeleton(
        &mut self,
        hospitals: &'c Hospitals,
        seq: u32,
        d: i32,
        next: i32,
        previous: Option<(i32, u32)>,
    ) -> Visit<'c> {
        let cat = self.cat;
        let rng = &mut *self.rng;
        let p = self.p;
        let begin = MONTH_START + d;
        let age = years_between(p.brdy, begin);
        let newborn = i64::from(begin - p.brdy) <= cat.params.newborn_max_days;
        let maternity = p.pregnant && rng.chance(5_000);
        let inpatient = rng.chance(if newborn { 3_000 } else { 1_500 });
        let disease = p.disease.map(|i| &cat.diseases[i]);
        let class = if inpatient {
            Class::Inpatient
        } else if maternity || newborn {
            Class::Outpatient
        } else if disease.is_some() && rng.chance(4_500) {
            Class::SpecialOutpatient
        } else if rng.chance(1_600) {
            Class::Pharmacy
        } else {
            Class::Outpatient
        };

        // Main diagnosis.
        let main: Option<&'static Diagnosis> = if maternity {
            reference::diagnosis(if inpatient { "O80.000" } else { "Z34.900" })
        } else if newborn {
            reference::diagnosis(if inpatient { "P22.000" } else { "P59.900" })
        } else if class == Class::SpecialOutpatient {
            disease
                .and_then(|dz| reference::special_disease_diagnosis(&dz.code))
                .and_then(reference::diagnosis)
        } else {
            None
        };
        let main = main.unwrap_or_else(|| {
            let fits = |x: &&Diagnosis| {
                let setting = match x.setting {
                    Setting::Both => true,
                    Setting::Inpatient => class == Class::Inpatient,
                    Setting::Outpatient => class != Class::Inpatient,
                    Setting::Secondary => false,
                };
                setting
                    && !x.maternity
                    && (x.gender == 0 || x.gender == p.gend)
                    && (x.age_min..=x.age_max).contains(&age)
            };
            let choices: Vec<&'static Diagnosis> =
                reference::DIAGNOSES.iter().filter(fits).collect();
            if choices.is_empty() {
                &reference::DIAGNOSES[0]
            } else {
                choices[Weighted::zipf(choices.len()).sample(rng)]
            }
        });
        let main_name = match (class, disease) {
            (Class::SpecialOutpatient, Some(dz)) => dz.name_json.as_deref().or(Some(main.name)),
            _ => Some(main.name),
        };

        let med_type = match class {
            Class::Pharmacy => "41",
            Class::SpecialOutpatient => {
                if rng.chance(9_000) {
                    "14"
                } else {
                    "15"
                }
            }
            Class::Outpatient if maternity => "51",
            Class::Outpatient if rng.chance(1_200) => "13",
            Class::Outpatient => "11",
            Class::Inpatient if maternity => "52",
            Class::Inpatient if main.code.starts_with('S') => "22",
            Class::Inpatient if main.oprn.is_some() && rng.chance(1_500) => "28",
            Class::Inpatient if rng.chance(800) => "24",
            Class::Inpatient => "21",
        };
        let insutype = if matches!(med_type, "51" | "52") && p.insutype == "310" {
            "510"
        } else {
            p.insutype
        };
        let hospital = match class {
            Class::Pharmacy => rng.pick(&hospitals.pharmacies),
            Class::SpecialOutpatient => &hospitals.hospitals[p.home],
            _ if rng.chance(7_500) => &hospitals.hospitals[p.home],
            _ => &hospitals.hospitals[hospitals.weights.sample(rng)],
        };
        let dept = match (class, med_type) {
            (Class::Pharmacy, _) => "",
            (_, "13") => "A20",
            _ if age < 14 && main.dept == "A03" => "A07",
            _ => main.dept,
        };

        // Times: outpatients in opening hours, emergencies and admissions at any
        // hour; later than the previous visit on the same day.
        let mut begin_minute = match (class, med_type) {
            (Class::Inpatient, _) | (_, "13") => rng.range(0, 1_439) as u32,
            (Class::Pharmacy, _) => rng.range(480, 1_260) as u32,
            _ => rng.range(480, 1_050) as u32,
        };
        if let Some((pd, pm)) = previous
            && pd == d
            && begin_minute <= pm
        {
            begin_minute = (pm + rng.range(10, 60) as u32).min(1_439);
        }
        let (end, end_minute) = if class == Class::Inpatient {
            let nights = match main.oprn {
                _ if med_type == "28" => 0,
                Some(_) => rng.range(3, 12),
                None => rng.range(2, 14),
            };
            let end_day = (d + nights as i32).min(next).min(MONTH_DAYS - 1);
            let end_minute = if end_day == d {
                (begin_minute + rng.range(120, 600) as u32).min(1_439)
            } else {
                rng.range(480, 1_080) as u32
            };
            (Some(MONTH_START + end_day), end_minute)
        } else {
            (None, begin_minute)
        };
        // A handful of doctors per hospital and department.
        let doctor = ((fnv(hospital.code.as_bytes()) % 80 + rng.below(12)) % 100) as u32;
        let oprn = if class == Class::Inpatient {
            main.oprn
        } else {
            None
        };
        Visit {
            facts: VisitFacts {
                gend: p.gend,
                brdy: p.brdy,
                tier: hospital.tier,
                class,
                insutype,
                med_type,
                begin,
                end,
                disease: if matches!(med_type, "14" | "15") {
                    disease
                } else {
                    None
                },
            },
            seq,
            hospital,
            begin_minute,
            end_minute,
            dept,
            doctor,
            diags: vec![Diag {
                code: Cow::Borrowed(main.code),
                name: main_name,
            }],
            oprn,
            lines: Vec::new(),
            orders: Vec::new(),
            injected: [0; 2],
        }
    }
}
