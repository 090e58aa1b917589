// Compiled (not run) by test/types.test.mjs with `tsc --strict`: the
// generated index.d.ts must type real host code without `any`.
import {
  open,
  newId,
  isCarebaseError,
  type Actor,
  type Appointment,
  type AppointmentQuery,
  type AppointmentStatus,
  type AuditCheckpoint,
  type AuditEntry,
  type AuditVerification,
  type Availability,
  type AvailabilityInput,
  type PatientDetailsInput,
  type BookAppointment,
  type CancellationReason,
  type CarebaseError,
  type Clinic,
  type Decision,
  type DueReminder,
  type FhirAppointmentImport,
  type OutboxEvent,
  type Patient,
  type PatientDetails,
  type PatientPage,
  type Practitioner,
  type Resource,
  type SettingsInput,
  type SlotPage,
  type SlotQuery,
  type VisitType,
  type Weekday,
} from 'carebase'

const settings: SettingsInput = {
  identifierSystems: [{ system: 'urn:mrn', checkDigit: 'luhn' }],
  mrnNamespaces: [{ facility: 'north', system: 'urn:mrn', prefix: '', digits: 7, checkDigit: 'luhn' }],
  // Durations are milliseconds (a Minutes), like Date arithmetic.
  breakGlassDefault: 60 * 60_000,
  lateCancellationWindow: 24 * 60 * 60_000,
}

export async function day(): Promise<number> {
  const auditKey: Uint8Array = new Uint8Array(32)
  const clinic: Clinic = await open('sqlite:///tmp/x.db', { settings, policy: 'version = 1', auditKey })
  const desk: Actor = { id: newId(), roles: ['front_desk'] }
  const details: PatientDetailsInput = {
    names: [{ usage: 'official', family: 'Núñez', given: ['José'] }],
    gender: 'male',
    birthDate: new Date('1984-07-01'),
    telecom: [{ system: 'phone', value: '+1 555 0101', usage: 'mobile' }],
  }
  const p: Patient = await clinic.registerPatient(desk, { details, mrnFacility: 'north' })
  const v: number = p.version
  const page: PatientPage = await clinic.searchPatients(desk, { name: 'jose', limit: 10 })
  const next: string | undefined = page.nextCursor
  const d: Decision = await clinic.explainAccess(desk, 'patient.read', p.id)
  const steps: string[] = d.steps.map((s) => `${s.rule}:${s.role}:${s.relationship}:${s.held}`)
  const log: AuditEntry[] = await clinic.auditLog(desk, { patient: p.id, limit: 5 })
  const kept: AuditCheckpoint = JSON.parse(JSON.stringify(await clinic.auditCheckpoint(desk)))
  const report: AuditVerification = await clinic.verifyAudit(desk, kept)
  const keyed: boolean = report.keyed && report.trusted === kept.seq && report.problem?.kind !== 'forged'
  const keyId: string = await clinic.auditKeyId()
  const events: OutboxEvent[] = await clinic.pollEvents(desk, 'relay', 10)
  const payload: Record<string, unknown> = events[0].payload
  try {
    await clinic.getPatient(desk, p.id)
  } catch (e) {
    if (isCarebaseError(e)) {
      const err: CarebaseError = e
      if (err.code === 'validation') err.fields?.map((f) => f.field)
      if (err.code === 'forbidden') err.reason?.steps.map((s) => s.rule)
      if (err.detail?.kind === 'stale_version') return err.detail.actual
    }
  }
  return v + steps.length + log.length + Object.keys(payload).length + (next ? 1 : 0) + (keyed ? keyId.length : 0)
}

export async function week(clinic: Clinic, desk: Actor, patient: string): Promise<string[]> {
  const admin: Actor = { id: newId(), roles: ['admin'] }
  const monday: Weekday = 'monday'
  const availability: AvailabilityInput = {
    weekly: [{ weekday: monday, start: '09:00', end: '17:00', validFrom: '2027-01-01' }],
    exceptions: [{ date: '2027-03-08' }, { date: '2027-03-09', extraHours: { start: '14:00', end: '15:00' } }],
    timeOff: [{ start: '2027-04-01T00:00:00Z', end: '2027-04-08T00:00:00Z', reason: 'conference' }],
    slotMinutes: 30,
  }
  const doc: Practitioner = await clinic.addPractitioner(admin, { name: 'Dr Weber', timeZone: 'Europe/Berlin', availability })
  const moved: Practitioner = await clinic.setAvailability(admin, doc.id, doc.version, { ...availability, maxPerDay: 12 })
  const room: Resource = await clinic.addResource(admin, { kind: 'room', name: 'Room 1', timeZone: 'Europe/Berlin' })
  const visit: VisitType = await clinic.addVisitType(admin, {
    code: 'follow-up',
    name: 'Follow-up',
    durationMinutes: 30,
    horizonDays: 365,
    reminderOffsetsMinutes: [2880, 120],
  })
  const page: SlotPage = await clinic.findFreeSlots(desk, {
    visitType: visit.id,
    practitioners: [moved.id],
    room: room.id,
    from: '2027-03-01T00:00:00Z',
    to: '2027-03-08T00:00:00Z',
    limit: 10,
  })
  const cursor: string | undefined = page.nextCursor
  const booking: BookAppointment = { patient, practitioner: doc.id, room: room.id, visitType: visit.id, start: page.slots[0].start }
  let a: Appointment
  try {
    a = await clinic.bookAppointment(desk, booking)
  } catch (e) {
    if (isCarebaseError(e) && e.code === 'double_booking') {
      const taken: string | undefined = e.resource
      return [taken ?? '', e.appointment ?? '']
    }
    throw e
  }
  const series: Appointment[] = await clinic.bookSeries(desk, { first: booking, recurrence: { everyWeeks: 2, count: 3 } })
  a = await clinic.rescheduleAppointment(desk, a.id, a.version, { start: page.slots[1].start })
  const from: Date | undefined = a.reschedules[0]?.fromStart
  const status: AppointmentStatus = (await clinic.changeAppointmentStatus(desk, a.id, a.version, 'arrived')).status
  const cancelled = await clinic.cancelAppointment(desk, series[0].id, series[0].version, { reason: 'pat', note: 'ill' })
  const late: boolean | undefined = cancelled.cancellation?.late
  const extra: Record<string, unknown> | undefined = cancelled.fhirExtra
  const query: AppointmentQuery = { practitioner: doc.id, from: '2027-03-01T00:00:00Z', to: '2027-04-01T00:00:00Z', includeInactive: true }
  const day: Appointment[] = await clinic.listAppointments(desk, query)
  const system: Actor = { id: newId(), roles: ['system'] }
  const due: DueReminder[] = await clinic.dueReminders(system, query.from, query.to, 100)
  for (const r of due) await clinic.markReminderSent(system, r.appointment, r.offsetMinutes)
  const seen: Practitioner[] = await clinic.listPractitioners(desk)
  return [cursor ?? '', from?.toISOString() ?? '', status, String(late), String(extra), String(day.length + seen.length)]
}

export async function fhir(clinic: Clinic, desk: Actor, query: SlotQuery, resource: Record<string, unknown>): Promise<number> {
  const fhirImport: FhirAppointmentImport = {
    resource,
    references: { 'Patient/example': newId(), 'Practitioner/example': newId() },
  }
  const a: Appointment = await clinic.importAppointmentFhir(desk, { ...fhirImport, visitType: newId() })
  const kept: Appointment = await clinic.importAppointmentFhir(desk, { ...fhirImport, migration: true })
  try {
    await clinic.assignCareTeam(desk, a.patient, newId())
  } catch (e) {
    const field: string | undefined = isCarebaseError(e) ? e.field : undefined
    const filters: string[] | undefined = isCarebaseError(e) ? e.reason?.fields : undefined
    if (field || filters) return 0
  }
  const reason: CancellationReason = 'pat-mv'
  const cancelled = await clinic.cancelAppointment(desk, kept.id, kept.version, { reason, note: 'moved away' })
  const code: CancellationReason | undefined = cancelled.cancellation?.reason
  const exported: Record<string, unknown> = await clinic.exportAppointmentFhir(desk, a.id)
  const schedule: Record<string, unknown> = await clinic.exportScheduleFhir(desk, a.practitioner)
  const bundle: Record<string, unknown> = await clinic.exportFreeSlotsFhir(desk, query)
  const entries: unknown = bundle.entry
  return Object.keys(exported).length + Object.keys(schedule).length + (Array.isArray(entries) ? entries.length : 0) + (code ? 1 : 0)
}

// @ts-expect-error a cancellation reason is a FHIR code, not free text
export const badReason = (c: Clinic, a: Actor) => c.cancelAppointment(a, 'id', 1, { reason: 'called in sick' })

// @ts-expect-error a FHIR resource is a JSON object, not its text
export const badResource: FhirAppointmentImport = { resource: '{"resourceType":"Appointment"}' }
// @ts-expect-error an unknown weekday is a type error
export const badDay: Availability = { weekly: [{ weekday: 'funday', start: '09:00', end: '10:00' }], slotMinutes: 15 }
// @ts-expect-error an unknown appointment status is a type error
export const badStatus = (c: Clinic, a: Actor) => c.changeAppointmentStatus(a, 'id', 1, 'done')
// The slot grid may be left out: it defaults as in every host (15 minutes).
export const noGrid: AvailabilityInput = { weekly: [] }

// @ts-expect-error an unknown gender is a type error
export const bad: PatientDetails = { gender: 'robot' }
// @ts-expect-error versions are numbers
export const badCall = (c: Clinic, a: Actor) => c.updatePatient(a, 'id', '1', {})
