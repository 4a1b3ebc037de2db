"""What the sample drops contain: curated edge-case patients and the random-patient catalog.

The curated patients serve the trials cart_autoimmune and lupus_nephritis (`TRIALS`). Every
case is its trial's *baseline* patient (an adult woman with SLE, or with active lupus
nephritis, who meets every computable criterion of the trial) with one thing changed, so
that the changed record alone decides the criterion under test. Dates are relative to the
as-of date: `day=-90` is 90 days before it. Windows are inclusive at the far edge (a
90-day window keeps `result_date >= as_of - 90 days`).

`build(as_of)` returns the rows of every file kind, one expected status per case and
criterion of its trial (`expected/statuses.csv`, with a trial_id column) and the case list
the README is written from. The catalog at the end (codes, units, value distributions,
drugs) is what `sample_drops.generator` draws random patients from. Only codes marked
verified in the shared code reference, or checked for lupus_nephritis and documented in its
README, are used.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

SITES = ("SITE_A", "SITE_B", "SITE_C")

# Criteria of cart_autoimmune that data can decide, in the design's order.
COMPUTABLE = (
    "inc_age",
    "inc_diagnosis",
    "inc_refractory",
    "inc_disease_activity",
    "inc_ecog",
    "inc_blood_counts",
    "inc_cardiac",
    "inc_renal",
    "inc_liver",
    "inc_pulmonary",
    "exc_prior_cart",
    "exc_active_infection",
    "exc_transplant",
    "exc_viral",
    "exc_live_vaccine",
    "exc_pregnancy",
    "exc_malignancy",
)


@dataclass(frozen=True)
class Lab:
    """One labs row; `date` (a literal string) wins over `day` when given."""

    code: str
    day: int = -20
    num: str | None = None
    text: str | None = None
    unit: str | None = None
    ref_low: str | None = None
    ref_high: str | None = None
    system: str = "LOINC"
    time: str = ""
    date: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Dx:
    """One diagnoses row."""

    code: str
    day: int
    system: str = "ICD10CM"
    source: str | None = "problem_list"
    time: str = ""
    note: str | None = None
    years: int = 0  # calendar years before as-of, applied before `day`


@dataclass(frozen=True)
class Med:
    """One medications row (`end=None`: open order or single administration)."""

    code: str
    name: str | None
    start: int
    end: int | None = None
    dose: str | None = None
    unit: str | None = "mg"
    freq: str | None = "QD"
    route: str | None = "oral"
    system: str = "RXNORM"


@dataclass(frozen=True)
class Case:
    """One curated patient: the baseline with some record slots replaced."""

    tests: str
    what: str
    expect: dict[str, tuple[str, str]] = field(default_factory=dict)
    sex: str = "F"
    birth: tuple[int, int] | None = None  # years before as-of, then days; None: baseline
    birth_year_only: bool = False
    death_day: int | None = None
    dx: dict[str, tuple[Dx, ...]] = field(default_factory=dict)
    labs: dict[str, tuple[Lab, ...]] = field(default_factory=dict)
    meds: dict[str, tuple[Med, ...]] = field(default_factory=dict)
    omit: frozenset[str] = frozenset()
    empty: bool = False  # the patient has a patients row and nothing else
    eligibility: str = ""  # the patient-level outcome the case is about, if any
    note: str | None = None  # why the patients row must be quarantined


def hb(num: str | None, unit: str = "g/L", day: int = -20, **kw: Any) -> Lab:
    return Lab("718-7", day, num, unit=unit, **kw)


def score(code: str, num: str, day: int = -20) -> Lab:
    return Lab(code, day, num, system="SCORE")


def qual(code: str, text: str, day: int = -25, **kw: Any) -> Lab:
    return Lab(code, day, text=text, **kw)


def cvx(code: str, name: str, day: int) -> Med:
    return Med(code, name, day, None, "0.5", "mL", "ONCE", "im", "CVX")


def pred(dose: str, start: int = -30, end: int | None = None, freq: str = "QD") -> Med:
    return Med("8640", "prednisone 5 MG Oral Tablet", start, end, dose, freq=freq)


MMF = Med("68149", "mycophenolate mofetil 500 MG Oral Tablet", -300, None, "1", "g", "BID")
SLE = (Dx("M32.14", -1095),)
VIRAL_NEGATIVE = (
    qual("5196-1", "Negative"),
    qual("16933-4", "Negative"),
    qual("13955-0", "Non-reactive"),
    qual("56888-1", "Non-reactive"),
    qual("20507-0", "Non-reactive"),
    qual("72493-0", "Not detected", unit="IU/mL"),
)
PULM = (Lab("98130-8", -40, "72", unit="%"), Lab("19872-1", -40, "85", unit="%"))

BASELINE_DX: dict[str, tuple[Dx, ...]] = {
    "disease": SLE,
    "other": (Dx("I10", -2000, source="encounter"),),
}
BASELINE_LABS: dict[str, tuple[Lab, ...]] = {
    "hb": (hb("118", ref_low="120", ref_high="160"),),
    "plt": (Lab("777-3", -20, "210", unit="10*3/uL", ref_low="150", ref_high="400"),),
    "egfr": (Lab("98979-8", -20, "85", unit="mL/min/1.73m2"),),
    "ast": (Lab("1920-8", -20, "25", unit="U/L", ref_high="40"),),
    "alt": (Lab("1742-6", -20, "30", unit="U/L", ref_high="45"),),
    "bili": (Lab("1975-2", -20, "0.6", unit="mg/dL", ref_low="0.2", ref_high="1.2"),),
    "lvef": (Lab("10230-1", -40, "62", unit="%"),),
    "pulm": PULM,
    "ecog": (Lab("89247-1", -20, "1"),),
    "score": (score("SLEDAI2K", "10"),),
    "viral": VIRAL_NEGATIVE,
    "preg": (qual("2106-3", "Negative", day=-20),),
}
BASELINE_MEDS: dict[str, tuple[Med, ...]] = {
    "is1": (MMF,),
    "is2": (Med("1256", "azathioprine 50 MG Oral Tablet", -700, -400, "100"),),
    "gc": (pred("5", start=-200),),
    "vax": (cvx("141", "influenza, split virus, trivalent, PF", -60),),
}
BASELINE_SUMMARY = """a woman aged 41 with SLE (M32.14) and hypertension (I10);
Hb 118 g/L, platelets 210 x 10^9/L, eGFR 85, AST 25 (ULN 40), ALT 30 (ULN 45), bilirubin
0.6 mg/dL (ULN 1.2), ECOG 1, SLEDAI-2K 10, a negative viral panel and urine hCG, all 20-25
days old; LVEF 62 %, DLCO 72 % and FVC 85 % predicted, 40 days old; mycophenolate mofetil
1 g BID for the last 300 days (open order), azathioprine 100 mg/day for 301 days (ended 400 days
ago), prednisone 5 mg/day (open) and an inactivated influenza vaccine 60 days ago."""
BASELINE_EXPECT: dict[str, tuple[str, str]] = {
    "inc_age": ("met", "baseline: 41 years old"),
    "inc_diagnosis": ("met", "baseline: SLE M32.14 on {D-1095}"),
    "inc_refractory": ("met", "baseline: mycophenolate since {D-300}, azathioprine {D-700}..{D-400}"),
    "inc_disease_activity": ("met", "baseline: SLEDAI-2K 10 on {D-20} >= 8"),
    "inc_ecog": ("met", "baseline: ECOG 1 on {D-20}"),
    "inc_blood_counts": ("met", "baseline: Hb 118 g/L and platelets 210 on {D-20}"),
    "inc_cardiac": ("met", "baseline: LVEF 62 % on {D-40}"),
    "inc_renal": ("met", "baseline: eGFR 85 on {D-20}"),
    "inc_liver": ("met", "baseline: AST 25/40, ALT 30/45, bilirubin 0.6/1.2 mg/dL"),
    "inc_pulmonary": ("met", "baseline: DLCO 72 %, FVC 85 % predicted on {D-40}"),
    "exc_prior_cart": ("not_met", "baseline: no CAR-T record"),
    "exc_active_infection": ("not_met", "baseline: no infection record"),
    "exc_transplant": ("not_met", "baseline: no transplant record"),
    "exc_viral": ("not_met", "baseline: viral panel negative on {D-25}"),
    "exc_live_vaccine": ("not_met", "baseline: only inactivated influenza (CVX 141) on {D-60}"),
    "exc_pregnancy": ("not_met", "baseline: urine hCG negative on {D-20}"),
    "exc_malignancy": ("not_met", "baseline: no malignancy record"),
}

MET, NOT, UNK = "met", "not_met", "unknown"
NO_ACTIVITY = frozenset({"inc_disease_activity"})


def _c(tests: str, what: str, status: str, why: str, **kw: Any) -> Case:
    """A case whose expectation is one status on the criterion it tests."""
    return Case(tests, what, {tests: (status, why)}, **kw)


# A table, one case per entry; kept compact by hand so that it reads as a list.
# fmt: off
CASES: tuple[Case, ...] = (
    Case("baseline", "baseline patient, meets every computable criterion", eligibility="eligible"),
    # inc_age
    _c("inc_age", "18th birthday on the as-of date", MET, "born {Y-18}: 18 today", birth=(18, 0)),
    _c("inc_age", "turns 18 the day after as-of", NOT, "born {Y-18+1}: 17", birth=(18, 1)),
    _c("inc_age", "birth_year only, 18 years before", UNK, "birth_year {YEAR-18}: 17 or 18",
       birth=(18, 0), birth_year_only=True),
    Case("inc_age", "birth_year only, clearly adult; sex 'male' (lower case)",
         {"inc_age": (MET, "birth_year {YEAR-55}: 54 or 55")}, sex="male", birth=(55, 0),
         birth_year_only=True, labs={"preg": ()}, omit=frozenset({"exc_pregnancy"})),
    # inc_diagnosis
    _c("inc_diagnosis", "SLE written 'm3214' (lower case, no dot)", MET, "m3214 = M32.14 SLE",
       dx={"disease": (Dx("m3214", -900),)}),
    _c("inc_diagnosis", "SLE as SNOMED CT 55464009 only", MET, "SNOMEDCT 55464009 SLE",
       dx={"disease": (Dx("55464009", -800, "SNOMEDCT", time="T10:00"),)}),
    _c("inc_diagnosis", "discoid lupus L93.0 only (cutaneous, not SLE)", NOT, "L93.0 is not SLE",
       dx={"disease": (Dx("L93.0", -700),)}, omit=NO_ACTIVITY),
    _c("inc_diagnosis", "polymyositis M33.20 only (not DM)", NOT, "M33.20 polymyositis",
       dx={"disease": (Dx("M33.20", -700),)}, omit=NO_ACTIVITY),
    _c("inc_diagnosis", "polymyositis SNOMED 31384009 only", NOT, "31384009 polymyositis",
       dx={"disease": (Dx("31384009", -700, "SNOMEDCT"),)}, omit=NO_ACTIVITY),
    _c("inc_diagnosis", "no diagnosis at all", NOT, "no diagnosis record (event absent)",
       dx={"disease": (), "other": ()}, omit=NO_ACTIVITY),
    Case("inc_diagnosis", "drug-induced SLE M32.0 only (design choice: no expectation)",
         dx={"disease": (Dx("M32.0", -500),)}, omit=frozenset({"inc_diagnosis"}) | NO_ACTIVITY),
    # inc_disease_activity (per disease; scores latest within 90 days)
    _c("inc_disease_activity", "SLEDAI-2K exactly 8", MET, "SLEDAI-2K 8 >= 8",
       labs={"score": (score("SLEDAI2K", "8"),)}),
    _c("inc_disease_activity", "SLEDAI-2K 7", NOT, "SLEDAI-2K 7 < 8",
       labs={"score": (score("SLEDAI2K", "7"),)}),
    _c("inc_disease_activity", "SLEDAI 12 then 6 (latest low)", NOT, "latest SLEDAI-2K 6 on {D-5}",
       labs={"score": (score("SLEDAI2K", "12", -60), score("SLEDAI2K", "6", -5))}),
    _c("inc_disease_activity", "SLEDAI 5 then 9 (latest high)", MET, "latest SLEDAI-2K 9 on {D-5}",
       labs={"score": (score("SLEDAI2K", "5", -60), score("SLEDAI2K", "9", -5))}),
    _c("inc_disease_activity", "SLEDAI 10 exactly 90 days old", MET, "SLEDAI-2K 10 on {D-90}",
       labs={"score": (score("SLEDAI2K", "10", -90),)}),
    _c("inc_disease_activity", "SLEDAI 10 91 days old only", UNK, "only score on {D-91} is too old",
       labs={"score": (score("SLEDAI2K", "10", -91),)}),
    _c("inc_disease_activity", "no SLEDAI at all", UNK, "no SLEDAI-2K", labs={"score": ()}),
    _c("inc_disease_activity", "SLEDAI 12 dated after as-of ignored", NOT,
       "SLEDAI-2K 6 on {D-30}; 12 on {D+3} is after as-of",
       dx={"disease": (Dx("M32.9", -600),)},
       labs={"score": (score("SLEDAI2K", "6", -30), score("SLEDAI2K", "12", 3))}),
    _c("inc_disease_activity", "Sjogren ' M35.00 ' (padded), ESSDAI 16", MET, "ESSDAI 16 >= 14",
       dx={"disease": (Dx(" M35.00 ", -800),)}, labs={"score": (score("ESSDAI", "16"),)}),
    _c("inc_disease_activity", "Sjogren SNOMED 83901003, ESSDAI exactly 14", MET, "ESSDAI 14",
       dx={"disease": (Dx("83901003", -800, "SNOMEDCT"),)},
       labs={"score": (score("ESSDAI", "14"),)}),
    _c("inc_disease_activity", "Sjogren M35.01, ESSDAI 13", NOT, "ESSDAI 13 < 14",
       dx={"disease": (Dx("M35.01", -800),)}, labs={"score": (score("ESSDAI", "13"),)}),
    _c("inc_disease_activity", "SSc M34.81 + ILD J84.10, mRSS exactly 10", MET, "mRSS 10 with ILD",
       dx={"disease": (Dx("M34.81", -900), Dx("J84.10", -400))},
       labs={"score": (score("MRSS", "10"),)}),
    _c("inc_disease_activity", "SSc 'M340' + ILD J84.89, mRSS exactly 35", MET, "mRSS 35 with ILD",
       dx={"disease": (Dx("M340", -900), Dx("J84.89", -400))},
       labs={"score": (score("MRSS", "35"),)}),
    _c("inc_disease_activity", "SSc M34.9 + ILD J84.9, mRSS 36", NOT, "mRSS 36 > 35",
       dx={"disease": (Dx("M34.9", -900), Dx("J84.9", -400))},
       labs={"score": (score("MRSS", "36"),)}),
    _c("inc_disease_activity", "SSc SNOMED 89155008 + ILD J84.112, mRSS 9", NOT, "mRSS 9 < 10",
       dx={"disease": (Dx("89155008", -900, "SNOMEDCT"), Dx("J84.112", -400))},
       labs={"score": (score("MRSS", "9"),)}),
    _c("inc_disease_activity", "SSc M34.0, mRSS 20, no ILD", NOT, "no ILD diagnosis",
       dx={"disease": (Dx("M34.0", -900),)}, labs={"score": (score("MRSS", "20"),)}),
    _c("inc_disease_activity", "DM M33.10 first diagnosed exactly 1 year ago", MET,
       "DM since {Y-1} (1 year)", dx={"disease": (Dx("M33.10", 0, years=1),)},
       labs={"score": ()}),
    _c("inc_disease_activity", "DM 'm33.90' first diagnosed 1 year minus 1 day", NOT,
       "DM since {Y-1+1} (< 1 year)", dx={"disease": (Dx("m33.90", 1, years=1),)},
       labs={"score": ()}),
    _c("inc_disease_activity", "DM SNOMED 396230008 5 years ago, repeated recently", MET,
       "first DM record {D-1825}", labs={"score": ()},
       dx={"disease": (Dx("396230008", -1825, "SNOMEDCT"), Dx("396230008", -10, "SNOMEDCT"))}),
    _c("inc_disease_activity", "AAV M31.31, BVAS 15, PR3 45 U/mL (ULN 20)", MET,
       "BVAS 15 and PR3-ANCA positive", dx={"disease": (Dx("M31.31", -700),)},
       labs={"score": (score("BVAS", "15"), Lab("6968-2", -20, "45", unit="U/mL", ref_high="20"))}),
    _c("inc_disease_activity", "AAV M31.7, BVAS 15, MPO 3 and PR3 <2 U/mL (negative)", NOT,
       "ANCA negative", dx={"disease": (Dx("M31.7", -700),)},
       labs={"score": (score("BVAS", "15"), Lab("6969-0", -20, "3", unit="U/mL", ref_high="20"),
                       Lab("6968-2", -20, text="<2", unit="U/mL", ref_high="20"))}),
    _c("inc_disease_activity", "EGPA M30.1, BVAS 14, MPO 80 U/mL", NOT, "BVAS 14 < 15",
       dx={"disease": (Dx("M30.1", -700),)},
       labs={"score": (score("BVAS", "14"), Lab("6969-0", -20, "80", unit="U/mL", ref_high="20"))}),
    _c("inc_disease_activity", "MPA SNOMED 239928004, BVAS 22, no ANCA test", UNK,
       "ANCA status unknown", dx={"disease": (Dx("239928004", -700, "SNOMEDCT"),)},
       labs={"score": (score("BVAS", "22"),)}),
    _c("inc_disease_activity", "SLE + Sjogren: SLEDAI 4, ESSDAI 15", MET, "ESSDAI 15 (any disease)",
       dx={"disease": (Dx("M32.14", -900), Dx("M35.00", -800, time=" 09:30:00"))},
       labs={"score": (score("SLEDAI2K", "4"), score("ESSDAI", "15"))}),
    # inc_refractory
    _c("inc_refractory", "one agent only, prednisone 5 mg", NOT, "1 agent, 5 mg/day",
       meds={"is2": ()}),
    _c("inc_refractory", "ATC L04AA06 300 d + L04AX01 exactly 90 days", MET,
       "azathioprine {D-300}..{D-211} = 90 days (end_date inclusive)",
       meds={"is1": (Med("L04AA06", None, -300, None, "1", "g", "BID", system="ATC"),),
             "is2": (Med("L04AX01", None, -300, -211, "100", system="ATC"),)}),
    _c("inc_refractory", "mycophenolate + tacrolimus 89 days", NOT, "tacrolimus 89 days < 90",
       meds={"is2": (Med("42316", "tacrolimus 1 MG Oral Capsule", -200, -112, "2", freq="BID"),)}),
    _c("inc_refractory", "methotrexate 2 back-to-back orders of 50 days + cyclosporine 120 d", MET,
       "methotrexate {D-200}..{D-101} continuous (100 days)",
       meds={"is1": (Med("6851", "methotrexate 2.5 MG Oral Tablet", -200, -151, "15", freq="QW"),
                     Med("6851", "methotrexate 2.5 MG Oral Tablet", -150, -101, "15", freq="QW")),
             "is2": (Med("3008", "cyclosporine 100 MG Oral Capsule", -400, -281, "100",
                         freq="BID"),)}),
    _c("inc_refractory", "overlapping azathioprine orders + mycophenolate", MET, "2 agents >= 90 d",
       meds={"is2": (Med("1256", "azathioprine 50 MG Oral Tablet", -400, -300, "100"),
                     Med("1256", "azathioprine 50 MG Oral Tablet", -320, -200, "150"))}),
    _c("inc_refractory", "one agent, prednisone exactly 15 mg/day (ATC H02AB07)", MET,
       "prednisone 15 mg/day", meds={"is2": (), "gc": (Med("H02AB07", "prednisone", -30, None,
                                                             "15", system="ATC"),)}),
    _c("inc_refractory", "one agent, prednisone 14 mg/day", NOT, "14 mg/day < 15",
       meds={"is2": (), "gc": (pred("14"),)}),
    _c("inc_refractory", "one agent, methylprednisolone 12 mg/day", MET, "12 mg x 1.25 = 15",
       meds={"is2": (), "gc": (Med("6902", "methylprednisolone 4 MG Oral Tablet", -30, None,
                                   "12"),)}),
    _c("inc_refractory", "one agent, dexamethasone 2 mg/day", NOT, "2 mg x 6.67 = 13.3 < 15",
       meds={"is2": (), "gc": (Med("3264", "dexamethasone 2 MG Oral Tablet", -30, None, "2"),)}),
    _c("inc_refractory", "one agent, prednisone 7.5 mg BID", MET, "7.5 mg x 2 = 15 mg/day",
       meds={"is2": (), "gc": (pred("7.5", freq="BID"),)}),
    _c("inc_refractory", "one agent, prednisone 30 mg ended 10 days ago", NOT,
       "no current glucocorticoid", meds={"is2": (), "gc": (pred("30", -100, -10),)}),
    _c("inc_refractory", "one agent, prednisone 20 mg starting after as-of", NOT,
       "order starts {D+5}", meds={"is2": (), "gc": (pred("20", start=5),)}),
    _c("inc_refractory", "no medication at all", NOT, "no medication record (event absent)",
       meds={"is1": (), "is2": (), "gc": (), "vax": ()}),
    # inc_ecog
    _c("inc_ecog", "ECOG 0 with unit '{score}'", MET, "ECOG 0",
       labs={"ecog": (Lab("89247-1", -20, "0", unit="{score}"),)}),
    _c("inc_ecog", "ECOG 2", NOT, "ECOG 2 > 1", labs={"ecog": (Lab("89247-1", -20, "2"),)}),
    _c("inc_ecog", "ECOG 1 91 days old only", UNK, "too old",
       labs={"ecog": (Lab("89247-1", -91, "1"),)}),
    _c("inc_ecog", "no ECOG", UNK, "no ECOG record", labs={"ecog": ()}),
    # inc_blood_counts
    _c("inc_blood_counts", "Hb exactly 60 g/L", MET, "Hb 60 g/L >= 60", labs={"hb": (hb("60"),)}),
    _c("inc_blood_counts", "Hb 59 g/L", NOT, "Hb 59 g/L < 60", labs={"hb": (hb("59"),)}),
    _c("inc_blood_counts", "Hb 6.0 g/dL", MET, "6.0 g/dL = 60 g/L",
       labs={"hb": (hb("6.0", "g/dL"),)}),
    _c("inc_blood_counts", "Hb 5.9 g/dL", NOT, "5.9 g/dL = 59 g/L",
       labs={"hb": (hb("5.9", "g/dL"),)}),
    _c("inc_blood_counts", "Hb '<50' g/L (comparator)", NOT, "Hb < 50 g/L",
       labs={"hb": (hb(None, text="<50"),)}),
    _c("inc_blood_counts", "Hb 11.8 g/dl, platelets exactly 30 K/uL (26515-7)", MET, "platelets 30",
       labs={"hb": (hb("11.8", "g/dl"),), "plt": (Lab("26515-7", -20, "30", unit="K/uL"),)}),
    _c("inc_blood_counts", "platelets 29 10^9/L", NOT, "platelets 29 < 30",
       labs={"plt": (Lab("777-3", -20, "29", unit="10^9/L"),)}),
    _c("inc_blood_counts", "Hb exactly 90 days old (timestamp 23:45)", MET, "Hb on {D-90} counts",
       labs={"hb": (hb("118", day=-90, time=" 23:45:00"),)}),
    _c("inc_blood_counts", "Hb 91 days old only", UNK, "Hb on {D-91} too old",
       labs={"hb": (hb("118", day=-91),)}),
    _c("inc_blood_counts", "Hb 55 then 95 (later normal)", MET, "latest Hb 95 on {D-5}",
       labs={"hb": (hb("55", day=-40), hb("95", day=-5, time="T08:15"))}),
    _c("inc_blood_counts", "Hb 95 then 55 (later abnormal)", NOT, "latest Hb 55 on {D-5}",
       labs={"hb": (hb("95", day=-40), hb("55", day=-5))}),
    _c("inc_blood_counts", "Hb 45 dated after as-of ignored", MET, "Hb 118 on {D-20}",
       labs={"hb": (hb("118"), hb("45", day=2))}),
    _c("inc_blood_counts", "no platelet count", UNK, "platelets missing", labs={"plt": ()}),
    _c("inc_blood_counts", "Hb only in unknown unit 'gr/dl'", UNK, "unit gr/dl not convertible",
       labs={"hb": (hb("12.1", "gr/dl"),)}),
    # inc_cardiac
    _c("inc_cardiac", "LVEF exactly 55 %", MET, "LVEF 55 %",
       labs={"lvef": (Lab("10230-1", -40, "55", unit="%"),)}),
    _c("inc_cardiac", "LVEF 54 %", NOT, "LVEF 54 % < 55",
       labs={"lvef": (Lab("10230-1", -40, "54", unit="%"),)}),
    _c("inc_cardiac", "LVEF 60 % by US (18043-0) exactly 180 days old", MET, "LVEF on {D-180}",
       labs={"lvef": (Lab("18043-0", -180, "60", unit="%"),)}),
    _c("inc_cardiac", "LVEF 65 % 181 days old only", UNK, "LVEF on {D-181} too old",
       labs={"lvef": (Lab("10230-1", -181, "65", unit="%"),)}),
    # inc_renal
    _c("inc_renal", "eGFR exactly 30", MET, "eGFR 30 >= 30",
       labs={"egfr": (Lab("98979-8", -20, "30", unit="mL/min/1.73m2"),)}),
    _c("inc_renal", "eGFR 29.9 (62238-1)", NOT, "eGFR 29.9 < 30",
       labs={"egfr": (Lab("62238-1", -20, "29.9", unit="mL/min/1.73m2"),)}),
    _c("inc_renal", "eGFR 44 MDRD (33914-3), unit mL/min/{1.73_m2}", MET, "eGFR 44",
       labs={"egfr": (Lab("33914-3", -20, "44", unit="mL/min/{1.73_m2}"),)}),
    _c("inc_renal", "eGFR '>90' (48643-1, comparator)", MET, "eGFR > 90",
       labs={"egfr": (Lab("48643-1", -20, text=">90", unit="mL/min/1.73m2"),)}),
    _c("inc_renal", "eGFR 95 100 days old only", UNK, "eGFR on {D-100} too old",
       labs={"egfr": (Lab("98979-8", -100, "95", unit="mL/min/1.73m2"),)}),
    # inc_liver
    _c("inc_liver", "AST, ALT exactly 3 x ULN, bilirubin exactly 2 x ULN", MET,
       "AST 120/40, ALT 135/45, bilirubin 2.4/1.2",
       labs={"ast": (Lab("1920-8", -20, "120", unit="U/L", ref_high="40"),),
             "alt": (Lab("1742-6", -20, "135", unit="U/L", ref_high="45"),),
             "bili": (Lab("1975-2", -20, "2.4", unit="mg/dL", ref_high="1.2"),)}),
    _c("inc_liver", "AST 121 (ULN 40)", NOT, "AST 121 > 3 x 40",
       labs={"ast": (Lab("1920-8", -20, "121", unit="U/L", ref_high="40"),)}),
    _c("inc_liver", "bilirubin 42 umol/L (ULN 21)", MET, "42 = 2 x 21",
       labs={"bili": (Lab("14631-6", -20, "42", unit="umol/L", ref_high="21"),)}),
    _c("inc_liver", "bilirubin 43 umol/L (ULN 21)", NOT, "43 > 2 x 21",
       labs={"bili": (Lab("14631-6", -20, "43", unit="umol/L", ref_high="21"),)}),
    _c("inc_liver", "AST and ALT without reference range", MET, "25 and 30 U/L, default ULN",
       labs={"ast": (Lab("1920-8", -20, "25", unit="U/L"),),
             "alt": (Lab("1742-6", -20, "30", unit="U/L"),)}),
    _c("inc_liver", "ALT 500 U/L without reference range", NOT, "500 > 3 x any default ULN",
       labs={"alt": (Lab("1742-6", -20, "500", unit="U/L"),)}),
    _c("inc_liver", "no bilirubin", UNK, "bilirubin missing", labs={"bili": ()}),
    # inc_pulmonary
    _c("inc_pulmonary", "DLCO exactly 40 %, FVC exactly 50 %", MET, "40 % and 50 % predicted",
       labs={"pulm": (Lab("98130-8", -40, "40", unit="%"), Lab("19872-1", -40, "50", unit="%"))}),
    _c("inc_pulmonary", "DLCO 39 %", NOT, "DLCO 39 % < 40",
       labs={"pulm": (Lab("98130-8", -40, "39", unit="%"), PULM[1])}),
    _c("inc_pulmonary", "FVC 49 %", NOT, "FVC 49 % < 50",
       labs={"pulm": (PULM[0], Lab("19872-1", -40, "49", unit="%"))}),
    _c("inc_pulmonary", "only absolute DLCO (19911-7) and FVC volume (19870-5)", UNK,
       "no % predicted result", labs={"pulm": (Lab("19911-7", -40, "21.5", unit="mL/min/mmHg"),
                                                Lab("19870-5", -40, "3.1", unit="L"))}),
    _c("inc_pulmonary", "DLCO and FVC 181 days old", UNK, "PFT on {D-181} too old",
       labs={"pulm": (Lab("98130-8", -181, "70", unit="%"), Lab("19872-1", -181, "80", unit="%"))}),
    # exclusions
    _c("exc_prior_cart", "Z92.850 written 'Z92850'", MET, "prior CAR-T",
       dx={"other": (Dx("Z92850", -400),)}),
    _c("exc_active_infection", "sepsis A41.9 exactly 14 days ago", MET, "A41.9 on {D-14}",
       dx={"other": (Dx("A41.9", -14, source="encounter"),)}),
    _c("exc_active_infection", "sepsis 'a41.9' 15 days ago", NOT, "A41.9 on {D-15} too old",
       dx={"other": (Dx("a41.9", -15, source="encounter"),)}),
    _c("exc_transplant", "kidney transplant status Z94.0", MET, "Z94.0",
       dx={"other": (Dx("Z94.0", -1500),)}),
    _c("exc_transplant", "stem cell transplant status Z94.84", MET, "Z94.84",
       dx={"other": (Dx("Z94.84", -1500),)}),
    _c("exc_transplant", "corneal transplant Z94.7 only", NOT, "corneal transplants do not count",
       dx={"other": (Dx("Z94.7", -1500),)}),
    _c("exc_viral", "HIV Ag/Ab reactive", MET, "56888-1 Reactive",
       labs={"viral": (*VIRAL_NEGATIVE[:3], qual("56888-1", "Reactive"), *VIRAL_NEGATIVE[4:])}),
    _c("exc_viral", "HBsAg positive, HBV DNA 2500 IU/mL (ULN 20)", MET, "HBV DNA above range",
       labs={"viral": (qual("5196-1", "Positive"), *VIRAL_NEGATIVE[1:],
                       Lab("42595-9", -25, "2500", unit="IU/mL", ref_high="20"))}),
    _c("exc_viral", "anti-HBc positive, HBV DNA '<20' IU/mL", NOT, "HBV DNA not above range",
       labs={"viral": (VIRAL_NEGATIVE[0], qual("16933-4", "Positive"), *VIRAL_NEGATIVE[2:],
                       qual("42595-9", "<20", unit="IU/mL", ref_high="20"))}),
    _c("exc_viral", "HCV Ab reactive, no HCV RNA", UNK, "HCV RNA needed",
       labs={"viral": (*VIRAL_NEGATIVE[:2], qual("13955-0", "Reactive"), *VIRAL_NEGATIVE[3:])}),
    _c("exc_viral", "HCV Ab reactive, HCV RNA not detected", NOT, "11011-4 Not detected",
       labs={"viral": (*VIRAL_NEGATIVE[:2], qual("13955-0", "Reactive"), *VIRAL_NEGATIVE[3:],
                       qual("11011-4", "Not detected", unit="IU/mL"))}),
    _c("exc_viral", "RPR reactive", MET, "syphilis positive",
       labs={"viral": (*VIRAL_NEGATIVE[:4], qual("20507-0", "Reactive"), VIRAL_NEGATIVE[5])}),
    _c("exc_viral", "CMV DNA detected 30 days ago", MET, "72493-0 Detected on {D-30}",
       labs={"viral": (*VIRAL_NEGATIVE[:5], qual("72493-0", "Detected", day=-30, unit="IU/mL"))}),
    _c("exc_viral", "CMV DNA 1850 IU/mL 95 days ago, not detected since", NOT, "old CMV",
       labs={"viral": (*VIRAL_NEGATIVE, Lab("72493-0", -95, "1850", unit="IU/mL", ref_high="35"))}),
    _c("exc_viral", "no viral test at all", UNK, "no viral test", labs={"viral": ()}),
    _c("exc_live_vaccine", "MMR (CVX 03) exactly 28 days ago", MET, "live vaccine on {D-28}",
       meds={"vax": (cvx("03", "MMR", -28),)}),
    _c("exc_live_vaccine", "varicella (CVX 21) 29 days ago", NOT, "{D-29} too old",
       meds={"vax": (cvx("21", "varicella", -29),)}),
    _c("exc_live_vaccine", "zoster live (CVX 121) 10 days ago", MET, "live zoster",
       meds={"vax": (cvx("121", "zoster live", -10),)}),
    _c("exc_live_vaccine", "zoster recombinant (CVX 187) 3 days ago", NOT, "187 is not live",
       meds={"vax": (cvx("187", "zoster recombinant", -3),)}),
    _c("exc_live_vaccine", "BCG (CVX 19) 7 days ago", MET, "BCG is live",
       meds={"vax": (cvx("19", "BCG", -7),)}),
    _c("exc_live_vaccine", "influenza inactivated (CVX 141) 5 days ago", NOT, "inactivated",
       meds={"vax": (cvx("141", "influenza, split virus, trivalent, PF", -5),)}),
    _c("exc_live_vaccine", "MMR dated 3 days after as-of", NOT, "{D+3} is after as-of",
       meds={"vax": (cvx("03", "MMR", 3),)}),
    _c("exc_pregnancy", "urine hCG positive exactly 60 days ago", MET, "positive on {D-60}",
       labs={"preg": (qual("2106-3", "Positive", day=-60),)}),
    _c("exc_pregnancy", "urine hCG positive 61 days ago only", UNK, "no test within 60 days",
       labs={"preg": (qual("2106-3", "Positive", day=-61),)}),
    _c("exc_pregnancy", "serum hCG positive 61 days ago, urine negative 10 days ago", NOT,
       "negative on {D-10}", labs={"preg": (qual("2118-8", "Positive", day=-61),
                                           qual("2106-3", "Negative", day=-10))}),
    _c("exc_pregnancy", "pregnancy diagnosis Z33.1 30 days ago, no test", MET, "Z33.1 on {D-30}",
       dx={"other": (Dx("Z33.1", -30, source="encounter"),)}, labs={"preg": ()}),
    _c("exc_pregnancy", "serum hCG positive dated after as-of only", UNK, "{D+4} is after as-of",
       labs={"preg": (qual("2118-8", "Positive", day=4),)}),
    _c("exc_malignancy", "breast cancer C50.911", MET, "malignancy",
       dx={"other": (Dx("C50.911", -600),)}),
    _c("exc_malignancy", "basal cell carcinoma C44.311", NOT, "protocol exception",
       dx={"other": (Dx("C44.311", -600),)}),
    _c("exc_malignancy", "squamous cell skin cancer C44.92", NOT, "protocol exception",
       dx={"other": (Dx("C44.92", -600),)}),
    _c("exc_malignancy", "carcinoma in situ of cervix D06.9", NOT, "protocol exception",
       dx={"other": (Dx("D06.9", -600),)}),
    # patient-level
    Case("deceased", "death_date 10 days before as-of", death_day=-10,
         eligibility="ineligible (deceased); criteria as baseline"),
    Case("deceased", "death_date on the as-of date", death_day=0,
         eligibility="ineligible (deceased); criteria as baseline"),
    Case("deceased", "death_date 5 days after as-of (alive on the as-of date)", death_day=5,
         eligibility="eligible; criteria as baseline"),
    Case("quarantine", "baseline plus rows that must be quarantined", eligibility="as baseline",
         labs={"bad": (
             hb("5,2", "g/dL", day=-2, note="value_num '5,2' is not a number (decimal comma)"),
             hb(None, day=-1, note="neither value_num nor value_text"),
             hb("40", date="2025-02-30", note="result_date '2025-02-30' is not a date"),
             Lab("777-3", -50, unit="10*3/uL", note="neither value_num nor value_text"),
         )},
         dx={"bad": (Dx("A41.9", -3, "ICD11", note="code_system 'ICD11' is not allowed"),)}),
    Case("quarantine", "patients row with sex 'X' and no other rows", sex="X", empty=True,
         note="sex 'X' is not F, M or U", eligibility="not in the cohort"),
)
# fmt: on

# A diagnoses row without a patient: quarantined whoever else is in the drop.
ORPHAN_DX = Dx("M32.14", -100, note="patient_id is missing")

# ------------------------------------------------------------------------------------
# Curated patients of trial lupus_nephritis, built the same way on their own baseline: a
# woman aged 35 with active lupus nephritis who meets every computable criterion.

LN_COMPUTABLE = (
    "inc_age",
    "inc_ln_diagnosis",
    "inc_upcr",
    "inc_egfr",
    "inc_serology",
    "inc_induction",
    "exc_kidney_failure",
    "exc_b_cell_depletion",
    "exc_glucocorticoid_dose",
    "exc_viral",
    "exc_pregnancy",
    "exc_malignancy",
)


def upcr(num: str | None, unit: str = "g/g", day: int = -10, code: str = "2890-2", **kw: Any) -> Lab:
    return Lab(code, day, num, unit=unit, **kw)


def mmf(start: int, end: int | None = None) -> Med:
    return Med("68149", "mycophenolate mofetil 500 MG Oral Tablet", start, end, "1", "g", "BID")


def infusion(
    name: str, start: int, end: int | None = None, freq: str = "ONCE", code: str = "0", dose: str = "1000"
) -> Med:
    return Med(code, name, start, end, dose, "mg", freq, "iv")


DSDNA_HIGH = Lab("5130-0", -10, "120", unit="IU/mL", ref_high="30")
DSDNA_NORMAL = Lab("5130-0", -10, "12", unit="IU/mL", ref_high="30")
C3_LOW = Lab("4485-9", -10, "0.62", unit="g/L", ref_low="0.9", ref_high="1.8")
C3_NORMAL = Lab("4485-9", -10, "1.1", unit="g/L", ref_low="0.9", ref_high="1.8")
C4_LOW = Lab("4498-2", -10, "0.08", unit="g/L", ref_low="0.1", ref_high="0.4")
C4_NORMAL = Lab("4498-2", -10, "0.22", unit="g/L", ref_low="0.1", ref_high="0.4")
LN_VIRAL = (
    qual("5196-1", "Negative"),
    qual("11011-4", "Not detected", unit="IU/mL"),
    qual("56888-1", "Non-reactive"),
)
EGFR_LN = (Lab("98979-8", -10, "72", unit="mL/min/1.73m2"),)

LN_BASELINE_DX: dict[str, tuple[Dx, ...]] = {
    "disease": (Dx("M32.14", -800),),
    "other": (Dx("I10", -2000, source="encounter"),),
}
LN_BASELINE_LABS: dict[str, tuple[Lab, ...]] = {
    "upcr": (upcr("2.1"),),
    "egfr": EGFR_LN,
    "serology": (DSDNA_HIGH, C3_LOW, C4_LOW),
    "weight": (Lab("29463-7", -10, "64", unit="kg"),),
    "viral": LN_VIRAL,
    "preg": (qual("2106-3", "Negative", day=-10),),
}
LN_BASELINE_MEDS: dict[str, tuple[Med, ...]] = {
    "induction": (mmf(-30),),
    "gc": (pred("20", start=-30),),
}
LN_BASELINE_SUMMARY = """a woman aged 35 with lupus nephritis (M32.14) and hypertension
(I10); 10 days ago UPCR 2.1 g/g, eGFR 72, anti-dsDNA 120 IU/mL (ULN 30), C3 0.62 g/L (LLN 0.9),
C4 0.08 g/L (LLN 0.1), weight 64 kg and a negative urine hCG; HBsAg, HCV RNA and HIV negative
25 days ago; mycophenolate mofetil 1 g BID and prednisone 20 mg/day (0.31 mg/kg/day), both
started 30 days ago (open orders)."""
LN_BASELINE_EXPECT: dict[str, tuple[str, str]] = {
    "inc_age": ("met", "baseline: 35 years old"),
    "inc_ln_diagnosis": ("met", "baseline: M32.14 on {D-800}"),
    "inc_upcr": ("met", "baseline: UPCR 2.1 g/g on {D-10}"),
    "inc_egfr": ("met", "baseline: eGFR 72 on {D-10}"),
    "inc_serology": ("met", "baseline: anti-dsDNA 120 > ULN 30, C3 and C4 low on {D-10}"),
    "inc_induction": ("met", "baseline: mycophenolate since {D-30}"),
    "exc_kidney_failure": ("not_met", "baseline: eGFR 72, no dialysis or transplant"),
    "exc_b_cell_depletion": ("not_met", "baseline: no B-cell therapy"),
    "exc_glucocorticoid_dose": ("not_met", "baseline: 20 mg/day for 64 kg = 0.31 mg/kg/day"),
    "exc_viral": ("not_met", "baseline: HBsAg, HCV RNA, HIV negative on {D-25}"),
    "exc_pregnancy": ("not_met", "baseline: urine hCG negative on {D-10}"),
    "exc_malignancy": ("not_met", "baseline: no malignancy record"),
}

# fmt: off
LN_CASES: tuple[Case, ...] = (
    Case("baseline", "lupus nephritis baseline, meets every computable criterion",
         eligibility="eligible"),
    # inc_age: 18 to 75 inclusive
    _c("inc_age", "75, turns 76 the day after as-of", MET, "born {Y-76+1}: 75", birth=(76, 1)),
    _c("inc_age", "76th birthday on the as-of date", NOT, "born {Y-76}: 76", birth=(76, 0)),
    _c("inc_age", "birth_year only, 76 years before", UNK, "birth_year {YEAR-76}: 75 or 76",
       birth=(76, 0), birth_year_only=True),
    # inc_ln_diagnosis
    _c("inc_ln_diagnosis", "tubulo-interstitial 'm3215' only", MET, "m3215 = M32.15",
       dx={"disease": (Dx("m3215", -600),)}),
    _c("inc_ln_diagnosis", "SLE M32.9 without kidney code", NOT, "no lupus nephritis code",
       dx={"disease": (Dx("M32.9", -600),)}),
    _c("inc_ln_diagnosis", "SLE M32.9 and nephritic syndrome N05.9 apart", UNK, "verify attribution",
       dx={"disease": (Dx("M32.9", -600), Dx("N05.9", -200))}),
    # inc_upcr: >= 1.0 g/g, latest within 60 days
    _c("inc_upcr", "UPCR exactly 1.0 g/g", MET, "1.0 >= 1.0", labs={"upcr": (upcr("1.0"),)}),
    _c("inc_upcr", "UPCR 990 mg/g", NOT, "0.99 g/g < 1.0", labs={"upcr": (upcr("990", "mg/g"),)}),
    _c("inc_upcr", "UPCR 113.2 mg/mmol (34366-5)", MET, "113.2 / 113.12 = 1.0007 g/g",
       labs={"upcr": (upcr("113.2", "mg/mmol", code="34366-5"),)}),
    _c("inc_upcr", "UPCR 113 mg/mmol (34366-5)", MET, "113 mg/mmol: the protocol's own equivalent of 1.0 g/g",
       labs={"upcr": (upcr("113", "mg/mmol", code="34366-5"),)}),
    _c("inc_upcr", "24-hour urine ratio 1.4 mg/mg (13801-6) exactly 60 days old", MET,
       "1.4 g/g on {D-60}", labs={"upcr": (upcr("1.4", "mg/mg", day=-60, code="13801-6"),)}),
    _c("inc_upcr", "UPCR 2.1 g/g 61 days old only", UNK, "too old",
       labs={"upcr": (upcr("2.1", day=-61),)}),
    _c("inc_upcr", "no UPCR", UNK, "no UPCR", labs={"upcr": ()}),
    # inc_egfr (and the eGFR half of exc_kidney_failure)
    Case("inc_egfr", "eGFR 29",
         {"inc_egfr": (NOT, "eGFR 29 < 30"), "exc_kidney_failure": (MET, "eGFR 29 < 30")},
         labs={"egfr": (Lab("98979-8", -10, "29", unit="mL/min/1.73m2"),)}),
    Case("inc_egfr", "eGFR exactly 30 (62238-1)",
         {"inc_egfr": (MET, "eGFR 30 >= 30"), "exc_kidney_failure": (NOT, "eGFR 30 is not < 30")},
         labs={"egfr": (Lab("62238-1", -10, "30", unit="mL/min/1.73m2"),)}),
    Case("inc_egfr", "eGFR 72 61 days old only",
         {"inc_egfr": (UNK, "too old"), "exc_kidney_failure": (UNK, "no eGFR in 60 days")},
         labs={"egfr": (Lab("98979-8", -61, "72", unit="mL/min/1.73m2"),)}),
    # inc_serology: three-valued OR
    _c("inc_serology", "anti-dsDNA, C3 and C4 all normal", NOT, "all three latest normal",
       labs={"serology": (DSDNA_NORMAL, C3_NORMAL, C4_NORMAL)}),
    _c("inc_serology", "only C3 low: 85 mg/dL (LLN 90 mg/dL)", MET, "0.85 < 0.9 g/L",
       labs={"serology": (DSDNA_NORMAL, Lab("4485-9", -10, "85", unit="mg/dL", ref_low="90"),
                          C4_NORMAL)}),
    _c("inc_serology", "anti-dsDNA 'Positive' alone", MET, "qualitative positive",
       labs={"serology": (qual("5130-0", "Positive", day=-10),)}),
    _c("inc_serology", "anti-dsDNA and C3 normal, no C4", UNK, "C4 missing",
       labs={"serology": (DSDNA_NORMAL, C3_NORMAL)}),
    _c("inc_serology", "anti-dsDNA 80 IU/mL without ref range, C3 and C4 normal", UNK,
       "no ULN to compare", labs={"serology": (Lab("5130-0", -10, "80", unit="IU/mL"),
                                                C3_NORMAL, C4_NORMAL)}),
    # inc_induction: current course started within 60 days
    _c("inc_induction", "mycophenolate started 61 days ago", NOT, "course started {D-61}",
       meds={"induction": (mmf(-61),)}),
    _c("inc_induction", "mycophenolate since 400 days, renewed 30 days ago", NOT,
       "course started {D-400}", meds={"induction": (mmf(-400, -31), mmf(-30))}),
    _c("inc_induction", "mycophenolate stopped 200 days ago, restarted 20 days ago", MET,
       "new course {D-20}", meds={"induction": (mmf(-400, -200), mmf(-20))}),
    _c("inc_induction", "IV cyclophosphamide pulses 40 and 10 days ago", MET, "course {D-40}",
       meds={"induction": (infusion("cyclophosphamide 500 MG Injection", -40, code="3002",
                                    dose="500"),
                           infusion("cyclophosphamide 500 MG Injection", -10, code="3002",
                                    dose="500"))}),
    _c("inc_induction", "oral cyclophosphamide only", NOT, "not intravenous",
       meds={"induction": (Med("3002", "cyclophosphamide 50 MG Oral Tablet", -20, None, "100"),)}),
    _c("inc_induction", "cyclophosphamide without a route", UNK, "route not recorded",
       meds={"induction": (Med("3002", "cyclophosphamide 500 MG Injection", -20, None, "500",
                               freq="ONCE", route=None),)}),
    _c("inc_induction", "mycophenolic acid by ATC L04AA06", MET, "ATC L04AA06 {D-15}",
       meds={"induction": (Med("L04AA06", "mycophenolic acid 360 MG", -15, None, "720",
                               freq="BID", system="ATC"),)}),
    # exc_kidney_failure
    _c("exc_kidney_failure", "dependence on renal dialysis Z99.2", MET, "Z99.2",
       dx={"other": (Dx("Z99.2", -700),)}),
    _c("exc_kidney_failure", "kidney transplant status 'Z940'", MET, "Z94.0",
       dx={"other": (Dx("Z940", -1500),)}),
    # exc_b_cell_depletion
    _c("exc_b_cell_depletion", "rituximab 200 days ago", MET, "within 365 days",
       meds={"bcell": (infusion("rituximab 10 MG/ML Injectable Solution", -200, code="121191"),)}),
    _c("exc_b_cell_depletion", "rituximab 400 days ago", NOT, "older than 365 days",
       meds={"bcell": (infusion("rituximab 10 MG/ML Injectable Solution", -400, code="121191"),)}),
    _c("exc_b_cell_depletion", "obinutuzumab (by name) 300 days ago", MET, "within 365 days",
       meds={"bcell": (infusion("obinutuzumab 1000 MG/40ML Injection", -300),)}),
    _c("exc_b_cell_depletion", "belimumab monthly, ended 100 days ago", NOT, "older than 90 days",
       meds={"bcell": (infusion("belimumab 400 MG Injection", -300, -100, "Q4W", dose="640"),)}),
    _c("exc_b_cell_depletion", "belimumab weekly SC, open order since 200 days", MET,
       "open order runs to as-of", meds={"bcell": (Med("0", "belimumab 200 MG/ML auto-injector",
                                                        -200, None, "200", freq="QW",
                                                        route="sc"),)}),
    # exc_glucocorticoid_dose: > 0.5 mg/kg/day
    _c("exc_glucocorticoid_dose", "prednisone 40 mg/day for 64 kg", MET, "0.63 mg/kg/day",
       meds={"gc": (pred("40", start=-30),)}),
    _c("exc_glucocorticoid_dose", "prednisone 32 mg/day for 64 kg", NOT, "exactly 0.5 mg/kg/day",
       meds={"gc": (pred("32", start=-30),)}),
    _c("exc_glucocorticoid_dose", "prednisone 20 mg/day, no weight", UNK, "no weight",
       labs={"weight": ()}),
    _c("exc_glucocorticoid_dose", "prednisone 40 mg/day, weight 141 lb", MET, "141 lb = 64 kg",
       meds={"gc": (pred("40", start=-30),)},
       labs={"weight": (Lab("29463-7", -10, "141", unit="[lb_av]"),)}),
    _c("exc_glucocorticoid_dose", "methylprednisolone 1 mg/kg/day, no weight", MET,
       "1.25 mg/kg/day needs no weight", labs={"weight": ()},
       meds={"gc": (Med("6902", "methylprednisolone 40 MG Injection", -5, None, "1", "mg/kg",
                        "QD", "iv"),)}),
    # exc_viral
    _c("exc_viral", "HBsAg positive", MET, "HBsAg positive",
       labs={"viral": (qual("5196-1", "Positive"), *LN_VIRAL[1:])}),
    _c("exc_viral", "HCV RNA 85000 IU/mL", MET, "HCV RNA detectable",
       labs={"viral": (LN_VIRAL[0], Lab("11011-4", -25, "85000", unit="IU/mL"), LN_VIRAL[2])}),
    _c("exc_viral", "HCV RNA '<15' IU/mL", NOT, "below quantification",
       labs={"viral": (LN_VIRAL[0], qual("11011-4", "<15", unit="IU/mL"), LN_VIRAL[2])}),
    _c("exc_viral", "no HIV test", UNK, "HIV missing", labs={"viral": LN_VIRAL[:2]}),
    # exc_pregnancy
    _c("exc_pregnancy", "urine hCG positive 10 days ago", MET, "positive on {D-10}",
       labs={"preg": (qual("2106-3", "Positive", day=-10),)}),
    _c("exc_pregnancy", "lactating mother Z39.1 20 days ago", MET, "breastfeeding",
       dx={"other": (Dx("Z39.1", -20, source="encounter"),)}),
    _c("exc_pregnancy", "no pregnancy test", UNK, "no test within 60 days", labs={"preg": ()}),
    # exc_malignancy: within 5 years
    _c("exc_malignancy", "breast cancer C50.911 4 years ago", MET, "within 5 years",
       dx={"other": (Dx("C50.911", 0, years=4),)}),
    _c("exc_malignancy", "breast cancer C50.911 6 years ago", NOT, "older than 5 years",
       dx={"other": (Dx("C50.911", 0, years=6),)}),
    _c("exc_malignancy", "basal cell carcinoma C44.311 2 years ago", UNK, "verify treatment",
       dx={"other": (Dx("C44.311", 0, years=2),)}),
)
# fmt: on


@dataclass(frozen=True)
class CuratedTrial:
    """The curated patients of one trial: its baseline and the cases built on it."""

    trial_id: str
    computable: tuple[str, ...]
    dx: dict[str, tuple[Dx, ...]]
    labs: dict[str, tuple[Lab, ...]]
    meds: dict[str, tuple[Med, ...]]
    expect: dict[str, tuple[str, str]]
    summary: str
    age: int  # the baseline patient's age in years
    cases: tuple[Case, ...]


TRIALS: tuple[CuratedTrial, ...] = (
    CuratedTrial(
        "cart_autoimmune",
        COMPUTABLE,
        BASELINE_DX,
        BASELINE_LABS,
        BASELINE_MEDS,
        BASELINE_EXPECT,
        BASELINE_SUMMARY,
        41,
        CASES,
    ),
    CuratedTrial(
        "lupus_nephritis",
        LN_COMPUTABLE,
        LN_BASELINE_DX,
        LN_BASELINE_LABS,
        LN_BASELINE_MEDS,
        LN_BASELINE_EXPECT,
        LN_BASELINE_SUMMARY,
        35,
        LN_CASES,
    ),
)


@dataclass
class CuratedDrop:
    """Rows for each file kind plus the expectations and the case list."""

    patients: list[dict[str, Any]]
    diagnoses: list[dict[str, Any]]
    labs: list[dict[str, Any]]
    medications: list[dict[str, Any]]
    expected: list[dict[str, str]]
    cases: list[tuple[str, Case]]
    trial_of: dict[str, str]  # patient id -> the trial its case is about


def patient_id(index: int, width: int = 5) -> str:
    """The opaque id of the index-th patient (1-based): P00001."""
    return f"P{index:0{width}d}"


def _years_before(as_of: date, years: int) -> date:
    try:
        return as_of.replace(year=as_of.year - years)
    except ValueError:  # 29 February in a non-leap year
        return as_of.replace(year=as_of.year - years, day=28)


def render(text: str, as_of: date) -> str:
    """Replace `{D-90}`, `{Y-18+1}` and `{YEAR-18}` with dates computed from as-of."""

    def one(match: re.Match[str]) -> str:
        unit, amount, extra_days = match.group(1), int(match.group(2)), int(match.group(3) or 0)
        if unit == "D":  # days
            return (as_of + timedelta(days=amount)).isoformat()
        if unit == "YEAR":  # a calendar year number
            return str(as_of.year + amount)
        return (_years_before(as_of, -amount) + timedelta(days=extra_days)).isoformat()

    return re.sub(r"\{(D|Y|YEAR)([+-]\d+)([+-]\d+)?\}", one, text)


def _day(as_of: date, offset: int, time: str = "") -> str:
    return (as_of + timedelta(days=offset)).isoformat() + time


def build(as_of: date) -> CuratedDrop:
    """All curated rows, dated relative to `as_of`; patient ids P00001, P00002, ..."""
    drop = CuratedDrop([], [], [], [], [], [], {})
    cases = [(trial, case) for trial in TRIALS for case in trial.cases]
    for index, (trial, case) in enumerate(cases, start=1):
        pid = patient_id(index)
        drop.cases.append((pid, case))
        drop.trial_of[pid] = trial.trial_id
        years, days = case.birth or (trial.age, -30 - 2 * index)  # the baseline's age
        born = _years_before(as_of, years) + timedelta(days=days)
        drop.patients.append(
            {
                "patient_id": pid,
                "sex": case.sex,
                "birth_date": None if case.birth_year_only else born.isoformat(),
                "birth_year": str(born.year) if case.birth_year_only else None,
                "site_id": SITES[(index - 1) % len(SITES)],
                "death_date": None if case.death_day is None else _day(as_of, case.death_day),
                "_note": case.note,
            }
        )
        if case.empty:
            continue
        for dx in _slots(trial.dx, case.dx):
            drop.diagnoses.append(_dx_row(pid, dx, as_of))
        for lab in _slots(trial.labs, case.labs):
            drop.labs.append(_lab_row(pid, lab, as_of))
        for med in _slots(trial.meds, case.meds):
            drop.medications.append(_med_row(pid, med, as_of))
        for crit in trial.computable:
            if crit in case.omit:
                continue
            status, why = case.expect.get(crit, trial.expect[crit])
            drop.expected.append(
                {
                    "trial_id": trial.trial_id,
                    "patient_id": pid,
                    "criterion_id": crit,
                    "expected_status": status,
                    "why": render(why, as_of),
                }
            )
    drop.diagnoses.append(_dx_row(None, ORPHAN_DX, as_of))
    return drop


def _slots(baseline: dict[str, tuple[Any, ...]], changes: dict[str, tuple[Any, ...]]) -> list:
    merged = {**baseline, **changes}
    return [row for rows in merged.values() for row in rows]


def _dx_row(pid: str | None, dx: Dx, as_of: date) -> dict[str, Any]:
    return {
        "patient_id": pid,
        "code_system": dx.system,
        "code": dx.code,
        "diagnosis_date": _day(_years_before(as_of, dx.years), dx.day, dx.time),
        "source": dx.source,
        "_note": dx.note,
    }


def _lab_row(pid: str, lab: Lab, as_of: date) -> dict[str, Any]:
    return {
        "patient_id": pid,
        "code_system": lab.system,
        "code": lab.code,
        "result_date": lab.date or _day(as_of, lab.day, lab.time),
        "value_num": lab.num,
        "value_text": lab.text,
        "unit": lab.unit,
        "ref_low": lab.ref_low,
        "ref_high": lab.ref_high,
        "_note": lab.note,
    }


def _med_row(pid: str, med: Med, as_of: date) -> dict[str, Any]:
    return {
        "patient_id": pid,
        "code_system": med.system,
        "code": med.code,
        "drug_name": med.name,
        "start_date": as_of + timedelta(days=med.start),
        "end_date": None if med.end is None else as_of + timedelta(days=med.end),
        "dose_value": med.dose,
        "dose_unit": med.unit if med.dose else None,
        "frequency": med.freq,
        "route": med.route,
        "_note": None,
    }


# ------------------------------------------------------------------------------------
# Catalog for the random patients: codes, units, value distributions and their shares.
# Every code is in the shared code reference; I10 (hypertension) is the common filler.
# The tables below are laid out by hand to read as tables.
# fmt: off


@dataclass(frozen=True)
class LabTest:
    """One lab code in one unit: its share of rows and how its results are drawn."""

    code: str
    unit: str | None
    weight: float
    mean: float = 0.0
    sd: float = 0.0  # 0: no numeric results
    decimals: int = 0
    low: float = 0.0
    high: float = 1e9
    log: bool = False  # mean and sd are those of log(value)
    ref_low: str | None = None
    ref_high: str | None = None
    texts: tuple[tuple[str, float], ...] = ()
    text_share: float = 0.0  # share of rows reported as text instead of a number
    system: str = "LOINC"

    @property
    def text_ids(self) -> list[int]:
        return [LAB_TEXT_LIST.index(text) for text, _ in self.texts]

    @property
    def text_p(self) -> list[float]:
        total = sum(p for _, p in self.texts)
        return [p / total for _, p in self.texts]


NEG = (("Negative", 0.8), ("Non-reactive", 0.17), ("Positive", 0.01), ("Reactive", 0.01),
       ("Indeterminate", 0.01))
SCORE_ = {"unit": None, "system": "SCORE"}
ANCA = {"log": True, "sd": 1.3, "decimals": 0, "ref_high": "20", "texts": (("<2", 1.0),)}

LABS: tuple[LabTest, ...] = (
    LabTest("718-7", "g/L", 10, 128, 18, ref_low="120", ref_high="160"),
    LabTest("718-7", "g/dL", 7, 12.8, 1.8, 1, ref_low="12", ref_high="16"),
    LabTest("718-7", "g/dl", 2, 12.8, 1.8, 1),
    LabTest("718-7", "gr/dl", 0.02, 12.8, 1.8, 1),  # a spelling no converter knows
    LabTest("777-3", "10*3/uL", 6, 240, 70, ref_low="150", ref_high="400"),
    LabTest("777-3", "10^9/L", 4, 240, 70, ref_low="150", ref_high="400"),
    LabTest("26515-7", "K/uL", 3, 240, 70),
    LabTest("98979-8", "mL/min/1.73m2", 5, 82, 22, high=130, texts=((">90", 1),), text_share=0.1),
    LabTest("62238-1", "mL/min/1.73m2", 3, 82, 22, high=130, texts=((">60", 1),), text_share=0.1),
    LabTest("33914-3", "mL/min/{1.73_m2}", 2, 80, 22, high=130),
    LabTest("48643-1", "mL/min/1.73m2", 1, 80, 22, high=130),
    LabTest("1920-8", "U/L", 5, math.log(24), 0.45, ref_high="40", log=True),
    LabTest("1920-8", "U/L", 2, math.log(24), 0.45, log=True),
    LabTest("1742-6", "U/L", 5, math.log(22), 0.55, ref_high="45", log=True),
    LabTest("1742-6", "U/L", 2, math.log(22), 0.55, log=True),
    LabTest("1975-2", "mg/dL", 4, math.log(0.6), 0.4, 1, ref_low="0.2", ref_high="1.2", log=True,
            texts=(("<0.2", 1),), text_share=0.03),
    LabTest("1975-2", "mg/dl", 0.5, math.log(0.6), 0.4, 1, ref_high="1.2", log=True),
    LabTest("14631-6", "umol/L", 3, math.log(10), 0.4, ref_low="3", ref_high="21", log=True),
    LabTest("10230-1", "%", 1.5, 60, 7, high=80),
    LabTest("18043-0", "%", 1, 60, 7, high=80),
    LabTest("98130-8", "%", 1, 76, 17, high=140),
    LabTest("19872-1", "%", 1, 84, 15, high=140),
    LabTest("19911-7", "mL/min/mmHg", 0.6, 22, 5, 1),  # absolute DLCO, not % predicted
    LabTest("19870-5", "L", 0.6, 3.2, 0.8, 2, low=0.5),  # FVC volume, not % predicted
    LabTest("89247-1", None, 1, 1, 0.8, high=4),  # ECOG
    LabTest("89247-1", "{score}", 0.5, 1, 0.8, high=4),
    LabTest("SLEDAI2K", weight=1, mean=6, sd=5, high=40, **SCORE_),
    LabTest("ESSDAI", weight=0.6, mean=9, sd=7, high=60, **SCORE_),
    LabTest("MRSS", weight=0.5, mean=16, sd=10, high=51, **SCORE_),
    LabTest("BVAS", weight=0.5, mean=10, sd=7, high=60, **SCORE_),
    LabTest("6968-2", "U/mL", 0.4, math.log(4), text_share=0.2, **ANCA),  # PR3-ANCA
    LabTest("6969-0", "U/mL", 0.4, math.log(4), text_share=0.2, **ANCA),  # MPO-ANCA
    LabTest("5196-1", None, 1, texts=NEG, text_share=1),  # HBsAg
    LabTest("16933-4", None, 0.8, texts=(("Negative", 0.92), ("Positive", 0.06),
            ("Indeterminate", 0.02)), text_share=1),
    LabTest("42595-9", "IU/mL", 0.3, math.log(300), 2, ref_high="20", log=True,
            texts=(("<20", 0.6), ("Not detected", 0.3)), text_share=0.9),
    LabTest("13955-0", None, 0.8, texts=(("Non-reactive", 0.95), ("Negative", 0.03),
            ("Reactive", 0.015), ("Indeterminate", 0.005)), text_share=1),
    LabTest("11011-4", "IU/mL", 0.2, math.log(50000), 2, ref_high="15", log=True,
            texts=(("Not detected", 0.7), ("<15", 0.25)), text_share=0.95),
    LabTest("56888-1", None, 0.7, texts=(("Non-reactive", 0.97), ("Negative", 0.027),
            ("Reactive", 0.003)), text_share=1),
    LabTest("20507-0", None, 0.5, texts=(("Non-reactive", 0.97), ("Reactive", 0.02),
            ("Negative", 0.01)), text_share=1),
    LabTest("72493-0", "IU/mL", 0.4, math.log(900), 1.5, ref_high="35", log=True,
            texts=(("Not detected", 0.75), ("<35", 0.15), ("Detected", 0.02)),
            text_share=0.92),
    LabTest("2106-3", None, 0.5, texts=(("Negative", 0.97), ("Positive", 0.03)), text_share=1),
    LabTest("2118-8", None, 0.3, texts=(("Negative", 0.97), ("Positive", 0.02),
            ("Indeterminate", 0.01)), text_share=1),
    # lupus_nephritis: UPCR, anti-dsDNA (own ULN), C3 and C4 (own lower limit), body weight
    LabTest("2890-2", "g/g", 0.5, math.log(0.6), 1.1, 2, high=30, log=True),
    LabTest("2890-2", "mg/g", 0.3, math.log(600), 1.1, high=30000, log=True),
    LabTest("34366-5", "mg/mmol", 0.2, math.log(70), 1.1, high=3400, log=True),
    LabTest("5130-0", "IU/mL", 0.4, math.log(20), 1.2, log=True, ref_high="30",
            texts=(("<10", 1),), text_share=0.2),
    LabTest("4485-9", "g/L", 0.4, 1.1, 0.3, 2, low=0.1, ref_low="0.9", ref_high="1.8"),
    LabTest("4485-9", "mg/dL", 0.2, 110, 30, low=10, ref_low="90", ref_high="180"),
    LabTest("4498-2", "g/L", 0.4, 0.23, 0.09, 2, low=0.02, ref_low="0.1", ref_high="0.4"),
    LabTest("29463-7", "kg", 1, 72, 15, 1, low=35, high=200),
    LabTest("29463-7", "[lb_av]", 0.2, 159, 33, low=80, high=440),
)
LAB_TEXT_LIST: list[str] = sorted({text for test in LABS for text, _ in test.texts})


@dataclass(frozen=True)
class Profile:
    """A kind of random patient: its share, diagnoses and whether it is autoimmune."""

    name: str
    share: float
    female: float
    autoimmune: bool
    main: dict[str, float]  # the patient's own diagnosis, drawn once per patient
    extra: dict[str, float]  # codes of the other diagnosis rows

    @property
    def codes(self) -> list[int]:
        return [DX_CODES.index(code) for code in self.main]

    @property
    def code_p(self) -> list[float]:
        return _shares(self.main)

    @property
    def extra_codes(self) -> list[int]:
        return [DX_CODES.index(code) for code in self.extra]

    @property
    def extra_p(self) -> list[float]:
        return _shares(self.extra)


def _shares(weights: dict[str, float]) -> list[float]:
    total = sum(weights.values())
    return [w / total for w in weights.values()]


BACKGROUND = {
    "I10": 80, "J84.9": 2, "J84.10": 1, "Z94.0": 1, "Z94.7": 0.5, "Z94.81": 0.3, "Z94.84": 0.3,
    "Z92.850": 0.2, "Z33.1": 1, "D89.810": 0.2, "C50.911": 1, "C44.311": 1, "C44.92": 0.8,
    "D06.9": 0.5, "D05.10": 0.5, "A41.9": 2,
}
ILD = {"J84.10": 2, "J84.112": 1, "J84.89": 2, "J84.9": 3}
PROFILES: tuple[Profile, ...] = (
    Profile("none", 0.50, 0.5, False, {}, BACKGROUND),
    Profile("sle", 0.14, 0.9, True, {"M32.14": 3, "M32.9": 4, "M32.10": 1, "M32.19": 1,
                                     "M32.8": 1, "55464009": 2}, {}),
    Profile("sjogren", 0.08, 0.9, True, {"M35.00": 4, "M35.01": 2, "M35.02": 1, "M35.09": 1,
                                         "M35.0A": 1, "83901003": 1}, {}),
    Profile("ssc", 0.06, 0.8, True, {"M34.0": 2, "M34.1": 1, "M34.81": 2, "M34.9": 3,
                                     "89155008": 1}, ILD),
    Profile("dm", 0.04, 0.7, True, {"M33.10": 2, "M33.11": 1, "M33.19": 1, "M33.90": 2,
                                    "396230008": 1}, {}),
    Profile("aav", 0.06, 0.5, True, {"M31.30": 1, "M31.31": 2, "M31.7": 2, "M30.1": 1,
                                     "239928004": 1}, {}),
    Profile("other_autoimmune", 0.12, 0.8, True, {"L93.0": 3, "M33.20": 2, "M32.0": 1,
                                                  "31384009": 1}, {}),
)
DX_CODES: list[str] = sorted(
    {code for p in PROFILES for code in (*p.main, *p.extra)}
)
DX_FORMATS = 5  # as given, no dot, lower case, lower case without dot, padded with spaces


def dx_spellings(code: str) -> tuple[str, ...]:
    """The ways a site writes a code; SNOMED codes only get the padded form."""
    if code.isdigit():
        return (code, code, code, code, f" {code} ")
    bare = code.replace(".", "")
    return (code, bare, code.lower(), bare.lower(), f" {code} ")


@dataclass(frozen=True)
class Drug:
    """One medication or vaccine: codes, dose options (value, unit, name) and frequencies."""

    code: str
    atc: str | None
    kind: str  # chronic, course (glucocorticoid courses) or once (infusions, vaccines)
    route: str
    doses: tuple[tuple[str | None, str | None, str], ...]
    freqs: tuple[str, ...]
    weight_ai: float
    weight_other: float
    system: str = "RXNORM"


def _tabs(name: str, *doses: str, unit: str = "mg") -> tuple[tuple[str, str, str], ...]:
    return tuple((dose, unit, name) for dose in doses)


MEDS: tuple[Drug, ...] = (
    Drug("68149", "L04AA06", "chronic", "oral",
         (*_tabs("mycophenolate mofetil 500 MG Oral Tablet", "500", "1000"),
          *_tabs("mycophenolate mofetil 500 MG Oral Tablet", "1", "1.5", unit="g")),
         ("BID", "Q12H"), 8, 0.2),
    Drug("1256", "L04AX01", "chronic", "oral",
         _tabs("azathioprine 50 MG Oral Tablet", "50", "100", "150"), ("QD", "BID"), 6, 0.2),
    Drug("6851", "L04AX03", "chronic", "oral",
         _tabs("methotrexate 2.5 MG Oral Tablet", "10", "15", "20", "25"), ("QW",), 6, 0.5),
    Drug("42316", "L04AD02", "chronic", "oral",
         _tabs("tacrolimus 1 MG Oral Capsule", "2", "3", "4"), ("BID", "Q12H"), 3, 0.1),
    Drug("3008", "L04AD01", "chronic", "oral",
         _tabs("cyclosporine 100 MG Oral Capsule", "100", "150"), ("BID", "Q12H"), 2, 0.1),
    Drug("3002", None, "once", "iv",
         (*_tabs("cyclophosphamide 500 MG Injection", "500", "750"),
          ("1", "g", "cyclophosphamide 1000 MG Injection"),
          ("15", "mg/kg", "cyclophosphamide 1000 MG Injection")), ("ONCE", "Q2W", "Q4W"), 2, 0.05),
    Drug("121191", None, "once", "iv",
         _tabs("rituximab 10 MG/ML Injectable Solution", "1000", "375"), ("ONCE", "Q2W"), 2,
         0.05),
    Drug("5521", None, "chronic", "oral",
         _tabs("hydroxychloroquine sulfate 200 MG Oral Tablet", "200", "400"), ("QD", "BID"),
         8, 0.5),
    Drug("8640", "H02AB07", "course", "oral",
         (*_tabs("prednisone 5 MG Oral Tablet", "5", "10", "15"),
          *_tabs("prednisone 20 MG Oral Tablet", "20", "40", "60"),
          *_tabs("prednisone 1 MG Oral Tablet", "2.5")), ("QD", "QD", "BID", "QOD", "PRN"), 10, 2),
    Drug("8638", "H02AB06", "course", "oral",
         _tabs("prednisolone 5 MG Oral Tablet", "5", "15", "30"), ("QD", "Q24H"), 3, 0.5),
    Drug("6902", "H02AB04", "course", "oral",
         _tabs("methylprednisolone 4 MG Oral Tablet", "4", "8", "16", "32"), ("QD", "BID"), 3, 0.3),
    Drug("6902", "H02AB04", "once", "iv",
         (("500", "mg", "methylprednisolone 500 MG Injection"),
          ("1", "g", "methylprednisolone 1000 MG Injection")), ("ONCE", "Q24H"), 1, 0.05),
    Drug("3264", "H02AB02", "course", "oral",
         (*_tabs("dexamethasone 4 MG Oral Tablet", "4", "8"),
          *_tabs("dexamethasone 0.75 MG Oral Tablet", "0.75")), ("QD", "BID"), 0.5, 0.5),
    Drug("5492", None, "course", "oral",
         _tabs("hydrocortisone 10 MG Oral Tablet", "10", "20"), ("BID", "TID", "Q8H"), 0.5, 0.3),
    Drug("141", None, "once", "im", (("0.5", "mL", "influenza, split virus, trivalent, PF"),),
         ("ONCE",), 4, 4, "CVX"),
    Drug("187", None, "once", "im", (("0.5", "mL", "zoster recombinant"),), ("ONCE",), 1, 1, "CVX"),
    Drug("03", None, "once", "sc", (("0.5", "mL", "MMR"),), ("ONCE",), 0.1, 0.1, "CVX"),
    Drug("21", None, "once", "sc", (("0.5", "mL", "varicella"),), ("ONCE",), 0.1, 0.1, "CVX"),
    Drug("121", None, "once", "sc", (("0.65", "mL", "zoster live"),), ("ONCE",), 0.05, 0.05,
         "CVX"),
    Drug("19", None, "once", "im", ((None, None, "BCG"),), ("ONCE",), 0.03, 0.03, "CVX"),
)
# fmt: on
