-- carebase SQLite schema, version 10: a patient's entries of one code
-- whatever their kind.
--
-- The timeline filtered by code without a kind (or with several kinds, as
-- a codes-only reader asks) had no index in page order: the per-patient
-- code index starts with `kind`, so such a page walked the patient's whole
-- timeline and kept the rows of that code. This index leads with the code
-- and ends with the kind and the retracted flag, so the kinds asked and
-- retracted entries are filtered on the index itself, in page order, for
-- current views and full histories alike. It costs one more index entry per
-- current version written (the heads' other three indexes stay as they
-- were: `latest_entries` walks a kind's codes on the per-patient code index).
-- Numbered 10: number 9 is left to the documents' blob tables.
CREATE INDEX clinical_entry_heads_by_patient_code_any_kind
    ON clinical_entry_heads (patient_id, code_system, code, effective_at, entry_id, kind, retracted);
