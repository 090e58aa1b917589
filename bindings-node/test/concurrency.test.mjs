import assert from 'node:assert/strict'
import { test } from 'node:test'

import { open } from '../index.mjs'
import { actor, details, settings, sqliteUrl, system } from '../test-support/helpers.mjs'

test('200 concurrent registrations and reads against one SQLite file all settle correctly', { timeout: 120_000 }, async () => {
  const url = sqliteUrl()
  const c = await open(url, { settings })
  const desk = actor('front_desk')
  const N = 200
  const registered = await Promise.all(
    Array.from({ length: N }, (_, i) =>
      c.registerPatient(desk, { details: details('Concurrent', `P${i}`, '1990-01-01') }),
    ),
  )
  assert.equal(registered.length, N)
  assert.equal(new Set(registered.map((p) => p.id)).size, N)

  // Reads, updates and MRN generation interleaved on the same file.
  const [reads, updates, generated] = await Promise.all([
    Promise.all(registered.map((p) => c.getPatient(desk, p.id))),
    Promise.all(registered.slice(0, 50).map((p) => c.updatePatient(desk, p.id, 1, { ...p.details, language: 'en' }))),
    Promise.all(Array.from({ length: 10 }, () => c.generateMrn(desk, 'north'))),
  ])
  assert.deepEqual(reads.map((p) => p.id), registered.map((p) => p.id))
  assert.ok(updates.every((p) => p.version === 2))
  assert.equal(new Set(generated.map((m) => m.value)).size, 10, 'every MRN is unique')

  // The same stale update raced 10 times: exactly one wins.
  const target = registered[N - 1]
  const race = await Promise.allSettled(
    Array.from({ length: 10 }, () => c.updatePatient(desk, target.id, 1, { ...target.details, language: 'fr' })),
  )
  assert.equal(race.filter((r) => r.status === 'fulfilled').length, 1)
  assert.ok(race.filter((r) => r.status === 'rejected').every((r) => r.reason.code === 'conflict'))

  const found = []
  let cursor
  do {
    const page = await c.searchPatients(desk, { name: 'concurrent', limit: 100, cursor })
    found.push(...page.items)
    cursor = page.nextCursor
  } while (cursor)
  assert.equal(found.length, N)

  // A second clinic over the same file sees everything; the audit verifies.
  const again = await open(url, { settings })
  const sys = system()
  const report = await again.verifyAudit(sys)
  assert.equal(report.ok, true, JSON.stringify(report.problem))
  assert.ok(report.entriesChecked >= N * 3, String(report.entriesChecked))
  const events = await again.eventsAfter(sys, [], 1000)
  assert.equal(events.filter((e) => e.kind === 'patient.registered').length, N)
})

// MRNs come from a store sequence: concurrent registrations never collide.
test('200 concurrent registrations WITH an MRN all succeed with distinct MRNs', { timeout: 120_000 }, async () => {
  const c = await open(sqliteUrl(), { settings })
  const desk = actor('front_desk')
  const registered = await Promise.all(
    Array.from({ length: 200 }, (_, i) =>
      c.registerPatient(desk, { details: details('Mrn', `P${i}`, '1990-01-01'), mrnFacility: 'north' }),
    ),
  )
  const mrns = registered.map((p) => p.details.identifiers[0].value)
  assert.equal(new Set(mrns).size, 200, 'no MRN is given twice')
  assert.equal((await c.verifyAudit(system())).ok, true)
})
