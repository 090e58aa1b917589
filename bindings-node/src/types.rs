//! The JavaScript shapes: `#[napi(object)]` structs and string enums that
//! mirror carebase's types. Ids are UUID strings, birth dates `YYYY-MM-DD`,
//! instants RFC 3339 UTC strings, versions and sequence numbers `number`.
//! Conversions live in `convert.rs`.

use napi::bindgen_prelude::{FromNapiValue, ToNapiValue, TypeName, Uint8Array, ValidateNapiValue};
use napi::{sys, ValueType};
use napi_derive::napi;

/// A nested object whose fields are all optional. napi converts any value
/// (a number, a string) into such a struct with every field absent; this
/// wrapper first checks that the value really is an object.
pub struct Obj<T>(pub T);

impl<T: FromNapiValue + ValidateNapiValue> FromNapiValue for Obj<T> {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> napi::Result<Self> {
        // SAFETY: `env` and `value` come straight from napi for this call.
        unsafe {
            T::validate(env, value)?;
            T::from_napi_value(env, value).map(Obj)
        }
    }
}

impl<T: ToNapiValue> ToNapiValue for Obj<T> {
    unsafe fn to_napi_value(env: sys::napi_env, value: Self) -> napi::Result<sys::napi_value> {
        // SAFETY: `env` comes straight from napi for this call.
        unsafe { T::to_napi_value(env, value.0) }
    }
}

impl<T: TypeName> TypeName for Obj<T> {
    fn type_name() -> &'static str {
        T::type_name()
    }
    fn value_type() -> ValueType {
        T::value_type()
    }
}

/// A role the access policy grants permissions to.
#[napi(string_enum = "snake_case")]
pub enum Role {
    Patient,
    Practitioner,
    Nurse,
    FrontDesk,
    Billing,
    Admin,
    System,
}

/// FHIR `HumanName.use`.
#[napi(string_enum = "snake_case")]
pub enum NameUse {
    Usual,
    Official,
    Temp,
    Nickname,
    Anonymous,
    Old,
    Maiden,
}

/// FHIR administrative gender.
#[napi(string_enum = "snake_case")]
pub enum Gender {
    Male,
    Female,
    Other,
    Unknown,
}

/// How a patient can be reached.
#[napi(string_enum = "snake_case")]
pub enum ContactSystem {
    Phone,
    Email,
}

/// FHIR `ContactPoint.use`.
#[napi(string_enum = "snake_case")]
pub enum ContactUse {
    Home,
    Work,
    Mobile,
    Temp,
    Old,
}

/// FHIR `Address.use`.
#[napi(string_enum = "snake_case")]
pub enum AddressUse {
    Home,
    Work,
    Temp,
    Old,
    Billing,
}

/// A field of `PatientDetails` the policy can show or hide.
#[napi(string_enum = "snake_case")]
pub enum PatientField {
    Identifiers,
    Names,
    Gender,
    BirthDate,
    Telecom,
    Addresses,
    Language,
    EmergencyContacts,
    Deceased,
}

/// What an actor may ask for.
#[napi(string_enum)]
pub enum Permission {
    #[napi(value = "patient.read")]
    PatientRead,
    #[napi(value = "patient.search")]
    PatientSearch,
    #[napi(value = "patient.register")]
    PatientRegister,
    #[napi(value = "patient.update")]
    PatientUpdate,
    #[napi(value = "patient.deactivate")]
    PatientDeactivate,
    #[napi(value = "patient.merge")]
    PatientMerge,
    #[napi(value = "mrn.generate")]
    MrnGenerate,
    #[napi(value = "care_team.read")]
    CareTeamRead,
    #[napi(value = "care_team.manage")]
    CareTeamManage,
    #[napi(value = "care_team.patients")]
    CareTeamPatients,
    #[napi(value = "break_glass.request")]
    BreakGlassRequest,
    #[napi(value = "break_glass.review")]
    BreakGlassReview,
    #[napi(value = "audit.read")]
    AuditRead,
    #[napi(value = "audit.verify")]
    AuditVerify,
    #[napi(value = "audit.access_log")]
    AccessLogRead,
    #[napi(value = "audit.checkpoint")]
    AuditCheckpoint,
    #[napi(value = "outbox.read")]
    OutboxRead,
    #[napi(value = "policy.manage")]
    PolicyManage,
    #[napi(value = "schedule.read")]
    ScheduleRead,
    #[napi(value = "schedule.manage")]
    ScheduleManage,
    #[napi(value = "calendar.read")]
    CalendarRead,
    #[napi(value = "appointment.read")]
    AppointmentRead,
    #[napi(value = "appointment.book")]
    AppointmentBook,
    #[napi(value = "appointment.migrate")]
    AppointmentMigrate,
    #[napi(value = "appointment.reschedule")]
    AppointmentReschedule,
    #[napi(value = "appointment.cancel")]
    AppointmentCancel,
    #[napi(value = "appointment.status")]
    AppointmentStatus,
    #[napi(value = "reminder.send")]
    ReminderSend,
}

/// The relationship a policy rule requires.
#[napi(string_enum)]
pub enum Relationship {
    #[napi(value = "any")]
    Any,
    #[napi(value = "self")]
    OwnRecord,
    #[napi(value = "care_team")]
    CareTeam,
    #[napi(value = "break_glass")]
    BreakGlass,
    #[napi(value = "own_schedule")]
    OwnSchedule,
}

/// Outcome of an audited attempt.
#[napi(string_enum = "snake_case")]
pub enum Outcome {
    Success,
    Denied,
    Failed,
}

/// A check-digit scheme for an identifier system.
#[napi(string_enum = "snake_case")]
pub enum CheckDigit {
    Luhn,
    Verhoeff,
}

/// What kind of tampering verification found (a closed set).
#[napi(string_enum = "snake_case")]
pub enum ProblemKind {
    Edited,
    Deleted,
    Reordered,
    Inserted,
    Forged,
    WrongKey,
    MissingChain,
    CheckpointMismatch,
    CheckpointEdited,
    CheckpointMissing,
}

/// Who is asking. Hosts build it from their own authentication.
#[napi(object)]
pub struct Actor {
    /// Stable id (UUID) of the login or process.
    pub id: String,
    /// Roles held; permissions are the union over roles.
    pub roles: Vec<Role>,
    /// The practitioner id (UUID) this actor is, for care-team and own-schedule relationships.
    pub practitioner: Option<String>,
    /// The patient id (UUID) this actor is, for own-record access.
    pub patient: Option<String>,
}

/// An identifier system and the check digit its values carry.
#[napi(object)]
pub struct IdentifierSystem {
    pub system: String,
    pub check_digit: Option<CheckDigit>,
}

/// How one facility's MRNs are generated.
#[napi(object)]
pub struct MrnNamespace {
    pub facility: String,
    pub system: String,
    pub prefix: Option<String>,
    pub digits: f64,
    pub check_digit: Option<CheckDigit>,
}

/// Clinic-wide configuration. Durations are whole minutes.
#[napi(object)]
pub struct Settings {
    pub identifier_systems: Option<Vec<IdentifierSystem>>,
    pub mrn_namespaces: Option<Vec<MrnNamespace>>,
    /// Break-the-glass duration when none is asked for (default 60).
    pub break_glass_default_minutes: Option<f64>,
    /// Longest break-the-glass duration that may be asked for (default 1440).
    pub break_glass_max_minutes: Option<f64>,
    /// A cancellation this close to the start (or later) is flagged late (default 1440).
    pub late_cancellation_window_minutes: Option<f64>,
    /// ISO 3166 alpha-2 region (`US`, `GB`…) phone numbers typed without a
    /// country code are read in; without it only `+…` numbers are.
    pub phone_region: Option<String>,
}

/// Options for `open`.
#[napi(object)]
pub struct OpenOptions {
    #[napi(ts_type = "Settings")]
    pub settings: Option<Obj<Settings>>,
    /// An access policy document, TOML or JSON text (JSON when it starts with `{`).
    pub policy: Option<String>,
    /// The host's audit key (at least 32 random bytes, kept outside the
    /// database). Without it the public development key is used and every
    /// verification says `keyed: false`: set one in production.
    pub audit_key: Option<Uint8Array>,
}

/// A business identifier such as an MRN: unique per system.
#[napi(object)]
pub struct Identifier {
    pub system: String,
    pub value: String,
}

/// A person's name (FHIR `HumanName`).
#[napi(object)]
pub struct HumanName {
    #[napi(js_name = "use")]
    pub usage: Option<NameUse>,
    pub family: Option<String>,
    pub given: Option<Vec<String>>,
    pub prefix: Option<Vec<String>>,
    pub suffix: Option<Vec<String>>,
}

/// A phone number or email address.
#[napi(object)]
pub struct ContactPoint {
    pub system: ContactSystem,
    pub value: String,
    #[napi(js_name = "use")]
    pub usage: Option<ContactUse>,
}

/// A postal address.
#[napi(object)]
pub struct Address {
    #[napi(js_name = "use")]
    pub usage: Option<AddressUse>,
    pub lines: Option<Vec<String>>,
    pub city: Option<String>,
    pub district: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
}

/// Someone to call in an emergency.
#[napi(object)]
pub struct EmergencyContact {
    pub relationship: String,
    #[napi(ts_type = "HumanName")]
    pub name: Obj<HumanName>,
    pub telecom: Option<Vec<ContactPoint>>,
}

/// Everything about a patient that a person enters.
#[napi(object)]
pub struct PatientDetails {
    pub identifiers: Option<Vec<Identifier>>,
    #[napi(ts_type = "Array<HumanName>")]
    pub names: Option<Vec<Obj<HumanName>>>,
    pub gender: Option<Gender>,
    /// Civil date `YYYY-MM-DD`, never in the future.
    pub birth_date: Option<String>,
    pub telecom: Option<Vec<ContactPoint>>,
    #[napi(ts_type = "Array<Address>")]
    pub addresses: Option<Vec<Obj<Address>>>,
    /// BCP-47 tag, e.g. `fr-CA`.
    pub language: Option<String>,
    pub emergency_contacts: Option<Vec<EmergencyContact>>,
    pub deceased: Option<bool>,
    /// RFC 3339 instant.
    pub deceased_at: Option<String>,
}

/// What registering a patient takes.
#[napi(object)]
pub struct NewPatient {
    #[napi(ts_type = "PatientDetails")]
    pub details: Obj<PatientDetails>,
    /// Facility whose MRN namespace assigns an MRN in the same transaction.
    pub mrn_facility: Option<String>,
}

/// A stored patient.
#[napi(object)]
pub struct Patient {
    pub id: String,
    pub version: f64,
    pub details: PatientDetails,
    pub active: bool,
    pub merged_into: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// Fields the reading actor may not see; they are emptied in `details`.
    pub hidden_fields: Vec<PatientField>,
}

/// A patient search; every given criterion must match.
#[napi(object)]
pub struct PatientQuery {
    /// Case- and accent-insensitive prefix of name words.
    pub name: Option<String>,
    pub birth_date: Option<String>,
    pub identifier_system: Option<String>,
    pub identifier_value: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub gender: Option<Gender>,
    pub active: Option<bool>,
    pub limit: Option<f64>,
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
}

/// A page of a list without filters of its own.
#[napi(object)]
pub struct PageQuery {
    pub limit: Option<f64>,
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
}

/// One page of patients.
#[napi(object)]
pub struct PatientPage {
    pub items: Vec<Patient>,
    pub next_cursor: Option<String>,
}

/// Similarity of one field (absent when either side lacks it).
#[napi(object)]
pub struct FieldScore {
    pub similarity: Option<f64>,
    pub weight: f64,
}

/// How alike two patients are, field by field.
#[napi(object)]
pub struct DuplicateScore {
    pub total: f64,
    pub name: FieldScore,
    pub birth_date: FieldScore,
    pub phone: FieldScore,
    pub email: FieldScore,
    pub identifier: FieldScore,
}

/// A possible duplicate of a patient.
#[napi(object)]
pub struct DuplicateCandidate {
    pub patient: Patient,
    pub score: DuplicateScore,
}

/// One merge in the merge log.
#[napi(object)]
pub struct MergeRecord {
    pub id: String,
    pub survivor: String,
    pub merged: String,
    pub merged_before: Patient,
    pub merged_version_after: f64,
    pub merged_by: String,
    pub merged_at: String,
    pub unmerged_by: Option<String>,
    pub unmerged_at: Option<String>,
}

/// A practitioner on a patient's care team.
#[napi(object)]
pub struct CareAssignment {
    pub patient: String,
    pub practitioner: String,
    pub assigned_by: String,
    pub assigned_at: String,
}

/// Emergency access to one patient for a bounded time.
#[napi(object)]
pub struct BreakGlassGrant {
    pub id: String,
    pub actor: String,
    pub patient: String,
    pub reason: String,
    pub granted_at: String,
    pub expires_at: String,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<String>,
    pub review_note: Option<String>,
}

/// One rule the policy considered.
#[napi(object)]
pub struct ReasonStep {
    pub rule: String,
    pub role: Role,
    pub relationship: Relationship,
    pub held: bool,
}

/// The policy's answer, with its reasons.
#[napi(object)]
pub struct Decision {
    pub allowed: bool,
    pub permission: Permission,
    pub steps: Vec<ReasonStep>,
    pub visible_fields: Vec<PatientField>,
    pub break_glass: Option<String>,
}

/// One hash-chained audit entry.
#[napi(object)]
pub struct AuditEntry {
    pub id: String,
    pub at: String,
    pub actor: String,
    pub roles: Vec<Role>,
    pub action: String,
    pub patient: Option<String>,
    pub outcome: Outcome,
    pub reason: String,
    pub break_glass: Option<String>,
    pub subject: Option<String>,
    pub chain_seq: f64,
    pub prev_hash: String,
    pub hash: String,
}

/// Which audit entries to list.
#[napi(object)]
pub struct AuditQuery {
    pub patient: Option<String>,
    pub actor: Option<String>,
    /// Id of the last entry of the previous page.
    pub after: Option<String>,
    pub limit: Option<f64>,
}

/// The first problem verification found.
#[napi(object)]
pub struct ChainProblem {
    /// The chain (a patient id; absent: entries about no patient, or the checkpoint history).
    pub chain: Option<String>,
    pub seq: f64,
    pub entry: Option<String>,
    pub kind: ProblemKind,
    /// The checkpoint concerned, for problems found against one.
    pub checkpoint: Option<f64>,
}

/// What verifying the audit trail found, and what it checked.
#[napi(object)]
pub struct AuditVerification {
    pub ok: bool,
    pub chains_checked: f64,
    pub entries_checked: f64,
    pub problem: Option<ChainProblem>,
    /// Whether the clinic holds a host audit key (false: the public development key).
    pub keyed: bool,
    /// Fingerprint of the key verified with.
    pub key_id: String,
    /// Stored checkpoints whose signatures and links were checked.
    pub checkpoints_checked: f64,
    /// The newest stored checkpoint the chains were checked against.
    pub anchor: Option<f64>,
    /// The checkpoint passed to `verifyAudit`, found in the stored history.
    pub trusted: Option<f64>,
}

/// A signed checkpoint over every audit chain head: plain JSON data to keep
/// outside the database (`JSON.stringify` it) and pass back to `verifyAudit`.
#[napi(object)]
pub struct AuditCheckpoint {
    pub seq: f64,
    /// RFC 3339 UTC.
    pub at: String,
    pub chains: f64,
    pub entries: f64,
    /// Merkle root (hex) over every pinned chain head.
    pub root: String,
    pub prev_signature: String,
    /// The signing key's fingerprint.
    pub key_id: String,
    /// HMAC-SHA256 (hex) of the fields above.
    pub signature: String,
}

/// One access to a patient's record, as the patient may see it.
#[napi(object)]
pub struct AccessRecord {
    pub at: String,
    pub actor: String,
    pub roles: Vec<Role>,
    pub action: String,
    pub outcome: Outcome,
    pub break_glass: bool,
}

/// One outbox event: `seq` counts 1, 2, 3… within `partition`.
#[napi(object)]
pub struct OutboxEvent {
    pub partition: u32,
    pub seq: f64,
    pub id: String,
    pub kind: String,
    pub schema_version: u32,
    pub patient: Option<String>,
    #[napi(ts_type = "Record<string, unknown>")]
    pub payload: serde_json::Value,
    pub idempotency_key: String,
    pub occurred_at: String,
}
