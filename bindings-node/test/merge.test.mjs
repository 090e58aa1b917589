import assert from 'node:assert/strict'
import { test } from 'node:test'

import { actor, clinic, details, rejects, system } from '../test-support/helpers.mjs'

test('duplicates are scored, merged, then unmerged', async () => {
  const c = await clinic()
  const desk = actor('front_desk')
  const sys = system()
  const amara = await c.registerPatient(desk, { details: details('Okafor', 'Amara', '1990-03-04') })
  const again = await c.registerPatient(desk, { details: details('Okafor', 'Amarah', '1990-03-04') })
  await c.registerPatient(desk, { details: details('Unrelated', 'Zed', '1950-05-05', { telecom: [] }) })

  const candidates = await c.findDuplicates(sys, amara.id, 5)
  assert.equal(candidates.length, 1)
  const [best] = candidates
  assert.equal(best.patient.id, again.id)
  assert.ok(best.score.total > 0.5 && best.score.total <= 1, String(best.score.total))
  assert.equal(best.score.birthDate.similarity, 1)
  assert.equal(typeof best.score.name.weight, 'number')
  assert.equal(best.score.email.similarity, undefined)

  const stale = await rejects(c.mergePatients(sys, amara.id, 2, again.id, 1), 'conflict')
  assert.equal(stale.detail.kind, 'stale_version')

  const merge = await c.mergePatients(sys, amara.id, amara.version, again.id, again.version)
  assert.equal(merge.survivor, amara.id)
  assert.equal(merge.merged, again.id)
  assert.equal(merge.mergedBy, sys.id)
  assert.equal(merge.mergedBefore.id, again.id)
  assert.equal(merge.unmergedAt, undefined)
  // the merged patient's own stream (its partition) says it was merged
  const stream = (await c.eventsAfter(sys, [], 100)).filter((e) => e.patient === again.id)
  assert.deepEqual(stream.map((e) => e.kind), ['patient.registered', 'patient.merged'])
  assert.equal(stream[0].partition, stream[1].partition)

  const merged = await c.getPatient(desk, again.id)
  assert.equal(merged.mergedInto, amara.id)
  assert.equal(merged.active, false)
  assert.equal(merged.version, merge.mergedVersionAfter)
  const upd = await rejects(c.updatePatient(desk, again.id, merged.version, details('X', 'Y', '1990-03-04')), 'conflict')
  assert.equal(upd.detail.kind, 'invalid_state')

  const history = await c.mergeHistory(sys, amara.id)
  assert.deepEqual(history.map((m) => m.id), [merge.id])

  const restored = await c.unmergePatients(sys, merge.id)
  assert.equal(restored.id, again.id)
  assert.equal(restored.mergedInto, undefined)
  assert.equal(restored.active, true)
  const [undone] = await c.mergeHistory(sys, amara.id)
  assert.equal(undone.unmergedBy, sys.id)
  assert.ok(undone.unmergedAt instanceof Date)
  await rejects(c.unmergePatients(sys, merge.id), 'conflict')
  await rejects(c.findDuplicates(desk, amara.id, 5), 'forbidden')
})
