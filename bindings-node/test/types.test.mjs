import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(import.meta.url)

test('index.d.ts has real types (no any) and types host code under tsc --strict', { timeout: 120_000 }, () => {
  // Doc comments (core's prose) may say "any"; the declarations may not.
  const dts = readFileSync(join(root, 'index.d.ts'), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '')
  assert.ok(!/[:<|(]\s*any\b/.test(dts), 'index.d.ts uses the any type')
  const tsc = require.resolve('typescript/bin/tsc')
  const run = spawnSync(
    process.execPath,
    [tsc, '--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext',
      join(root, 'test-support', 'usage.ts')],
    { cwd: root, encoding: 'utf8' },
  )
  assert.equal(run.status, 0, run.stdout + run.stderr)
})
