"""Each synced table's ``schema_version`` pinned to the columns its outbox payload carries (DESIGN §4).

An outbox row says which ``schema_version`` of its table the payload has; the hub (and every site that
pulls the row) reads the payload by that version. So a table's columns may only change together with
its version: bump ``__schema_version__`` on the model and add the new version's columns here, keeping
the older versions, which the hub still reads. ``pin_errors`` is what a unit test checks.

The base columns every synced row has (``app.db.outbox.SYNC_COLUMNS``) are not repeated in the pins.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .models import Base, SyncedBase
from .outbox import SYNC_COLUMNS

#: table -> version -> its columns beyond the base ones, in model order, separated by spaces
PINS: dict[str, dict[int, str]] = {
    "batches": {1: "store_id drug_id batch_no expiry pack_cost_fen on_hand received_on no_trace_codes"},
    "case_attachments": {1: "case_id sha256 file_name media_type size added_at user_id user_name to_site_id"},
    "case_events": {1: "case_id step status note missing user_id user_name occurred_at to_site_id"},
    "cases": {1: "site_id case_no case_type resident_id agent_name agent_id_number agent_relation responsible_user_id responsible_name accepted_on due_workdays due_on due_fallback collected note"},
    "chronic_qualifications": {1: "resident_id disease_code disease_name valid_from valid_to"},
    "distributors": {1: "name credit_code contact phone active"},
    "drug_mappings": {1: "site_id drug_id national_code status township_drug_id reason mapped_at moved_units"},
    "drug_reference_prices": {1: "drug_id reference_price_fen note"},
    "drugs": {1: "national_code generic_name brand_name form strength pack_unit base_unit units_per_pack maker approval_no barcode coverage_class class_b_self_bp is_vbp vbp_round is_essential category price_fen retail_price_fen zero_markup pinyin_abbr pinyin_overridden pinyin_keys pinyin_sort active"},
    "enrollments": {1: "resident_id year enrolled_on central_period repaid_years newborn"},
    "essential_drug_subsidies": {1: "site_id month amount_fen note to_site_id"},
    "households": {1: "site_id address head_resident_id"},
    "month_closes": {1: "site_id month last_local_seq closed_at"},
    "policies": {1: "region year policy_version file_name text valid_from valid_to"},
    "prescription_lines": {1: "visit_id line_no drug_id quantity_units amount_fen coverage_class class_b_self_bp usage"},
    "purchase_lines": {1: "receipt_id line_no drug_id batch_id batch_no expiry quantity pack_price_fen amount_fen code_count"},
    "purchase_receipts": {1: "site_id store_id distributor_id kind receipt_no delivery_note_no invoice_no returns_id received_at total_fen user_id user_name note"},
    "receipt_prints": {1: "settlement_id reversal_id printed_at user_id reprint paper"},
    "requisition_lines": {1: "requisition_id line_no drug_id monthly_use_units on_hand_units in_transit_units suggested_units requested_units"},
    "requisitions": {1: "site_id store_id requisition_no requested_at target_months status user_id user_name note"},
    "residents": {1: "site_id id_number name pinyin_abbr pinyin_keys pinyin_sort sex birth_date phone address household_id relation_to_head assistance_category insurance_no"},
    "return_receipts": {1: "return_id site_id received_at quantity amount_fen batch_id user_id user_name to_site_id"},
    "reversals": {1: "settlement_id receipt_no reversed_at reason user_id"},
    "settlements": {1: "visit_id resident_id site_id receipt_no settled_at policy_year pool total_fen fund_fen general_fee_fund_fen assistance_fen self_paid_fen self_funded_fen general_fee_fen b_pre_self_fen deductible_fen eligible waiting_until reason doctor_user_id",
                    2: "visit_id resident_id site_id receipt_no settled_at policy_year pool total_fen fund_fen general_fee_fund_fen assistance_fen self_paid_fen self_funded_fen general_fee_fen b_pre_self_fen deductible_fen eligible waiting_until reason doctor_user_id policy_version"},
    "shipment_lines": {1: "shipment_id line_no drug_id requisition_line_id requested_units quantity batch_id batch_no expiry pack_price_fen trace_codes to_site_id"},
    "shipments": {1: "site_id store_id to_site_id shipment_no kind requisition_id status drafted_at shipped_at user_id user_name note"},
    "sites": {1: "kind name code township_id region address phone"},
    "statement_acknowledgments": {1: "statement_id site_id acknowledged_at user_id user_name note"},
    "statements": {1: "site_id month statement_no supplied_fen returned_fen carried_in_fen due_fen fund_receivable_fen subsidy_fen from_fund_fen from_subsidy_fen carried_out_fen savings_fen covers_local_seq status drafted_at finalised_at user_id user_name to_site_id"},
    "stock_movements": {1: "seq store_id drug_id batch_id kind quantity occurred_at doc_type doc_id reason reverses_id user_id batch_balance_after drug_balance_after"},
    "stock_returns": {1: "site_id store_id return_no returned_at drug_id batch_id batch_no expiry quantity pack_price_fen trace_codes reason user_id user_name"},
    "stocktake_lines": {1: "stocktake_id batch_id drug_id booked_qty counted_qty counted_seq moved_during adjustment_qty reason"},
    "stocktakes": {1: "store_id scope scope_value status started_at started_seq finalised_at user_id note"},
    "store_drug_settings": {1: "store_id drug_id shelf min_stock_units"},
    "stores": {1: "site_id name"},
    "trace_code_events": {1: "code store_id drug_id batch_id kind seq doc_type doc_id occurred_at"},
    "transfer_receipt_lines": {1: "receipt_id shipment_line_id drug_id batch_id qty_shipped qty_received qty_lost reason"},
    "transfer_receipts": {1: "shipment_id site_id store_id received_at user_id user_name note"},
    "users": {1: "site_id username display_name role password_hash active"},
    "visits": {1: "site_id resident_id visit_date occurred_at diagnosis diagnosis_code chronic_code general_fee doctor_user_id agent_name agent_id_number"},
}


def schema_versions() -> dict[str, int]:
    """``__schema_version__`` of every synced table, by name."""
    return {
        m.local_table.name: int(m.class_.__schema_version__)
        for m in Base.registry.mappers if issubclass(m.class_, SyncedBase)
    }


def synced_columns() -> dict[str, tuple[str, ...]]:
    """The columns of every synced table beyond the base ones, in model order."""
    return {
        table: tuple(c.name for c in Base.metadata.tables[table].columns if c.name not in SYNC_COLUMNS)
        for table in schema_versions()
    }


def pin_errors(columns: Mapping[str, Sequence[str]], versions: Mapping[str, int],
               pins: Mapping[str, Mapping[int, str]] = PINS) -> list[str]:
    """What is wrong between the tables' columns, their versions and the pins (empty: nothing).

    Args:
        columns: each synced table's columns beyond the base ones (``synced_columns()``).
        versions: each synced table's ``schema_version`` (``schema_versions()``).
        pins: the pinned columns by table and version (``PINS``).
    """
    errors = []
    for table in sorted(columns):
        version = versions[table]
        have = " ".join(columns[table])
        pinned = pins.get(table, {}).get(version)
        if pinned is None:
            errors.append(f"{table}: schema_version {version} has no pin; add {{{version}: {have!r}}} "
                          f"under {table!r} in app/db/sync_schema.py PINS")
        elif pinned != have:
            errors.append(f"{table}: columns changed without a schema_version bump (pinned for version {version}: "
                          f"{pinned!r}; now: {have!r}); bump __schema_version__ on the model and pin the new "
                          "version's columns, keeping the old pin")
        elif any(other == have for v, other in pins[table].items() if v != version):
            errors.append(f"{table}: schema_version {version} pins the same columns as an older version")
    for table in sorted(set(pins) - set(columns)):
        errors.append(f"{table}: pinned but no longer a synced table")
    return errors
