// Every error code reaches JavaScript as an Error with a stable `.code` and
// its details; bad input to every entry point is a typed rejection, never a
// crash, a hang or a synchronous throw.
import assert from 'node:assert/strict'
import { test } from 'node:test'

import { CarebaseError, Clinic, defaultPolicy, isCarebaseError, newId, open } from '../index.mjs'
import { actor, clinic, details, registered, rejects, system } from '../test-support/helpers.mjs'

const CODES = ['validation', 'not_found', 'conflict', 'forbidden', 'invalid_policy', 'unsupported_store', 'storage']

test('every core error code reaches JavaScript with its details', async () => {
  const seen = new Map()
  const c = await clinic()
  const desk = actor('front_desk')
  const p = await registered(c, desk)
  seen.set('validation', await rejects(c.registerPatient(desk, { details: {} }), 'validation'))
  seen.set('not_found', await rejects(c.getPatient(desk, newId()), 'not_found'))
  seen.set('conflict', await rejects(c.updatePatient(desk, p.id, 9, p.details), 'conflict'))
  seen.set('forbidden', await rejects(c.getPatient(actor('practitioner'), p.id), 'forbidden'))
  seen.set('invalid_policy', await rejects(open('memory:', { policy: 'version = "one"' }), 'invalid_policy'))
  seen.set('unsupported_store', await rejects(open('mysql://localhost/x'), 'unsupported_store'))
  seen.set('storage', await rejects(open('sqlite:///nonexistent-dir/deeper/clinic.db'), 'storage'))
  assert.deepEqual([...seen.keys()].sort(), [...CODES].sort())
  for (const [code, err] of seen) {
    assert.ok(err instanceof Error, code)
    assert.ok(err instanceof CarebaseError, code)
    assert.ok(isCarebaseError(err), code)
    assert.equal(err.name, 'CarebaseError')
    assert.equal(err.code, code)
    assert.equal(typeof err.message, 'string')
    assert.ok(!err.message.startsWith('carebase-error:'), err.message)
    assert.ok(err.stack.includes('errors.test.mjs'), err.stack)
  }
  assert.ok(Array.isArray(seen.get('validation').fields))
  assert.ok(seen.get('validation').fields.every((f) => f.field && f.code && f.message))
  assert.equal(seen.get('forbidden').reason.permission, 'patient.read')
  assert.ok(Array.isArray(seen.get('forbidden').reason.steps))
  assert.match(seen.get('invalid_policy').location, /line 1/)
  assert.equal(seen.get('unsupported_store').scheme, 'mysql')
  assert.equal(seen.get('not_found').entity, 'patient')
  assert.equal(seen.get('conflict').detail.kind, 'stale_version')
})

test('arguments of the wrong JavaScript type reject with a TypeError coded validation', async () => {
  const c = await clinic()
  const err = await rejects(c.getPatient(undefined, newId()), 'validation')
  assert.ok(err instanceof TypeError)
  assert.ok(Array.isArray(err.fields))
  const enumErr = await rejects(c.registerPatient(actor('front_desk'), { details: { gender: 'Secret Name' } }), 'validation')
  assert.ok(enumErr instanceof TypeError)
  assert.ok(!enumErr.message.includes('Secret Name'), enumErr.message)
  const numErr = await rejects(c.getPatient(actor('front_desk'), { secret: 'Secret Name' }), 'validation')
  assert.ok(!numErr.message.includes('Secret Name'), numErr.message)
})

// ---- bad input to every entry point ---------------------------------------

const MB = 'x'.repeat(1 << 20)
const BAD = {
  actor: [undefined, null, 42, 'admin', {}, [], { id: 'nope', roles: ['admin'] }, { id: newId(), roles: ['wizard'] },
    { id: newId(), roles: 'admin' }, { id: MB, roles: ['system'] }, { id: newId(), roles: ['system'], patient: 'bad' },
    { id: newId(), roles: [null] }, { id: NaN, roles: [] }],
  id: [undefined, null, 42, NaN, '', ' ', 'not-a-uuid', MB, {}, [], '2020-01-01'],
  number: [undefined, null, NaN, -1, 1.5, Infinity, -Infinity, '1', 2 ** 60, {}],
  optNumber: [NaN, -1, 1.5, Infinity, '1', 2 ** 60, {}],
  text: [undefined, null, 42, NaN, '', MB, {}, []],
  optId: [42, NaN, '', 'not-a-uuid', MB, {}],
  permission: [undefined, null, '', 'patient.eat', 42, MB],
  newPatient: [undefined, null, 42, 'x', [], { details: null }, { details: { names: 'x' } },
    { details: { names: [{ family: MB }] } }, { details: { birthDate: '2020-02-30', names: [{ family: 'A' }] } },
    { details: { birthDate: 'yesterday', names: [{ family: 'A' }] } }, { details: { names: [{ family: 'A' }], deceasedAt: 'nope' } },
    { details: { names: [{ family: 'A' }], telecom: [{ system: 'fax', value: '1' }] } },
    { details: { names: [{ family: 'A' }], telecom: [{ system: 'email', value: MB }] } },
    { details: { names: [{ family: 'A' }], identifiers: [{ system: '', value: '' }] } },
    { details: { names: [{ family: 'A' }] }, mrnFacility: 'nowhere' }, { details: { names: [{ family: '' }] } }],
  details: [undefined, null, 42, { names: [{ given: [MB] }] }, { birthDate: '1990-1-1', names: [{ family: 'A' }] }, {}],
  query: [42, 'x', { limit: NaN }, { limit: -1 }, { limit: 0 }, { limit: 5000 }, { cursor: 'x' }, { cursor: MB },
    { birthDate: '1990-02-30' }, { gender: 'x' }, { name: MB }],
  auditQuery: [42, { limit: NaN }, { limit: 0 }, { patient: 'x' }, { actor: 42 }, { after: MB }],
  consumer: [undefined, null, 42, '', 'has space', MB],
}

test('bad input to every entry point is a typed rejection, never a crash or hang', { timeout: 120_000 }, async () => {
  const c = await clinic()
  const desk = actor('front_desk')
  const p = await registered(c, desk)
  const sys = system()
  const S = () => sys
  // method: [kind of each argument, valid value of each argument]
  const methods = {
    registerPatient: [['actor', 'newPatient'], [desk, { details: details('A', 'B', '1990-01-01') }]],
    getPatient: [['actor', 'id'], [desk, p.id]],
    updatePatient: [['actor', 'id', 'number', 'details'], [desk, p.id, 1, p.details]],
    deactivatePatient: [['actor', 'id', 'number'], [desk, p.id, 1]],
    reactivatePatient: [['actor', 'id', 'number'], [desk, p.id, 1]],
    searchPatients: [['actor', 'query'], [desk, { name: 'a' }]],
    generateMrn: [['actor', 'text'], [desk, 'north']],
    findDuplicates: [['actor', 'id', 'number'], [S(), p.id, 5]],
    mergePatients: [['actor', 'id', 'number', 'id', 'number'], [S(), p.id, 1, p.id, 1]],
    unmergePatients: [['actor', 'id'], [S(), newId()]],
    mergeHistory: [['actor', 'id'], [S(), p.id]],
    assignCareTeam: [['actor', 'id', 'id'], [S(), p.id, newId()]],
    removeCareTeam: [['actor', 'id', 'id'], [S(), p.id, newId()]],
    careTeam: [['actor', 'id'], [S(), p.id]],
    explainAccess: [['actor', 'permission', 'optId'], [S(), 'patient.read', p.id]],
    requestEmergencyAccess: [['actor', 'id', 'text', 'optNumber'], [S(), p.id, 'why', 10]],
    grantsAwaitingReview: [['actor', 'number'], [S(), 10]],
    reviewEmergencyAccess: [['actor', 'id', 'optText'], [S(), newId(), 'ok']],
    auditLog: [['actor', 'auditQuery'], [S(), {}]],
    verifyAudit: [['actor'], [S()]],
    whoAccessed: [['actor', 'id', 'optNumber'], [S(), p.id, 10]],
    pollEvents: [['actor', 'consumer', 'number'], [S(), 'relay', 10]],
    eventsAfter: [['actor', 'number', 'number'], [S(), 0, 10]],
    ackEvents: [['actor', 'consumer', 'number'], [S(), 'relay', 0]],
    replacePolicy: [['actor', 'text'], [S(), defaultPolicy()]],
  }
  const clinicMethods = Object.getOwnPropertyNames(Clinic.prototype).filter((n) => n !== 'constructor')
  assert.deepEqual(Object.keys(methods).sort(), clinicMethods.sort(), 'every Clinic method is exercised')

  let calls = 0
  for (const [name, [kinds, valid]] of Object.entries(methods)) {
    for (let i = 0; i < kinds.length; i++) {
      for (const bad of BAD[kinds[i]] ?? []) {
        const args = [...valid]
        args[i] = bad
        let promise
        try {
          promise = c[name](...args)
        } catch (err) {
          assert.fail(`${name} arg ${i} threw synchronously: ${err}`)
        }
        assert.ok(promise instanceof Promise, name)
        const label = `${name} arg ${i} = ${typeof bad === 'string' ? JSON.stringify(bad.slice(0, 20)) : String(bad)}`
        const err = await promise.then(
          () => assert.fail(`${label} resolved`),
          (e) => e,
        )
        assert.ok(err instanceof Error, label)
        // A policy text that does not parse is `invalid_policy`.
        const expected = name === 'replacePolicy' && i === 1 && typeof bad === 'string' ? 'invalid_policy' : 'validation'
        assert.equal(err.code, expected, `${label}: ${err.code} ${err.message.slice(0, 200)}`)
        assert.ok(err.message.length < 2000, `${label}: message echoes the input`)
        calls++
      }
    }
  }
  // open(url, options)
  for (const url of [undefined, null, 42, '', MB, 'sqlite:']) {
    const err = await open(url).then(() => assert.fail(`open(${String(url).slice(0, 10)}) resolved`), (e) => e)
    assert.ok(CODES.includes(err.code), String(err.code))
    calls++
  }
  for (const options of [42, 'x', { settings: 42 }, { settings: { breakGlassMaxMinutes: NaN } },
    { settings: { mrnNamespaces: [{ facility: 'f', system: 's', digits: -1 }] } },
    { settings: { identifierSystems: [{ system: 's', checkDigit: 'md5' }] } }, { policy: 42 }, { policy: MB }, { policy: '' }]) {
    const err = await open('memory:', options).then(() => assert.fail(`open(memory:, ${JSON.stringify(options).slice(0, 40)}) resolved`), (e) => e)
    assert.ok(['validation', 'invalid_policy'].includes(err.code), String(err.code))
    calls++
  }
  assert.ok(calls > 200, String(calls))
  // The clinic still works and its audit is intact.
  assert.equal((await c.getPatient(desk, p.id)).id, p.id)
  assert.equal((await c.verifyAudit(sys)).ok, true)
})
