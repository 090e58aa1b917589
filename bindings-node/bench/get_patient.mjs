// 10,000 sequential getPatient calls on `memory:`, per build of the binding,
// in one process so the builds run side by side under the same load.
//   node bench/get_patient.mjs                      # this checkout's build
//   node bench/get_patient.mjs dist/new /tmp/old    # these builds' folders
// A folder holds the package's index.js (and native.js + the .node module);
// both builds must offer open / registerPatient / getPatient. Rounds
// alternate between the builds; each reports its best and median round.
// Prints figures; asserts nothing about time.
import { createRequire } from 'node:module'
import { resolve } from 'node:path'

const require = createRequire(import.meta.url)
const CALLS = 10_000
const ROUNDS = 5

const given = process.argv.slice(2).map((d) => resolve(d))
const dirs = given.length ? given : [resolve(new URL('..', import.meta.url).pathname)]
const builds = []
for (const dir of dirs) {
  const carebase = require(`${dir}/index.js`)
  const clinic = await carebase.open('memory:')
  const desk = { id: carebase.newId(), roles: ['front_desk'] }
  const details = { names: [{ family: 'Okafor', given: ['Amara'] }], birthDate: '1990-03-04', gender: 'female' }
  const patient = await clinic.registerPatient(desk, { details })
  for (let i = 0; i < 500; i++) await clinic.getPatient(desk, patient.id)
  builds.push({ dir, clinic, desk, id: patient.id, rounds: [] })
}

for (let round = 0; round < ROUNDS; round++) {
  for (const b of builds) {
    const start = process.hrtime.bigint()
    for (let i = 0; i < CALLS; i++) await b.clinic.getPatient(b.desk, b.id)
    b.rounds.push(Number(process.hrtime.bigint() - start) / 1e6)
  }
}

for (const b of builds) {
  const sorted = [...b.rounds].sort((x, y) => x - y)
  const median = sorted[Math.floor(sorted.length / 2)]
  console.log(
    `${b.dir}: ${CALLS} getPatient on memory: best ${sorted[0].toFixed(0)} ms, median ${median.toFixed(0)} ms ` +
      `(${((CALLS / median) * 1000).toFixed(0)} calls/s)`,
  )
}
