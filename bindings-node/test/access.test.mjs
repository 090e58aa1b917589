import assert from 'node:assert/strict'
import { test } from 'node:test'

import { defaultPolicy, newId, open } from '../index.mjs'
import { actor, clinic, practitioner, registered, rejects, settings, sqliteUrl, system } from '../test-support/helpers.mjs'

const minutesBetween = (a, b) => (b - a) / 60000
// Durations are milliseconds in JavaScript, like every host's own duration
// type (ARCHITECTURE.md, "Durations"); they cross as whole minutes.
const MINUTE = 60_000
const HOUR = 60 * MINUTE


test('a patient reads their own record only', async () => {
  const c = await clinic()
  const p = await registered(c)
  const other = await registered(c)
  const me = actor('patient', { patient: p.id })
  assert.equal((await c.getPatient(me, p.id)).id, p.id)
  await rejects(c.getPatient(me, other.id), 'forbidden')
})

test('a denied read carries its reason and is audited', async () => {
  const c = await clinic()
  const p = await registered(c)
  const doc = practitioner()
  const err = await rejects(c.getPatient(doc, p.id), 'forbidden')
  assert.equal(err.reason.permission, 'patient.read')
  assert.deepEqual(
    err.reason.steps.map((s) => [s.rule, s.role, s.relationship, s.held]),
    [
      ['clinician-care-team', 'practitioner', 'care_team', false],
      ['clinician-break-glass-read', 'practitioner', 'break_glass', false],
    ],
  )
  const log = await c.auditLog(system(), { actor: doc.id })
  assert.deepEqual(log.map((e) => [e.action, e.outcome]), [['patient.read', 'denied']])
})

test('explainAccess answers with reasons and visible fields, writing nothing', async () => {
  const c = await clinic()
  const p = await registered(c)
  const billing = await c.explainAccess(actor('billing'), 'patient.read', p.id)
  assert.equal(billing.allowed, true)
  assert.equal(billing.permission, 'patient.read')
  assert.ok(!billing.visibleFields.includes('telecom'))
  assert.ok(billing.steps.length >= 1)
  const none = await c.explainAccess(actor('billing'), 'outbox.read')
  assert.equal(none.allowed, false)
})

test('a clinician on the care team reads, and loses access when removed', async () => {
  const c = await clinic()
  const p = await registered(c)
  const doc = practitioner()
  const admin = actor('admin')
  await c.addPractitioner(admin, { id: doc.practitioner, name: 'Dr Care', timeZone: 'UTC' })
  const a = await c.assignCareTeam(admin, p.id, doc.practitioner)
  assert.equal(a.patient, p.id)
  assert.equal(a.practitioner, doc.practitioner)
  assert.equal(a.assignedBy, admin.id)
  const dup = await rejects(c.assignCareTeam(admin, p.id, doc.practitioner), 'conflict')
  assert.equal(dup.detail.kind, 'already_exists')
  assert.deepEqual((await c.careTeam(admin, p.id)).map((x) => x.practitioner), [doc.practitioner])
  assert.equal((await c.getPatient(doc, p.id)).id, p.id)
  await c.removeCareTeam(admin, p.id, doc.practitioner)
  assert.deepEqual(await c.careTeam(admin, p.id), [])
  await rejects(c.getPatient(doc, p.id), 'forbidden')
  // An admin manages care teams but cannot read the record.
  await rejects(c.getPatient(admin, p.id), 'forbidden')
})

test('break the glass: reason required, default and maximum duration, flagged and reviewed', async () => {
  const c = await clinic()
  const p = await registered(c)
  const doc = practitioner()
  const noReason = await rejects(c.requestEmergencyAccess(doc, p.id, '   '), 'validation')
  assert.equal(noReason.fields[0].field, 'reason')
  await rejects(c.requestEmergencyAccess(doc, p.id, 'transfer', 48 * HOUR), 'validation')

  const grant = await c.requestEmergencyAccess(doc, p.id, 'unconscious')
  assert.equal(minutesBetween(grant.grantedAt, grant.expiresAt), 60)
  assert.equal(grant.reviewedBy, undefined)
  await c.getPatient(doc, p.id)
  await c.getPatient(doc, p.id)
  const reads = (await c.auditLog(system(), { actor: doc.id })).filter((e) => e.action === 'patient.read')
  assert.equal(reads.length, 2)
  assert.ok(reads.every((e) => e.breakGlass === grant.id))

  const admin = actor('admin')
  const waiting = await c.grantsAwaitingReview(admin, 10)
  assert.deepEqual(waiting.map((g) => g.id), [grant.id])
  const reviewed = await c.reviewEmergencyAccess(admin, grant.id, 'appropriate')
  assert.equal(reviewed.reviewedBy, admin.id)
  assert.equal(reviewed.reviewNote, 'appropriate')
  assert.deepEqual(await c.grantsAwaitingReview(admin, 10), [])
  await rejects(c.reviewEmergencyAccess(admin, grant.id), 'conflict')
  await rejects(c.reviewEmergencyAccess(admin, newId()), 'not_found')

  const short = await c.requestEmergencyAccess(practitioner(), p.id, 'short', 15 * MINUTE)
  assert.equal(minutesBetween(short.grantedAt, short.expiresAt), 15)
})

test('break-glass durations come from settings', async () => {
  const c = await open(sqliteUrl(), { settings: { ...settings, breakGlassDefault: 30 * MINUTE, breakGlassMax: 90 * MINUTE } })
  const p = await registered(c)
  const g = await c.requestEmergencyAccess(practitioner(), p.id, 'seizure')
  assert.equal(minutesBetween(g.grantedAt, g.expiresAt), 30)
  await rejects(c.requestEmergencyAccess(practitioner(), p.id, 'seizure', 91 * MINUTE), 'validation')
})

test('a patient sees who accessed their record', async () => {
  const c = await clinic()
  const p = await registered(c)
  const desk = actor('front_desk')
  await c.getPatient(desk, p.id)
  const me = actor('patient', { patient: p.id })
  const log = await c.whoAccessed(me, p.id)
  assert.ok(log.some((r) => r.actor === desk.id && r.action === 'patient.read' && r.outcome === 'success'))
  assert.ok(log.every((r) => typeof r.breakGlass === 'boolean' && Array.isArray(r.roles)))
  assert.equal((await c.whoAccessed(me, p.id, 1)).length, 1)
  const mine = await c.auditLog(system(), { actor: me.id })
  assert.deepEqual(mine.map((e) => e.action), ['audit.access_log', 'audit.access_log'])
  const other = await registered(c)
  await rejects(c.whoAccessed(me, other.id), 'forbidden')
})

test('a replaced policy (JSON or TOML) takes effect and the change is audited', async () => {
  const c = await clinic()
  const p = await registered(c)
  const billing = actor('billing')
  await c.getPatient(billing, p.id)
  const sys = system()
  const strict = JSON.stringify({
    version: 1,
    rules: [{ id: 'system', roles: ['system'], permissions: ['policy.manage', 'audit.read'], relationship: 'any' }],
  })
  await c.replacePolicy(sys, strict)
  await rejects(c.getPatient(billing, p.id), 'forbidden')
  const changes = await c.auditLog(sys, { actor: sys.id })
  assert.equal(changes[0].action, 'policy.manage')
  await c.replacePolicy(sys, defaultPolicy())
  await c.getPatient(billing, p.id)
})

test('a front desk actor cannot replace the policy; a broken policy is invalid_policy', async () => {
  const c = await clinic()
  await rejects(c.replacePolicy(actor('front_desk'), defaultPolicy()), 'forbidden')
  const err = await rejects(c.replacePolicy(system(), 'version = 1\n[[rules]]\nid = 3\n'), 'invalid_policy')
  assert.equal(typeof err.location, 'string')
  assert.match(err.location, /line/)
  const atOpen = await rejects(open('memory:', { policy: '{"version": 1, "rules": [' }), 'invalid_policy')
  assert.equal(typeof atOpen.location, 'string')
})

test('a host policy given at open is in force', async () => {
  const policy = `
version = 1
[[rules]]
id = "desk-register-only"
roles = ["front_desk"]
permissions = ["patient.register"]
relationship = "any"
`
  const c = await open(sqliteUrl(), { settings, policy })
  const desk = actor('front_desk')
  const p = await registered(c, desk)
  const err = await rejects(c.getPatient(desk, p.id), 'forbidden')
  assert.deepEqual(err.reason.steps, [])
})
