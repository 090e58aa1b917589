-- A patient's audit entries are listed in chain order, along the primary
-- key (patient_id, chain_seq), with the `after` cursor resolved through the
-- unique `id` to its position in the chain. The index (patient_id, id) only
-- served the listing in id order: dropping it leaves each audit entry one
-- b-tree leaf fewer to write (a search page writes one entry per patient).
-- Listings without a patient still walk `id` or `audit_entries_actor`.
DROP INDEX IF EXISTS audit_entries_patient;
