// Issue 10, defect 11: bounded lists, capped errors, settings checked when a
// clinic opens, and the phone region. The rules live in core; these check
// they reach JavaScript.
import assert from 'node:assert/strict'
import { test } from 'node:test'

import { open } from '../index.mjs'
import { actor, clinic, details, registered, rejects, settings } from '../test-support/helpers.mjs'

const desk = actor('front_desk')
const codes = (err) => err.fields.map((f) => `${f.field} ${f.code}`)

test('fifty thousand given names are one too_many error', async () => {
  const c = await clinic()
  const d = details('Garcia', 'Ana', '1980-01-01')
  d.names[0].given = Array.from({ length: 50_000 }, (_, i) => `Given${i}`)
  const err = await rejects(c.registerPatient(desk, { details: d }), 'validation')
  assert.deepEqual(codes(err), ['names[0].given too_many'])
  assert.equal(err.fields[0].message, 'at most 20 given names')
})

test('a validation error lists a hundred fields, then says the rest were left out', async () => {
  const c = await clinic()
  const bad = { given: Array(20).fill('\u0000') }
  const err = await rejects(c.registerPatient(desk, { details: { names: Array(20).fill(bad) } }), 'validation')
  assert.equal(err.fields.length, 101)
  assert.deepEqual([err.fields[100].field, err.fields[100].code], ['', 'too_many_errors'])
})

// Durations are milliseconds in JavaScript (they cross as whole minutes).
const HOUR = 60 * 60_000

test('a bad setting rejects open with a validation error naming it', async () => {
  const ns = settings.mrnNamespaces[0]
  const cases = [
    [{ mrnNamespaces: [{ ...ns, digits: 1000 }] }, ['settings.mrn_namespaces[0].digits out_of_range']],
    [{ mrnNamespaces: [{ ...ns, digits: 1 }] }, ['settings.mrn_namespaces[0].digits out_of_range']],
    [{ breakGlassDefault: 48 * HOUR, breakGlassMax: 24 * HOUR }, ['settings.break_glass_default out_of_range']],
    [{ breakGlassMax: 0 }, ['settings.break_glass_max out_of_range', 'settings.break_glass_default out_of_range']],
    [{ identifierSystems: [...settings.identifierSystems, ...settings.identifierSystems] }, ['settings.identifier_systems[1].system duplicate']],
    [{ phoneRegion: 'Narnia' }, ['settings.phone_region invalid_value']],
  ]
  for (const [change, expected] of cases) {
    const err = await rejects(open('memory:', { settings: { ...settings, ...change } }), 'validation')
    assert.deepEqual(codes(err), expected, JSON.stringify(change))
  }
})

test('with a phone region both spellings of one number find each other', async () => {
  const c = await open('memory:', { settings: { ...settings, phoneRegion: 'US' } })
  const a = details('Okafor', 'Chi', '1985-03-04', { telecom: [{ system: 'phone', value: '+1 555 0100' }] })
  const b = details('Nwosu', 'Ada', '1950-01-01', { telecom: [{ system: 'phone', value: '555-0100' }] })
  const first = await registered(c, desk, a)
  await registered(c, desk, b)
  for (const typed of ['555-0100', '+1 555 0100', '(555) 0100']) {
    assert.equal((await c.searchPatients(desk, { phone: typed })).items.length, 2, typed)
  }
  // The system sees phones (an admin matches on names and identifiers only).
  const found = await c.findDuplicates(actor('system'), first.id, 10)
  assert.equal(found.length, 1)
  assert.equal(found[0].score.phone.similarity, 1)
})
