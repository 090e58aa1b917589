//! Conversions between the JavaScript shapes (`types.rs`) and carebase's
//! types. Input conversion collects every malformed field (bad UUID, date,
//! instant or number) into one `validation` error, with the same snake_case
//! field paths core uses. No clinic rule lives here.

use carebase as cb;
use cb::patient as cp;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, SecondsFormat, Utc};
use uuid::Uuid;

use crate::types::*;

/// Largest integer a JavaScript number holds exactly.
const MAX_SAFE: f64 = 9_007_199_254_740_991.0;

/// Collects input conversion failures. Converters return a placeholder on
/// failure; [`Check::done`] must be called before any converted value is used.
#[derive(Default)]
pub struct Check {
    errors: Vec<cb::FieldError>,
}

impl Check {
    fn fail(&mut self, field: &str, code: &str, message: &str) {
        self.errors.push(cb::FieldError::new(field, code, message));
    }

    /// Ok when every conversion succeeded, otherwise one validation error.
    pub fn done(self) -> cb::Result<()> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(cb::Error::validation(self.errors))
        }
    }

    /// Like [`Check::done`], but when conversion failed also runs core's
    /// patient validation on what did convert, so the error lists ALL fields.
    pub fn done_details(
        mut self,
        details: &cp::PatientDetails,
        settings: &cb::Settings,
    ) -> cb::Result<()> {
        if self.errors.is_empty() {
            return Ok(());
        }
        if let Err(cb::Error::Validation { fields }) =
            cp::validate::validate_details(details, Utc::now(), settings)
        {
            for f in fields {
                if !self.errors.iter().any(|e| e.field == f.field) {
                    self.errors.push(f);
                }
            }
        }
        self.done()
    }

    /// A UUID (any version) in canonical text form.
    pub fn uuid(&mut self, field: &str, text: &str) -> Uuid {
        match Uuid::parse_str(text) {
            Ok(u) => u,
            Err(_) => {
                self.fail(field, "invalid_id", "not a valid id (UUID)");
                Uuid::nil()
            }
        }
    }

    /// An optional UUID.
    pub fn opt_uuid(&mut self, field: &str, text: Option<&str>) -> Option<Uuid> {
        text.map(|t| self.uuid(field, t))
    }

    /// A civil date `YYYY-MM-DD`.
    pub fn date(&mut self, field: &str, text: &str) -> NaiveDate {
        let ok = text.len() == 10 && text.as_bytes().get(4) == Some(&b'-');
        match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            Ok(d) if ok => d,
            _ => {
                self.fail(field, "invalid_date", "not a valid date (YYYY-MM-DD)");
                NaiveDate::default()
            }
        }
    }

    /// A local wall-clock time `HH:MM` (or `HH:MM:SS`).
    pub fn time(&mut self, field: &str, text: &str) -> NaiveTime {
        let format = match text.len() {
            5 => Some("%H:%M"),
            8 => Some("%H:%M:%S"),
            _ => None,
        };
        match format.and_then(|f| NaiveTime::parse_from_str(text, f).ok()) {
            Some(t) => t,
            None => {
                self.fail(field, "invalid_time", "not a valid local time (HH:MM)");
                NaiveTime::default()
            }
        }
    }

    /// An RFC 3339 instant, converted to UTC.
    pub fn instant(&mut self, field: &str, text: &str) -> DateTime<Utc> {
        match DateTime::parse_from_rfc3339(text) {
            Ok(t) => t.with_timezone(&Utc),
            Err(_) => {
                self.fail(field, "invalid_instant", "not a valid RFC 3339 instant");
                DateTime::<Utc>::default()
            }
        }
    }

    /// A non-negative safe integer (versions, sequence numbers).
    pub fn count(&mut self, field: &str, n: f64) -> u64 {
        if n.is_finite() && n.fract() == 0.0 && (0.0..=MAX_SAFE).contains(&n) {
            n as u64
        } else {
            self.fail(
                field,
                "invalid_number",
                "must be a non-negative integer (safe integer range)",
            );
            0
        }
    }

    /// A non-negative integer that fits in 32 bits (limits, digits).
    /// A list of counts (a position per partition). Core bounds its
    /// length: one item past its bound is enough for it to answer.
    pub fn counts(&mut self, field: &str, items: &[f64]) -> Vec<u64> {
        items
            .iter()
            .take(cb::events::OUTBOX_PARTITIONS as usize + 1)
            .enumerate()
            .map(|(i, n)| self.count(&format!("{field}[{i}]"), *n))
            .collect()
    }

    pub fn small(&mut self, field: &str, n: f64) -> u32 {
        if n.is_finite() && n.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&n) {
            n as u32
        } else {
            self.fail(
                field,
                "invalid_number",
                "must be a non-negative integer below 2^32",
            );
            0
        }
    }

    /// Whole minutes as a duration.
    pub fn minutes(&mut self, field: &str, n: f64) -> Duration {
        Duration::minutes(self.count(field, n).min(i64::MAX as u64 / 60_000) as i64)
    }

    pub fn actor(&mut self, a: Actor) -> cb::Actor {
        cb::Actor {
            id: cb::ActorId(self.uuid("actor.id", &a.id)),
            roles: a.roles.into_iter().map(Into::into).collect(),
            practitioner: self
                .opt_uuid("actor.practitioner", a.practitioner.as_deref())
                .map(cb::PractitionerId),
            patient: self
                .opt_uuid("actor.patient", a.patient.as_deref())
                .map(cb::PatientId),
        }
    }

    pub fn patient_id(&mut self, field: &str, text: &str) -> cb::PatientId {
        cb::PatientId(self.uuid(field, text))
    }

    pub fn settings(&mut self, s: Settings) -> cb::Settings {
        let defaults = cb::Settings::default();
        cb::Settings {
            identifier_systems: s
                .identifier_systems
                .unwrap_or_default()
                .into_iter()
                .map(|i| cp::IdentifierSystem {
                    system: i.system,
                    check_digit: i.check_digit.map(Into::into),
                })
                .collect(),
            mrn_namespaces: s
                .mrn_namespaces
                .unwrap_or_default()
                .into_iter()
                .enumerate()
                .map(|(i, ns)| cp::MrnNamespace {
                    facility: ns.facility,
                    system: ns.system,
                    prefix: ns.prefix.unwrap_or_default(),
                    digits: self.small(&format!("settings.mrn_namespaces[{i}].digits"), ns.digits),
                    check_digit: ns.check_digit.map(Into::into),
                })
                .collect(),
            break_glass_default: match s.break_glass_default_minutes {
                Some(m) => self.minutes("settings.break_glass_default_minutes", m),
                None => defaults.break_glass_default,
            },
            break_glass_max: match s.break_glass_max_minutes {
                Some(m) => self.minutes("settings.break_glass_max_minutes", m),
                None => defaults.break_glass_max,
            },
            late_cancellation_window: match s.late_cancellation_window_minutes {
                Some(m) => self.minutes("settings.late_cancellation_window_minutes", m),
                None => defaults.late_cancellation_window,
            },
            phone_region: s.phone_region,
        }
    }

    pub fn details(&mut self, d: PatientDetails) -> cp::PatientDetails {
        cp::PatientDetails {
            identifiers: d
                .identifiers
                .unwrap_or_default()
                .into_iter()
                .map(identifier_in)
                .collect(),
            names: d
                .names
                .unwrap_or_default()
                .into_iter()
                .map(|n| name_in(n.0))
                .collect(),
            gender: d.gender.map(Into::into),
            birth_date: d.birth_date.map(|t| self.date("birth_date", &t)),
            telecom: d
                .telecom
                .unwrap_or_default()
                .into_iter()
                .map(contact_in)
                .collect(),
            addresses: d
                .addresses
                .unwrap_or_default()
                .into_iter()
                .map(|a| address_in(a.0))
                .collect(),
            language: d.language,
            emergency_contacts: d
                .emergency_contacts
                .unwrap_or_default()
                .into_iter()
                .map(|c| cp::EmergencyContact {
                    relationship: c.relationship,
                    name: name_in(c.name.0),
                    telecom: c
                        .telecom
                        .unwrap_or_default()
                        .into_iter()
                        .map(contact_in)
                        .collect(),
                })
                .collect(),
            deceased: d.deceased.unwrap_or(false),
            deceased_at: d.deceased_at.map(|t| self.instant("deceased_at", &t)),
        }
    }

    pub fn query(&mut self, q: PatientQuery) -> cp::PatientQuery {
        cp::PatientQuery {
            name: q.name,
            birth_date: q.birth_date.map(|t| self.date("birth_date", &t)),
            identifier_system: q.identifier_system,
            identifier_value: q.identifier_value,
            phone: q.phone,
            email: q.email,
            gender: q.gender.map(Into::into),
            active: q.active,
            limit: q.limit.map(|n| self.small("limit", n)),
            cursor: q.cursor,
        }
    }

    pub fn checkpoint(&mut self, field: &str, c: AuditCheckpoint) -> cb::audit::AuditCheckpoint {
        cb::audit::AuditCheckpoint {
            seq: self.count(&format!("{field}.seq"), c.seq),
            at: self.instant(&format!("{field}.at"), &c.at),
            chains: self.count(&format!("{field}.chains"), c.chains),
            entries: self.count(&format!("{field}.entries"), c.entries),
            root: c.root,
            prev_signature: c.prev_signature,
            key_id: c.key_id,
            signature: c.signature,
        }
    }

    pub fn audit_query(&mut self, q: AuditQuery) -> cb::audit::AuditQuery {
        cb::audit::AuditQuery {
            patient: self
                .opt_uuid("patient", q.patient.as_deref())
                .map(cb::PatientId),
            actor: self.opt_uuid("actor", q.actor.as_deref()).map(cb::ActorId),
            after: self
                .opt_uuid("after", q.after.as_deref())
                .map(cb::AuditEntryId),
            limit: q.limit.map(|n| self.small("limit", n)),
        }
    }
}

/// A policy document: JSON when it starts with `{`, TOML otherwise.
pub fn policy_in(text: &str) -> cb::Result<cb::policy::Policy> {
    if text.trim_start().starts_with('{') {
        cb::policy::Policy::from_json(text)
    } else {
        cb::policy::Policy::from_toml(text)
    }
}

fn identifier_in(i: Identifier) -> cp::Identifier {
    cp::Identifier {
        system: i.system,
        value: i.value,
    }
}

fn name_in(n: HumanName) -> cp::HumanName {
    cp::HumanName {
        usage: n.usage.map(Into::into),
        family: n.family,
        given: n.given.unwrap_or_default(),
        prefix: n.prefix.unwrap_or_default(),
        suffix: n.suffix.unwrap_or_default(),
    }
}

fn contact_in(c: ContactPoint) -> cp::ContactPoint {
    cp::ContactPoint {
        system: c.system.into(),
        value: c.value,
        usage: c.usage.map(Into::into),
    }
}

fn address_in(a: Address) -> cp::Address {
    cp::Address {
        usage: a.usage.map(Into::into),
        lines: a.lines.unwrap_or_default(),
        city: a.city,
        district: a.district,
        state: a.state,
        postal_code: a.postal_code,
        country: a.country,
    }
}

// ---- outputs ---------------------------------------------------------------

/// An instant as RFC 3339 UTC (`…Z`, fractional seconds only when present).
pub fn instant_out(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

pub(crate) fn opt_instant(t: Option<DateTime<Utc>>) -> Option<String> {
    t.map(instant_out)
}

pub(crate) fn opt_str<T: ToString>(v: Option<T>) -> Option<String> {
    v.map(|v| v.to_string())
}

pub(crate) fn list<A, B: From<A>>(v: Vec<A>) -> Vec<B> {
    v.into_iter().map(Into::into).collect()
}

impl From<cp::Identifier> for Identifier {
    fn from(i: cp::Identifier) -> Self {
        Self {
            system: i.system,
            value: i.value,
        }
    }
}

impl From<cp::HumanName> for HumanName {
    fn from(n: cp::HumanName) -> Self {
        Self {
            usage: n.usage.map(Into::into),
            family: n.family,
            given: Some(n.given),
            prefix: Some(n.prefix),
            suffix: Some(n.suffix),
        }
    }
}

impl From<cp::ContactPoint> for ContactPoint {
    fn from(c: cp::ContactPoint) -> Self {
        Self {
            system: c.system.into(),
            value: c.value,
            usage: c.usage.map(Into::into),
        }
    }
}

impl From<cp::Address> for Address {
    fn from(a: cp::Address) -> Self {
        Self {
            usage: a.usage.map(Into::into),
            lines: Some(a.lines),
            city: a.city,
            district: a.district,
            state: a.state,
            postal_code: a.postal_code,
            country: a.country,
        }
    }
}

impl From<cp::PatientDetails> for PatientDetails {
    fn from(d: cp::PatientDetails) -> Self {
        Self {
            identifiers: Some(list(d.identifiers)),
            names: Some(d.names.into_iter().map(|n| Obj(n.into())).collect()),
            gender: d.gender.map(Into::into),
            birth_date: d.birth_date.map(|b| b.format("%Y-%m-%d").to_string()),
            telecom: Some(list(d.telecom)),
            addresses: Some(d.addresses.into_iter().map(|a| Obj(a.into())).collect()),
            language: d.language,
            emergency_contacts: Some(
                d.emergency_contacts
                    .into_iter()
                    .map(|c| EmergencyContact {
                        relationship: c.relationship,
                        name: Obj(c.name.into()),
                        telecom: Some(list(c.telecom)),
                    })
                    .collect(),
            ),
            deceased: Some(d.deceased),
            deceased_at: opt_instant(d.deceased_at),
        }
    }
}

impl From<cp::Patient> for Patient {
    fn from(p: cp::Patient) -> Self {
        Self {
            id: p.id.to_string(),
            version: p.version as f64,
            details: p.details.into(),
            active: p.active,
            merged_into: opt_str(p.merged_into),
            created_at: instant_out(p.created_at),
            updated_at: instant_out(p.updated_at),
            hidden_fields: list(p.hidden_fields),
        }
    }
}

impl From<cp::PatientPage> for PatientPage {
    fn from(p: cp::PatientPage) -> Self {
        Self {
            items: list(p.items),
            next_cursor: p.next_cursor,
        }
    }
}

impl From<cp::FieldScore> for FieldScore {
    fn from(s: cp::FieldScore) -> Self {
        Self {
            similarity: s.similarity,
            weight: s.weight,
        }
    }
}

impl From<cp::DuplicateCandidate> for DuplicateCandidate {
    fn from(c: cp::DuplicateCandidate) -> Self {
        let s = c.score;
        Self {
            patient: c.patient.into(),
            score: DuplicateScore {
                total: s.total,
                name: s.name.into(),
                birth_date: s.birth_date.into(),
                phone: s.phone.into(),
                email: s.email.into(),
                identifier: s.identifier.into(),
            },
        }
    }
}

impl From<cp::MergeRecord> for MergeRecord {
    fn from(m: cp::MergeRecord) -> Self {
        Self {
            id: m.id.to_string(),
            survivor: m.survivor.to_string(),
            merged: m.merged.to_string(),
            merged_before: m.merged_before.into(),
            merged_version_after: m.merged_version_after as f64,
            merged_by: m.merged_by.to_string(),
            merged_at: instant_out(m.merged_at),
            unmerged_by: opt_str(m.unmerged_by),
            unmerged_at: opt_instant(m.unmerged_at),
        }
    }
}

impl From<cb::access::CareAssignment> for CareAssignment {
    fn from(a: cb::access::CareAssignment) -> Self {
        Self {
            patient: a.patient.to_string(),
            practitioner: a.practitioner.to_string(),
            assigned_by: a.assigned_by.to_string(),
            assigned_at: instant_out(a.assigned_at),
        }
    }
}

impl From<cb::access::BreakGlassGrant> for BreakGlassGrant {
    fn from(g: cb::access::BreakGlassGrant) -> Self {
        Self {
            id: g.id.to_string(),
            actor: g.actor.to_string(),
            patient: g.patient.to_string(),
            reason: g.reason,
            granted_at: instant_out(g.granted_at),
            expires_at: instant_out(g.expires_at),
            reviewed_by: opt_str(g.reviewed_by),
            reviewed_at: opt_instant(g.reviewed_at),
            review_note: g.review_note,
        }
    }
}

impl From<cb::policy::ReasonStep> for ReasonStep {
    fn from(s: cb::policy::ReasonStep) -> Self {
        Self {
            rule: s.rule,
            role: s.role.into(),
            relationship: s.relationship.into(),
            held: s.held,
        }
    }
}

impl From<cb::policy::Decision> for Decision {
    fn from(d: cb::policy::Decision) -> Self {
        Self {
            allowed: d.allowed,
            permission: d.permission.into(),
            steps: list(d.steps),
            visible_fields: list(d.visible_fields),
            break_glass: opt_str(d.break_glass),
        }
    }
}

impl From<cb::audit::AuditEntry> for AuditEntry {
    fn from(e: cb::audit::AuditEntry) -> Self {
        let d = e.draft;
        Self {
            id: d.id.to_string(),
            at: instant_out(d.at),
            actor: d.actor.to_string(),
            roles: list(d.roles),
            action: d.action,
            patient: opt_str(d.patient),
            outcome: d.outcome.into(),
            reason: d.reason,
            break_glass: opt_str(d.break_glass),
            subject: d.subject,
            chain_seq: e.chain_seq as f64,
            prev_hash: e.prev_hash,
            hash: e.hash,
        }
    }
}

impl From<cb::audit::AuditVerification> for AuditVerification {
    fn from(v: cb::audit::AuditVerification) -> Self {
        Self {
            ok: v.ok,
            chains_checked: v.chains_checked as f64,
            entries_checked: v.entries_checked as f64,
            problem: v.problem.map(|p| ChainProblem {
                chain: opt_str(p.chain),
                seq: p.seq as f64,
                entry: opt_str(p.entry),
                kind: p.kind.into(),
                checkpoint: p.checkpoint.map(|c| c as f64),
            }),
            keyed: v.keyed,
            key_id: v.key_id,
            checkpoints_checked: v.checkpoints_checked as f64,
            anchor: v.anchor.map(|a| a as f64),
            trusted: v.trusted.map(|t| t as f64),
        }
    }
}

impl From<cb::audit::AuditCheckpoint> for AuditCheckpoint {
    fn from(c: cb::audit::AuditCheckpoint) -> Self {
        Self {
            seq: c.seq as f64,
            // Microseconds always, so the signed instant survives the round trip.
            at: c.at.to_rfc3339_opts(SecondsFormat::Micros, true),
            chains: c.chains as f64,
            entries: c.entries as f64,
            root: c.root,
            prev_signature: c.prev_signature,
            key_id: c.key_id,
            signature: c.signature,
        }
    }
}

impl From<cb::audit::AccessRecord> for AccessRecord {
    fn from(r: cb::audit::AccessRecord) -> Self {
        Self {
            at: instant_out(r.at),
            actor: r.actor.to_string(),
            roles: list(r.roles),
            action: r.action,
            outcome: r.outcome.into(),
            break_glass: r.break_glass,
        }
    }
}

impl From<cb::events::OutboxEvent> for OutboxEvent {
    fn from(e: cb::events::OutboxEvent) -> Self {
        let d = e.draft;
        Self {
            partition: e.partition,
            seq: e.seq as f64,
            id: d.id.to_string(),
            kind: d.kind,
            schema_version: d.schema_version,
            patient: opt_str(d.patient),
            payload: d.payload,
            idempotency_key: d.idempotency_key,
            occurred_at: instant_out(d.occurred_at),
        }
    }
}

/// `From` both ways between a JS string enum and core's enum of the same
/// variant names.
macro_rules! same_variants {
    ($js:ident <=> $core:path { $($v:ident),* $(,)? }) => {
        impl From<$js> for $core {
            fn from(v: $js) -> Self {
                match v { $($js::$v => <$core>::$v,)* }
            }
        }
        impl From<$core> for $js {
            fn from(v: $core) -> Self {
                match v { $(<$core>::$v => $js::$v,)* }
            }
        }
    };
}

pub(crate) use same_variants;

same_variants!(Role <=> cb::Role { Patient, Practitioner, Nurse, FrontDesk, Billing, Admin, System });
same_variants!(NameUse <=> cp::NameUse { Usual, Official, Temp, Nickname, Anonymous, Old, Maiden });
same_variants!(Gender <=> cp::Gender { Male, Female, Other, Unknown });
same_variants!(ContactSystem <=> cp::ContactSystem { Phone, Email });
same_variants!(ContactUse <=> cp::ContactUse { Home, Work, Mobile, Temp, Old });
same_variants!(AddressUse <=> cp::AddressUse { Home, Work, Temp, Old, Billing });
same_variants!(PatientField <=> cp::PatientField {
    Identifiers, Names, Gender, BirthDate, Telecom, Addresses, Language, EmergencyContacts, Deceased
});
same_variants!(Permission <=> cb::policy::Permission {
    PatientRead, PatientSearch, PatientRegister, PatientUpdate, PatientDeactivate, PatientMerge,
    MrnGenerate, CareTeamRead, CareTeamManage, CareTeamPatients, BreakGlassRequest, BreakGlassReview, AuditRead,
    AuditVerify, AccessLogRead, AuditCheckpoint, OutboxRead, PolicyManage, ScheduleRead, ScheduleManage, CalendarRead,
    AppointmentRead, AppointmentBook, AppointmentMigrate, AppointmentReschedule, AppointmentCancel,
    AppointmentStatus, ReminderSend
});
same_variants!(Relationship <=> cb::policy::Relationship {
    Any, OwnRecord, CareTeam, BreakGlass, OwnSchedule
});
same_variants!(Outcome <=> cb::audit::Outcome { Success, Denied, Failed });
same_variants!(CheckDigit <=> cp::CheckDigit { Luhn, Verhoeff });
same_variants!(ProblemKind <=> cb::audit::ProblemKind {
    Edited, Deleted, Reordered, Inserted, Forged, WrongKey, MissingChain, CheckpointMismatch,
    CheckpointEdited, CheckpointMissing
});
