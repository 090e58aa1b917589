// Cross-language proof, Node reader.
// Usage: node read.mjs <clinic.db> <expected.json>
// Opens the SQLite file the Python writer produced, reads every patient by id
// (system actor), runs the same searches, counts outbox events, verifies the
// audit chain, and compares with expected.json. Prints every difference and
// exits 1 on any.
import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { open, newId } from '../../bindings-node/index.mjs'

const MRN = 'urn:carebase:mrn:north'
const [db, expectedPath] = process.argv.slice(2)
if (!db || !expectedPath) {
  console.error('usage: node read.mjs <clinic.db> <expected.json>')
  process.exit(2)
}
if (!existsSync(db)) {
  console.log(`node: DIFF no database at ${db}`)
  process.exit(1)
}
const expected = JSON.parse(readFileSync(expectedPath, 'utf8'))
const diffs = []
const same = (what, want, got) => {
  const w = JSON.stringify(want)
  const g = JSON.stringify(got)
  if (w !== g) diffs.push(`${what}: expected ${w}, got ${g}`)
}

const clinic = await open(`sqlite://${resolve(db)}`, {
  auditKey: Buffer.from(process.env.CAREBASE_AUDIT_KEY ?? '', 'hex'),
  settings: {
    identifierSystems: [{ system: MRN, checkDigit: 'luhn' }],
    mrnNamespaces: [{ facility: 'north', system: MRN, digits: 7, checkDigit: 'luhn' }],
  },
})
const system = { id: newId(), roles: ['system'] }

for (const want of expected.patients) {
  let p
  try {
    p = await clinic.getPatient(system, want.id)
  } catch (e) {
    diffs.push(`patient ${want.id}: ${e.code ?? ''} ${e.message}`)
    continue
  }
  const name = p.details.names?.[0]
  same(`patient ${want.id}`, want, {
    id: p.id,
    version: p.version,
    active: p.active,
    merged_into: p.mergedInto ?? null,
    family: name?.family ?? null,
    given: name?.given ?? [],
    identifiers: (p.details.identifiers ?? []).map((i) => [i.system, i.value]),
  })
}

const camel = (k) => k.replace(/_([a-z])/g, (_, c) => c.toUpperCase())
for (const s of expected.searches) {
  const query = Object.fromEntries(Object.entries(s.query).map(([k, v]) => [camel(k), v]))
  const ids = []
  let cursor
  do {
    const page = await clinic.searchPatients(system, { ...query, limit: 3, cursor })
    ids.push(...page.items.map((p) => p.id))
    cursor = page.nextCursor
  } while (cursor)
  same(`search ${JSON.stringify(s.query)}`, s.ids, ids)
}

let events = 0
// the position a relay keeps: the last sequence number per partition
for (const after = new Array(16).fill(0); ; ) {
  const batch = await clinic.eventsAfter(system, after, 1000)
  if (batch.length === 0) break
  events += batch.length
  for (const e of batch) after[e.partition] = e.seq
}
same('outbox events', expected.events, events)

const kept = expected.audit.checkpoint
const v = await clinic.verifyAudit(system, {
  seq: kept.seq,
  at: kept.at,
  chains: kept.chains,
  entries: kept.entries,
  root: kept.root,
  prevSignature: kept.prev_signature,
  keyId: kept.key_id,
  signature: kept.signature,
})
same('audit ok', expected.audit.ok, v.ok)
same('audit keyed', expected.audit.keyed, v.keyed)
same('audit trusted', kept.seq, v.trusted)
if (v.chainsChecked < expected.audit.chains_checked) {
  diffs.push(`audit chains_checked: expected >= ${expected.audit.chains_checked}, got ${v.chainsChecked}`)
}

if (diffs.length) {
  for (const d of diffs) console.log(`node: DIFF ${d}`)
  process.exit(1)
}
console.log(
  `node: ${expected.patients.length} patients, ${expected.searches.length} searches, ` +
    `${events} events, audit ok (${v.chainsChecked} chains, ${v.entriesChecked} entries)`,
)
