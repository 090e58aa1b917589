-- The name tokens of each patient, by patient: a search by several words
-- probes whether a patient has a token starting with each other word (an
-- index probe instead of reading and parsing the patient's search keys),
-- and walks the rarest word's range, finding each patient's name key by
-- one probe. The update trigger's deletes use it too.
CREATE INDEX patient_name_tokens_patient ON patient_name_tokens (patient_id, token);
