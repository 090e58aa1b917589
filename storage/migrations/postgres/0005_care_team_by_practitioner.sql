-- "My patients": a practitioner's care-team patients, in patient id order
-- (the keyset a page continues from).
CREATE INDEX care_team_by_practitioner ON care_team (practitioner_id, patient_id);
