//! Duplicate candidates with their scores, and the merge log.

use super::*;

/// One field's contribution to a duplicate score.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct FieldScore {
    /// Similarity 0–1; `null` when a side lacks the field.
    pub similarity: Option<f64>,
    /// Weight in the total.
    pub weight: f64,
}

impl From<cbp::FieldScore> for FieldScore {
    fn from(s: cbp::FieldScore) -> Self {
        Self {
            similarity: s.similarity,
            weight: s.weight,
        }
    }
}

/// Similarity per field and the weighted total.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct DuplicateScore {
    /// Weighted total 0–1.
    pub total: f64,
    /// Names.
    pub name: FieldScore,
    /// Birth date.
    pub birth_date: FieldScore,
    /// Phone.
    pub phone: FieldScore,
    /// Email.
    pub email: FieldScore,
    /// Identifier.
    pub identifier: FieldScore,
}

impl From<cbp::DuplicateScore> for DuplicateScore {
    fn from(s: cbp::DuplicateScore) -> Self {
        Self {
            total: s.total,
            name: s.name.into(),
            birth_date: s.birth_date.into(),
            phone: s.phone.into(),
            email: s.email.into(),
            identifier: s.identifier.into(),
        }
    }
}

/// A possible duplicate of a patient.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct DuplicateCandidate {
    /// The other record (masked for the reader).
    pub patient: Patient,
    /// Why it looks the same.
    pub score: DuplicateScore,
}

impl From<cbp::DuplicateCandidate> for DuplicateCandidate {
    fn from(c: cbp::DuplicateCandidate) -> Self {
        Self {
            patient: c.patient.into(),
            score: c.score.into(),
        }
    }
}

/// One entry of the merge log.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct MergeRecord {
    /// Id of this merge.
    pub id: String,
    /// The record that lives on.
    pub survivor: String,
    /// The record marked replaced-by the survivor.
    pub merged: String,
    /// The merged record as it was before the merge.
    pub merged_before: Patient,
    /// The merged record's version written by the merge.
    pub merged_version_after: u64,
    /// Who merged.
    pub merged_by: String,
    /// When.
    pub merged_at: String,
    /// Who undid it.
    pub unmerged_by: Option<String>,
    /// When it was undone.
    pub unmerged_at: Option<String>,
}

impl From<cbp::MergeRecord> for MergeRecord {
    fn from(m: cbp::MergeRecord) -> Self {
        Self {
            id: m.id.to_string(),
            survivor: m.survivor.to_string(),
            merged: m.merged.to_string(),
            merged_before: m.merged_before.into(),
            merged_version_after: m.merged_version_after,
            merged_by: m.merged_by.to_string(),
            merged_at: ts(m.merged_at),
            unmerged_by: ids(m.unmerged_by),
            unmerged_at: m.unmerged_at.map(ts),
        }
    }
}
