// Compiled (not run) by test/types.test.mjs with `tsc --strict`: the
// generated index.d.ts must type real host code without `any`.
import {
  open,
  newId,
  isCarebaseError,
  type Actor,
  type AuditEntry,
  type CarebaseError,
  type Clinic,
  type Decision,
  type OutboxEvent,
  type Patient,
  type PatientDetails,
  type PatientPage,
  type Settings,
} from 'carebase'

const settings: Settings = {
  identifierSystems: [{ system: 'urn:mrn', checkDigit: 'luhn' }],
  mrnNamespaces: [{ facility: 'north', system: 'urn:mrn', digits: 7, checkDigit: 'luhn' }],
  breakGlassDefaultMinutes: 60,
}

export async function day(): Promise<number> {
  const clinic: Clinic = await open('sqlite:///tmp/x.db', { settings, policy: 'version = 1' })
  const desk: Actor = { id: newId(), roles: ['front_desk'] }
  const details: PatientDetails = {
    names: [{ use: 'official', family: 'Núñez', given: ['José'] }],
    gender: 'male',
    birthDate: '1984-07-01',
    telecom: [{ system: 'phone', value: '+1 555 0101', use: 'mobile' }],
  }
  const p: Patient = await clinic.registerPatient(desk, { details, mrnFacility: 'north' })
  const v: number = p.version
  const page: PatientPage = await clinic.searchPatients(desk, { name: 'jose', limit: 10 })
  const next: string | undefined = page.nextCursor
  const d: Decision = await clinic.explainAccess(desk, 'patient.read', p.id)
  const steps: string[] = d.steps.map((s) => `${s.rule}:${s.role}:${s.relationship}:${s.held}`)
  const log: AuditEntry[] = await clinic.auditLog(desk, { patient: p.id, limit: 5 })
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
  return v + steps.length + log.length + Object.keys(payload).length + (next ? 1 : 0)
}

// @ts-expect-error an unknown gender is a type error
export const bad: PatientDetails = { gender: 'robot' }
// @ts-expect-error versions are numbers
export const badCall = (c: Clinic, a: Actor) => c.updatePatient(a, 'id', '1', {})
