-- What a FHIR Practitioner import kept that carebase does not model
-- (identifiers, qualifications, telecom…), as serde JSON of
-- `Practitioner::fhir_extra` (text, like `availability`: read back as
-- written); NULL for practitioners added otherwise and for every row
-- written before this version. Adding a nullable column rewrites nothing.
ALTER TABLE practitioners ADD COLUMN fhir_extra text;
