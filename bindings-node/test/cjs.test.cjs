const assert = require('node:assert/strict')
const { test } = require('node:test')

const { open, newId } = require('carebase')

test('require("carebase") works from CommonJS', async () => {
  const c = await open('memory:')
  const desk = { id: newId(), roles: ['front_desk'] }
  const p = await c.registerPatient(desk, { details: { names: [{ family: 'Cjs' }] } })
  assert.equal((await c.getPatient(desk, p.id)).details.names[0].family, 'Cjs')
  await assert.rejects(c.getPatient(desk, newId()), { code: 'not_found' })
})
