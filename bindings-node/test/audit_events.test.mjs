import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'

import { open } from '../index.mjs'
import { actor, clinic, details, registered, rejects, settings, sqliteUrl, system } from '../test-support/helpers.mjs'

test('the audit log lists, pages and verifies; entries hold ids and codes only', async () => {
  const c = await clinic()
  const desk = actor('front_desk')
  const p = await registered(c, desk)
  await c.getPatient(desk, p.id)
  await rejects(c.getPatient(actor('practitioner'), p.id), 'forbidden')
  const sys = system()
  const entries = await c.auditLog(sys, { patient: p.id })
  assert.deepEqual(
    entries.map((e) => [e.action, e.outcome]),
    [
      ['patient.register', 'success'],
      ['patient.read', 'success'],
      ['patient.read', 'denied'],
    ],
  )
  const [first, second] = entries
  assert.equal(first.chainSeq, 1)
  assert.equal(second.prevHash, first.hash)
  assert.match(first.hash, /^v2:[0-9a-f]{16}:[0-9a-f]{64}$/)
  assert.equal(first.actor, desk.id)
  assert.deepEqual(first.roles, ['front_desk'])
  assert.equal(first.patient, p.id)
  assert.ok(!JSON.stringify(entries).includes('Okafor'))

  const page1 = await c.auditLog(sys, { patient: p.id, limit: 2 })
  assert.equal(page1.length, 2)
  const page2 = await c.auditLog(sys, { patient: p.id, after: page1[1].id, limit: 2 })
  assert.equal(page2[0].id, entries[2].id)
  await rejects(c.auditLog(sys, { limit: 0 }), 'validation')
  await rejects(c.auditLog(actor('front_desk')), 'forbidden')

  const report = await c.verifyAudit(sys)
  assert.equal(report.ok, true)
  assert.ok(report.chainsChecked >= 2)
  assert.ok(report.entriesChecked >= 4)
  assert.equal(report.problem, undefined)

  const who = await c.whoAccessed(actor('admin'), p.id)
  assert.ok(who.some((r) => r.outcome === 'denied'))
})

test('outbox: poll redelivers until acknowledged; a consumer that was down gets everything', async () => {
  const c = await clinic()
  const desk = actor('front_desk')
  const sys = system()
  const a = await registered(c, desk)
  const a2 = await c.updatePatient(desk, a.id, 1, details('Okafor', 'Changed', '1990-03-04'))
  await c.deactivatePatient(desk, a.id, a2.version)

  const first = await c.pollEvents(sys, 'relay', 10)
  assert.deepEqual(first.map((e) => e.kind), ['patient.registered', 'patient.updated', 'patient.deactivated'])
  const [reg, upd] = first
  assert.equal(reg.patient, a.id)
  assert.equal(reg.schemaVersion, 1)
  assert.equal(reg.payload.patientId, a.id)
  assert.equal(reg.payload.version, 1)
  assert.ok(Array.isArray(upd.payload.changedFields))
  assert.ok(!JSON.stringify(first).includes('Okafor'))
  // SQLite has one writer, so one partition: numbered 1, 2, 3 there.
  assert.deepEqual(first.map((e) => [e.partition, e.seq]), [[0, 1], [0, 2], [0, 3]])
  assert.equal(new Set(first.map((e) => e.idempotencyKey)).size, 3)

  // Not acknowledged: delivered again.
  assert.deepEqual((await c.pollEvents(sys, 'relay', 10)).map((e) => e.id), first.map((e) => e.id))
  assert.equal(await c.ackEvents(sys, 'relay', reg.partition, reg.seq), reg.seq)
  assert.deepEqual((await c.pollEvents(sys, 'relay', 10)).map((e) => e.id), first.slice(1).map((e) => e.id))
  await c.ackEvents(sys, 'relay', first[2].partition, first[2].seq)
  assert.deepEqual(await c.pollEvents(sys, 'relay', 10), [])

  for (let i = 0; i < 4; i++) await c.registerPatient(desk, { details: details('D', `${i}`, '1990-01-01') })
  const received = []
  for (;;) {
    const batch = await c.pollEvents(sys, 'webhook', 3)
    if (batch.length === 0) break
    for (const e of batch) await c.ackEvents(sys, 'webhook', e.partition, e.seq)
    received.push(...batch)
  }
  assert.equal(received.length, 7)
  const after = await c.eventsAfter(sys, [reg.seq], 100)
  assert.equal(after.length, 6)
  await rejects(c.ackEvents(sys, 'webhook', 0, 999), 'validation')
  await rejects(c.ackEvents(sys, 'webhook', 1, 0), 'validation') // no such partition
  await rejects(c.eventsAfter(sys, Array(17).fill(0), 10), 'validation')
  await rejects(c.pollEvents(sys, 'bad consumer!', 10), 'validation')
  await rejects(c.pollEvents(desk, 'x', 10), 'forbidden')
})

test('verifyAudit reports the first edited entry of a tampered SQLite file', async (t) => {
  if (spawnSync('python3', ['-c', 'import sqlite3'], { encoding: 'utf8' }).status !== 0) {
    if (process.env.CI) throw new Error('python3 with sqlite3 is needed to tamper with the file')
    t.skip('python3 with sqlite3 is not available')
    return
  }
  const url = sqliteUrl()
  const c = await open(url, { settings })
  const desk = actor('front_desk')
  const p = await registered(c, desk)
  await c.getPatient(desk, p.id)
  const sys = system()
  assert.equal((await c.verifyAudit(sys)).ok, true)
  const [, second] = await c.auditLog(sys, { patient: p.id })
  const script = `
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=10)
n = db.execute("UPDATE audit_entries SET outcome = 'denied' WHERE id = ?", (sys.argv[2],)).rowcount
db.commit()
sys.exit(0 if n == 1 else 3)
`
  const run = spawnSync('python3', ['-c', script, url.slice('sqlite://'.length), second.id], { encoding: 'utf8' })
  assert.equal(run.status, 0, run.stderr)
  const report = await c.verifyAudit(sys)
  assert.equal(report.ok, false)
  assert.equal(report.problem.kind, 'edited')
  assert.equal(report.problem.entry, second.id)
  assert.equal(report.problem.chain, p.id)
  assert.equal(report.problem.seq, 2)
})

/** Runs a python3 sqlite3 script against a file (the attacker's tool), or skips. */
function tamper(t, file, script, ...args) {
  if (spawnSync('python3', ['-c', 'import sqlite3'], { encoding: 'utf8' }).status !== 0) {
    if (process.env.CI) throw new Error('python3 with sqlite3 is needed to tamper with the file')
    t.skip('python3 with sqlite3 is not available')
    return false
  }
  const run = spawnSync('python3', ['-c', script, file, ...args], { encoding: 'utf8' })
  assert.equal(run.status, 0, run.stderr)
  return true
}

test('an audit key seals the trail; a checkpoint exports as JSON and anchors verification', async () => {
  const auditKey = randomBytes(32)
  const c = await clinic({ auditKey })
  const desk = actor('front_desk')
  const p = await registered(c, desk)
  await c.getPatient(desk, p.id)
  const sys = system()
  const [entry] = await c.auditLog(sys, { patient: p.id })
  assert.ok(entry.hash.startsWith(`v2:${await c.auditKeyId()}:`))
  const checkpoint = await c.auditCheckpoint(sys)
  assert.equal(checkpoint.seq, 1)
  assert.equal(checkpoint.keyId, await c.auditKeyId())
  const kept = JSON.parse(JSON.stringify(checkpoint))
  const report = await c.verifyAudit(sys, kept)
  assert.equal(report.ok, true)
  assert.equal(report.keyed, true)
  assert.equal(report.keyId, await c.auditKeyId())
  assert.equal(report.checkpointsChecked, 1)
  assert.equal(report.anchor, 1)
  assert.equal(report.trusted, 1)
  assert.ok(!JSON.stringify([checkpoint, report]).includes(auditKey.toString('hex')))
  await rejects(c.auditCheckpoint(desk), 'forbidden')
  await rejects(c.verifyAudit(sys, { ...kept, root: 'not hex' }), 'validation')
})

test('without a key the trail is sealed with the development key and says so', async () => {
  const c = await clinic()
  await registered(c)
  const report = await c.verifyAudit(system())
  assert.equal(report.ok, true)
  assert.equal(report.keyed, false)
})

test('a short audit key is refused; another key is reported as a wrong key', async () => {
  await rejects(open('memory:', { auditKey: Buffer.from('too short') }), 'validation')
  const url = sqliteUrl()
  const c = await open(url, { settings, auditKey: randomBytes(32) })
  await registered(c)
  const other = await open(url, { settings, auditKey: new Uint8Array(randomBytes(32)) })
  const report = await other.verifyAudit(system())
  assert.equal(report.ok, false)
  assert.equal(report.problem.kind, 'wrong_key')
})

test('deleting a whole chain, or the newest checkpoint, is detected', async (t) => {
  const url = sqliteUrl()
  const file = url.slice('sqlite://'.length)
  const auditKey = randomBytes(32)
  const c = await open(url, { settings, auditKey })
  const desk = actor('front_desk')
  const p = await registered(c, desk)
  await c.getPatient(desk, p.id)
  const sys = system()
  await c.auditCheckpoint(sys)
  const kept = await c.auditCheckpoint(sys)
  const erase = `
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=10)
db.execute("DELETE FROM audit_entries WHERE patient_id = ?", (sys.argv[2],))
db.execute("DELETE FROM audit_heads WHERE chain = ?", (sys.argv[2],))
db.commit()
`
  if (!tamper(t, file, erase, p.id)) return
  const alone = await c.verifyAudit(sys)
  assert.equal(alone.ok, false)
  assert.equal(alone.problem.kind, 'missing_chain')
  assert.equal(alone.problem.chain, p.id)
  const dropNewest = `
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=10)
db.execute("DELETE FROM audit_checkpoints WHERE seq = 2")
db.commit()
`
  tamper(t, file, dropNewest)
  const anchored = await c.verifyAudit(sys, kept)
  assert.equal(anchored.problem.kind, 'checkpoint_missing')
  assert.equal(anchored.problem.checkpoint, 2)
})
