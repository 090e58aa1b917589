// Read-your-writes over a PostgreSQL store opened through `open()`.
// Needs CAREBASE_PG_URL (eval "$(bash scripts/postgres | tail -n 1)"): without
// it these tests skip, or fail when CI is set. The database is shared across
// runs, so names, the MRN facility and its identifier system carry a random
// suffix unique to this run.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { test } from 'node:test'

import { open } from '../index.mjs'
import { actor, details, practitioner, rejects, system } from '../test-support/helpers.mjs'

const URL = process.env.CAREBASE_PG_URL
const SUFFIX = randomUUID().replaceAll('-', '').slice(0, 10)
const FACILITY = `pg-${SUFFIX}`
const MRN = `urn:carebase:mrn:pg-${SUFFIX}`
const settings = {
  identifierSystems: [{ system: MRN, checkDigit: 'luhn' }],
  mrnNamespaces: [{ facility: FACILITY, system: MRN, prefix: '', digits: 7, checkDigit: 'luhn' }],
}
const desk = actor('front_desk')
const admin = actor('admin')
const sys = system()

let opened
const pg = () => (opened ??= open(URL, { settings }))

function pgTest(name, fn) {
  if (URL) return test(`postgres: ${name}`, { timeout: 30_000 }, async () => fn(await pg()))
  if (process.env.CI) {
    return test(`postgres: ${name}`, () => assert.fail('CI is set but CAREBASE_PG_URL is not: run `bash scripts/postgres` first'))
  }
  return test(`postgres: ${name}`, { skip: 'CAREBASE_PG_URL is not set (eval "$(bash scripts/postgres | tail -n 1)")' }, () => {})
}

pgTest('register, get back, update with the expected version; a stale version conflicts', async (c) => {
  const p = await c.registerPatient(desk, { details: details(`Rw${SUFFIX}`, 'Ada', '1984-07-01') })
  assert.equal(p.version, 1)
  assert.deepEqual(await c.getPatient(desk, p.id), p)
  const changed = { ...p.details, language: 'es-MX' }
  const v2 = await c.updatePatient(desk, p.id, 1, changed)
  assert.equal(v2.version, 2)
  assert.equal((await c.getPatient(desk, p.id)).details.language, 'es-MX')
  const err = await rejects(c.updatePatient(desk, p.id, 1, changed), 'conflict')
  assert.deepEqual(err.detail, { kind: 'stale_version', entity: 'patient', expected: 1, actual: 2 })
  assert.equal((await c.getPatient(desk, p.id)).version, 2)
})

pgTest('search pages by the unique name prefix and folds accents', async (c) => {
  const ids = []
  for (let i = 0; i < 5; i++) {
    ids.push((await c.registerPatient(desk, { details: details(`Page${SUFFIX}`, `N${i}`, '1970-01-01') })).id)
  }
  const sizes = []
  const seen = []
  let cursor
  do {
    const page = await c.searchPatients(desk, { name: `page${SUFFIX}`, limit: 2, cursor })
    sizes.push(page.items.length)
    seen.push(...page.items.map((p) => p.id))
    cursor = page.nextCursor
  } while (cursor)
  assert.deepEqual(sizes, [2, 2, 1])
  assert.deepEqual(seen, ids)

  const jose = await c.registerPatient(desk, { details: details(`Núñez${SUFFIX}`, `José${SUFFIX}`, '1984-07-01') })
  for (const q of [`jose${SUFFIX}`, `JOSÉ${SUFFIX.toUpperCase()}`, `nunez${SUFFIX} jose`]) {
    const page = await c.searchPatients(desk, { name: q })
    assert.deepEqual(page.items.map((p) => p.id), [jose.id], q)
  }
})

pgTest('20 concurrent MRN registrations get distinct MRNs; a duplicate identifier conflicts', async (c) => {
  const patients = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      c.registerPatient(desk, { details: details(`Mrn${SUFFIX}`, `P${i}`, '1990-01-01'), mrnFacility: FACILITY }),
    ),
  )
  const mrns = patients.map((p) => p.details.identifiers[0])
  assert.ok(mrns.every((m) => m.system === MRN))
  assert.equal(new Set(mrns.map((m) => m.value)).size, 20)
  assert.deepEqual((await c.getPatient(desk, patients[7].id)).details.identifiers, [mrns[7]])

  const dup = details(`Dup${SUFFIX}`, 'Lic', '1990-01-01', { identifiers: [{ system: MRN, value: mrns[0].value }] })
  const err = await rejects(c.registerPatient(desk, { details: dup }), 'conflict')
  assert.deepEqual(err.detail, { kind: 'duplicate_identifier', system: MRN })
})

pgTest('merge and unmerge', async (c) => {
  const a = await c.registerPatient(desk, { details: details(`Okafor${SUFFIX}`, 'Amara', '1990-03-04') })
  const b = await c.registerPatient(desk, { details: details(`Okafor${SUFFIX}`, 'Amarah', '1990-03-04') })
  const merge = await c.mergePatients(sys, a.id, a.version, b.id, b.version)
  assert.equal(merge.survivor, a.id)
  assert.equal(merge.merged, b.id)
  const gone = await c.getPatient(desk, b.id)
  assert.equal(gone.mergedInto, a.id)
  assert.equal(gone.active, false)
  const back = await c.unmergePatients(sys, merge.id)
  assert.equal(back.active, true)
  assert.equal(back.mergedInto, undefined)
  assert.deepEqual(back.details.names, b.details.names)
  await rejects(c.unmergePatients(sys, merge.id), 'conflict')
  const history = await c.mergeHistory(sys, b.id)
  assert.deepEqual(history.map((m) => m.id), [merge.id])
  assert.ok(history[0].unmergedAt)
})

pgTest('a denied read carries its reason and is audited', async (c) => {
  const p = await c.registerPatient(desk, { details: details(`Deny${SUFFIX}`, 'Me', '1970-01-01') })
  const doc = practitioner()
  const err = await rejects(c.getPatient(doc, p.id), 'forbidden')
  assert.equal(err.reason.permission, 'patient.read')
  assert.ok(err.reason.steps.length > 0 && err.reason.steps.every((s) => !s.held))
  const log = await c.auditLog(sys, { actor: doc.id })
  assert.deepEqual(log.map((e) => [e.action, e.outcome, e.patient]), [['patient.read', 'denied', p.id]])
})

const PARTITIONS = 16
const END = Number.MAX_SAFE_INTEGER // past every event of a partition

// The newest sequence number of each partition, found with O(log n) probes each.
async function newestPosition(c) {
  const position = []
  for (let p = 0; p < PARTITIONS; p++) {
    const anyAfter = async (seq) => {
      const only = Array(PARTITIONS).fill(END)
      only[p] = seq
      return (await c.eventsAfter(sys, only, 1)).length > 0
    }
    let [lo, hi] = [0, 1]
    while (await anyAfter(hi)) [lo, hi] = [hi, hi * 2]
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2)
      if (await anyAfter(mid)) lo = mid
      else hi = mid
    }
    position.push((await anyAfter(lo)) ? hi : lo)
  }
  return position
}

pgTest('events after a position include this run\'s registrations; the audit verifies', async (c) => {
  const after = await newestPosition(c)
  const mine = []
  for (let i = 0; i < 3; i++) {
    mine.push((await c.registerPatient(desk, { details: details(`Ev${SUFFIX}`, `E${i}`, '1970-01-01') })).id)
  }
  const found = []
  for (;;) {
    const batch = await c.eventsAfter(sys, after, 1000)
    if (!batch.length) break
    found.push(...batch.filter((e) => mine.includes(e.patient)))
    for (const e of batch) after[e.partition] = e.seq
  }
  assert.deepEqual(found.map((e) => e.kind), Array(3).fill('patient.registered'))
  assert.deepEqual([...found.map((e) => e.patient)].sort(), [...mine].sort())

  const report = await c.verifyAudit(admin)
  assert.equal(report.ok, true, JSON.stringify(report.problem))
  assert.equal(report.problem, undefined)
  assert.ok(report.chainsChecked >= 3)
})
