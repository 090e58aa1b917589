-- What a FHIR Practitioner import kept that carebase does not model
-- (identifiers, qualifications, telecom…), as serde JSON of
-- `Practitioner::fhir_extra`; NULL for practitioners added otherwise and
-- for every row written before this version.
ALTER TABLE practitioners ADD COLUMN fhir_extra TEXT;
