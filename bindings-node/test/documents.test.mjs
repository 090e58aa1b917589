// Documents through the Node binding (core/tests/record_documents.rs): the
// bytes travel beside the JSON text, a Buffer or any Uint8Array in and a
// Buffer back, identical; the rules (size, type, who reads) are core's.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { test } from 'node:test'

import { open } from '../index.mjs'
import { actor, registered, rejects, schedule, settings, sqliteUrl, system } from '../test-support/helpers.mjs'

const SCAN = Buffer.from('%PDF-1.7\n a referral letter \u0000\u00ff', 'latin1')
const LIMIT = 20 << 20 // MAX_ATTACHMENT_BYTES

async function charted(url) {
  const c = await open(url, { settings })
  const { practitioner: doc } = await schedule(c, system())
  const ann = await registered(c)
  await c.assignCareTeam(actor('admin'), ann.id, doc.id)
  return { c, ann, login: actor('practitioner', { practitioner: doc.id }) }
}

const at = () => new Date(Date.now() - 60_000)

test('an attached document reads back identical bytes as a Buffer', async () => {
  const { c, ann, login } = await charted(sqliteUrl())
  const entry = await c.attachDocument(login, ann.id, at(), null, 'application/pdf', 'Referral', SCAN)
  assert.equal(entry.body.kind, 'document')
  assert.equal(entry.body.size, SCAN.length)
  assert.equal(entry.body.sha256, createHash('sha256').update(SCAN).digest('hex'))
  const read = await c.readDocument(login, ann.id, entry.id)
  assert.ok(Buffer.isBuffer(read.bytes))
  assert.deepEqual(read.bytes, SCAN)
  assert.equal(read.entry.id, entry.id)
})

test('a plain Uint8Array is accepted as the bytes', async () => {
  const { c, ann, login } = await charted('memory:')
  const bytes = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 255])
  const entry = await c.attachDocument(login, ann.id, at(), null, 'image/png', null, bytes)
  const read = await c.readDocument(login, ann.id, entry.id)
  assert.deepEqual(new Uint8Array(read.bytes), bytes)
})

test('a sqlite clinic keeps the bytes in a folder beside its file', async () => {
  const url = sqliteUrl()
  const { c, ann, login } = await charted(url)
  const entry = await c.attachDocument(login, ann.id, at(), null, 'application/pdf', null, SCAN)
  const hex = entry.body.sha256
  const file = join(dirname(url.slice('sqlite://'.length)), 'clinic.db.blobs', hex.slice(0, 2), hex)
  assert.deepEqual(readFileSync(file), SCAN)
})

test('a document over the limit is a validation error too_large on bytes', async () => {
  const { c, ann, login } = await charted('memory:')
  const err = await rejects(c.attachDocument(login, ann.id, at(), null, 'application/pdf', null, Buffer.alloc(LIMIT + 1)), 'validation')
  assert.deepEqual(err.fields.map((f) => [f.field, f.code]), [['bytes', 'too_large']])
})

test('a content type outside the allow-list is not allowed', async () => {
  const { c, ann, login } = await charted('memory:')
  const err = await rejects(c.attachDocument(login, ann.id, at(), null, 'text/html', null, SCAN), 'validation')
  assert.deepEqual(err.fields.map((f) => [f.field, f.code]), [['content_type', 'not_allowed']])
})

test('bytes given as text are refused by core as the wrong type', async () => {
  const { c, ann, login } = await charted('memory:')
  const err = await rejects(c.attachDocument(login, ann.id, at(), null, 'text/plain', null, 'aGVsbG8='), 'validation')
  assert.deepEqual(err.fields.map((f) => [f.field, f.code]), [['bytes', 'invalid_type']])
})

test('billing and the front desk may not read a document', async () => {
  const { c, ann, login } = await charted('memory:')
  const entry = await c.attachDocument(login, ann.id, at(), null, 'application/pdf', null, SCAN)
  await rejects(c.readDocument(actor('billing'), ann.id, entry.id), 'forbidden')
  await rejects(c.readDocument(actor('front_desk'), ann.id, entry.id), 'forbidden')
})
