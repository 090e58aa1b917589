-- A patient's audit entries are listed in chain order, along the primary
-- key (patient_id, chain_seq), with the `after` cursor resolved through the
-- unique index `audit_entries_id` to its position in the chain. The index
-- (patient_id, id) only served the listing in id order: dropping it leaves
-- each audit entry one index entry fewer to write (a search page writes one
-- entry per patient). Listings without a patient still walk
-- `audit_entries_id` or `audit_entries_actor`. Dropping an index inside the
-- migration's transaction takes a brief ACCESS EXCLUSIVE lock on the
-- table, with no rewrite.
DROP INDEX IF EXISTS audit_entries_patient;
