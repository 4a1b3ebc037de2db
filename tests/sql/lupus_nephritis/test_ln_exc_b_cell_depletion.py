"""lupus_nephritis exc_b_cell_depletion: B-cell depleting therapy in the 12 months, belimumab or
anifrolumab in the 3 months before the as-of date (2026-11-26). met = excluded."""

from datetime import date, timedelta

import pytest

TRIAL = "lupus_nephritis"
AS_OF = date(2026, 11, 26)


def day(offset: int) -> str:
    return (AS_OF + timedelta(days=offset)).isoformat()


def infusion(
    name: str, start: int, end: int | None = None, freq: str | None = "ONCE", code: str = "0"
) -> dict:
    ends = None if end is None else day(end)
    return {"code": code, "drug_name": name, "start_date": day(start), "end_date": ends,
            "dose_value": 1000, "frequency": freq, "route": "iv"}  # fmt: skip


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        pytest.param(infusion("rituximab", -365, code="121191"), "met", id="rituximab-exactly-365-days-ago"),
        pytest.param(infusion("rituximab", -366, code="121191"), "not_met", id="rituximab-366-days-ago"),
        pytest.param(
            infusion("rituximab 10 MG/ML", -400, -365, "Q2W"), "met", id="order-ending-on-window-start"
        ),
        pytest.param(infusion("MabThera 500 mg", -100), "met", id="brand-name-mabthera"),
        pytest.param(infusion("IV", -100, code="1657862"), "met", id="rxnorm-scd-code"),
        pytest.param(infusion("IV", -100, code="2105834"), "met", id="rxnorm-rituximab-abbs"),
        pytest.param(infusion("obinutuzumab 1000 MG", -300), "met", id="obinutuzumab-by-name"),
        pytest.param(infusion("Gazyva", -300), "met", id="obinutuzumab-brand-gazyva"),
        pytest.param(infusion("ocrelizumab 300 MG", -200), "met", id="ocrelizumab-by-name"),
        pytest.param(infusion("ofatumumab", -200), "met", id="ofatumumab-another-b-cell-depleting"),
        pytest.param(infusion("rituximab", 3, code="121191"), "not_met", id="after-as-of-ignored"),
        pytest.param(infusion("belimumab 400 MG", -90), "met", id="belimumab-exactly-90-days-ago"),
        pytest.param(infusion("belimumab 400 MG", -91), "not_met", id="belimumab-91-days-ago"),
        pytest.param(infusion("belimumab 400 MG", -200), "not_met", id="belimumab-within-12-months-only"),
        pytest.param(
            infusion("belimumab 200 MG/ML", -700, None, "QW"), "met", id="open-weekly-belimumab-order"
        ),
        pytest.param(infusion("anifrolumab-fnia 300 MG", -60), "met", id="anifrolumab-by-name"),
        pytest.param(
            infusion("anifrolumab 300 MG", -120, -91, "Q4W"), "not_met", id="anifrolumab-stopped-91-days"
        ),
    ],
)
def test_ln_exc_b_cell_depletion_windows_per_drug_class(scenario, order, expected):
    scenario.patient().medication(**order)
    status, evidence = scenario.evaluate(TRIAL)["exc_b_cell_depletion"]
    assert status == expected, evidence


@pytest.mark.parametrize(
    ("name", "ingredient"),
    [
        pytest.param("BENLYSTA 200 MG/ML SC SOAJ", "belimumab", id="benlysta-is-belimumab"),
        pytest.param("SAPHNELO 300 MG/2 ML IV SOLN", "anifrolumab", id="saphnelo-is-anifrolumab"),
        pytest.param("OCREVUS 300 MG/10 ML IV SOLN", "ocrelizumab", id="ocrevus-is-ocrelizumab"),
        pytest.param("KESIMPTA 20 MG/0.4 ML SC PNIJ", "ofatumumab", id="kesimpta-is-ofatumumab"),
        pytest.param("Arzerra 1000 mg", "ofatumumab", id="arzerra-is-ofatumumab"),
        pytest.param("TRUXIMA 500 MG/50 ML IV SOLN", "rituximab", id="truxima-is-rituximab"),
        pytest.param("Ruxience 500 mg/50 mL", "rituximab", id="ruxience-is-rituximab"),
        pytest.param("Riabni 100 mg/10 mL", "rituximab", id="riabni-is-rituximab"),
    ],
)
def test_ln_exc_b_cell_depletion_reads_brand_only_drug_names(scenario, name, ingredient):
    # an order whose code is not in the value set and whose name carries only the brand
    scenario.patient().medication(**infusion(name, -30))
    status, evidence = scenario.evaluate(TRIAL)["exc_b_cell_depletion"]
    assert status == "met", evidence
    assert evidence.startswith(f"{ingredient} on "), evidence


def test_ln_exc_b_cell_depletion_no_order_is_not_met_and_old_orders_are_named(scenario):
    scenario.patient().medication(**infusion("rituximab", -500, code="121191"))
    status, evidence = scenario.evaluate(TRIAL)["exc_b_cell_depletion"]
    assert status == "not_met"
    assert evidence.endswith("(older, not counted: rituximab on 2025-07-14)")


def test_ln_exc_b_cell_depletion_windows_are_parameters(scenario):
    scenario.patient().medication(**infusion("belimumab", -120))
    overrides = {"exc_b_cell_depletion.belimumab_window_days": 180}
    assert scenario.evaluate(TRIAL, overrides=overrides)["exc_b_cell_depletion"][0] == "met"


@pytest.mark.parametrize(
    ("code", "start", "expected"),
    [
        pytest.param("L01XC02", -300, "met", id="rituximab-atc-2019-code"),
        pytest.param("L04AA26", -60, "met", id="belimumab-atc-2019-code"),
        pytest.param("L04AA26", -200, "not_met", id="belimumab-atc-2019-code-past-3-months"),
    ],
)
def test_ln_exc_b_cell_depletion_reads_the_atc_codes_code_reference_names(scenario, code, start, expected):
    order = {**infusion("", start), "code": code, "code_system": "ATC", "drug_name": None}
    scenario.patient().medication(**order)
    status, evidence = scenario.evaluate(TRIAL)["exc_b_cell_depletion"]
    assert status == expected, evidence
