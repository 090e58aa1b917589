// What a clinic's calls do to the life of the process: a call out keeps it
// running until the call answers, and an idle clinic lets it end.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { test } from 'node:test'

const require = createRequire(import.meta.url)
const entry = JSON.stringify(require.resolve('../index.js'))

function run(script) {
  return execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000 })
}

test('a call out keeps the process running until it answers, and an idle clinic lets the process end', () => {
  const out = run(`
    const carebase = require(${entry})
    const desk = { id: carebase.newId(), roles: ['front_desk'] }
    carebase.open('memory:').then((c) => {
      // Not awaited by anything that keeps the process alive but the call.
      c.registerPatient(desk, { details: { names: [{ family: 'Okafor' }] } })
        .then((p) => c.getPatient(desk, p.id))
        .then((p) => console.log('answered', p.details.names[0].family))
    })`)
  assert.equal(out.trim(), 'answered Okafor')
})

test('calls out at once each get their own answer', () => {
  const out = run(`
    const carebase = require(${entry})
    const desk = { id: carebase.newId(), roles: ['front_desk'] }
    carebase.open('memory:').then(async (c) => {
      const names = Array.from({ length: 50 }, (_, i) => 'Family' + i)
      const made = await Promise.all(names.map((family) => c.registerPatient(desk, { details: { names: [{ family }] } })))
      const read = await Promise.all(made.map((p) => c.getPatient(desk, p.id)))
      console.log(read.every((p, i) => p.details.names[0].family === names[i]))
    })`)
  assert.equal(out.trim(), 'true')
})
