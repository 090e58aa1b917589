-- The name tokens of each patient, by patient and token: a search's probe
-- for "has this patient a token starting with this word" (and for its name
-- key, the smallest such token) reads the index alone, never the table.
DROP INDEX patient_name_tokens_patient;
CREATE INDEX patient_name_tokens_patient ON patient_name_tokens (patient_id, token);
