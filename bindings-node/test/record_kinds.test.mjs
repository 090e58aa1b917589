// Issue 13 (record kinds) through the Node binding: a prescription meeting
// a standing allergy is refused with allergy_conflict naming the allergy,
// unless the prescriber overrides it with a reason. The rule is core's.
import assert from 'node:assert/strict'
import { test } from 'node:test'

import { open } from '../index.mjs'
import { actor, registered, rejects, schedule, settings, system } from '../test-support/helpers.mjs'

const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm'

test('a prescription meeting an allergy is refused naming it unless overridden', async () => {
  // MemoryStore until the SQL record store lands (record-store's branch).
  const c = await open('memory:', { settings })
  const { practitioner: doc } = await schedule(c, system())
  const ann = await registered(c)
  await c.assignCareTeam(actor('admin'), ann.id, doc.id)
  const login = actor('practitioner', { practitioner: doc.id })
  const now = new Date(Date.now() - 60_000)
  const penicillin = { system: RXNORM, code: '7980' }
  const allergy = await c.recordAllergy(login, ann.id, now, null, { substance: penicillin, clinicalStatus: 'active' })
  const rx = { medication: penicillin, prescriber: doc.id, status: 'active' }
  const err = await rejects(c.prescribe(login, ann.id, now, null, rx), 'allergy_conflict')
  assert.deepEqual(err.allergies, [allergy.id])
  const issued = await c.prescribe(login, ann.id, now, null, {
    ...rx,
    allergyOverrides: [{ allergy: allergy.id, reason: 'desensitised' }],
  })
  assert.equal(issued.version, 1)
})
