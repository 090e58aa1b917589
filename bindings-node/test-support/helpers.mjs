// Shared fixtures for the node:test suite (mirrors core/tests/common).
import { mkdtempSync, rmSync } from 'node:fs'
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
    telecom: [{ system: 'phone', value: '+1 555 0100', use: 'mobile' }],
    ...extra,
  }
}

export async function registered(c, who = actor('front_desk'), d = details('Okafor', 'Amara', '1990-03-04')) {
  return c.registerPatient(who, { details: d })
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
