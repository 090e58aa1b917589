// Shared fixtures for the node:test suite (mirrors core/tests/common).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after } from 'node:test'

import { open, newId } from '../index.mjs'

export const MRN = 'urn:carebase:mrn:north'

export const settings = {
  identifierSystems: [{ system: MRN, checkDigit: 'luhn' }],
  mrnNamespaces: [{ facility: 'north', system: MRN, prefix: '', digits: 7, checkDigit: 'luhn' }],
}

const dirs = []
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

/** A fresh SQLite file in a temporary directory. */
export function sqliteUrl() {
  const dir = mkdtempSync(join(tmpdir(), 'carebase-node-'))
  dirs.push(dir)
  return `sqlite://${join(dir, 'clinic.db')}`
}

/** A clinic over a fresh SQLite file with the test settings. */
export function clinic(options = {}) {
  return open(sqliteUrl(), { settings, ...options })
}

export const actor = (role, extra = {}) => ({ id: newId(), roles: [role], ...extra })
export const practitioner = () => actor('practitioner', { practitioner: newId() })
export const system = () => actor('system')

export function details(family, given, birthDate, extra = {}) {
  return {
    names: [{ family, given: given ? [given] : [] }],
    birthDate,
    gender: 'female',
    telecom: [{ system: 'phone', value: '+1 555 0100', usage: 'mobile' }],
    ...extra,
  }
}

export async function registered(c, who = actor('front_desk'), d = details('Okafor', 'Amara', '1990-03-04')) {
  return c.registerPatient(who, { details: d })
}

/** `time` (`HH:MM`) in Berlin on Monday 2027-03-01 plus `weeks`, as a
 *  `Date` (instants are `Date`s in JavaScript). Those Mondays are in CET:
 *  09:00 there is 08:00Z. */
export function berlin(time, weeks = 0) {
  const [h, m] = time.split(':').map(Number)
  return new Date(Date.UTC(2027, 2, 1 + 7 * weeks, h - 1, m))
}

/** A practitioner open Mondays 09:00–17:00 in Berlin on a 30-minute grid,
 *  and a 30-minute visit type with reminders 2 days and 2 hours ahead. */
export async function schedule(c, who = system()) {
  const practitioner = await c.addPractitioner(who, {
    name: 'Dr Weber',
    timeZone: 'Europe/Berlin',
    availability: { weekly: [{ weekday: 'monday', start: '09:00', end: '17:00' }], slotMinutes: 30 },
  })
  const visitType = await c.addVisitType(who, {
    code: 'follow-up',
    name: 'Follow-up',
    durationMinutes: 30,
    horizonDays: 3650,
    reminderOffsetsMinutes: [2880, 120],
  })
  return { practitioner, visitType }
}

/** Awaits `promise`, expecting a rejection with `code`; returns the error. */
export async function rejects(promise, code) {
  try {
    await promise
  } catch (err) {
    if (err.code !== code) {
      throw new Error(`expected code ${code}, got ${err.code}: ${err.message}`)
    }
    if (!(err instanceof Error)) throw new Error('rejection is not an Error')
    return err
  }
  throw new Error(`expected a rejection with code ${code}, but it resolved`)
}

/** An official FHIR R4 example resource from the shared fixtures (read-only),
 *  parsed afresh on each call. */
export function fhirExample(name) {
  const url = new URL(`../../../shared/fixtures/fhir/r4-examples/${name}`, import.meta.url)
  return JSON.parse(readFileSync(url, 'utf8'))
}
