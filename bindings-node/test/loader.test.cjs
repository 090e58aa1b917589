const assert = require('node:assert/strict')
const { copyFileSync, mkdtempSync, rmSync, writeFileSync } = require('node:fs')
const { tmpdir } = require('node:os')
const { join } = require('node:path')
const { test } = require('node:test')

// A copy of the loader in a folder of its own, holding only `modules`.
function loaderBeside(modules) {
  const dir = mkdtempSync(join(tmpdir(), 'carebase-loader-'))
  copyFileSync(join(__dirname, '..', 'native.js'), join(dir, 'native.js'))
  for (const m of modules) writeFileSync(join(dir, m), '')
  return dir
}

test('a copy that was never built says so and how to build it', () => {
  const dir = loaderBeside([])
  try {
    assert.throws(() => require(join(dir, 'native.js')), (err) => {
      assert.equal(err.code, 'ERR_CAREBASE_NATIVE_MODULE_MISSING')
      assert.match(err.message, /no native module for (linux|darwin|win32)-/)
      assert.match(err.message, /never built/)
      assert.match(err.message, /npm run build/)
      assert.doesNotMatch(err.message, /wasm/)
      return true
    })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('a package built for other platforms names them', () => {
  const dir = loaderBeside(['carebase.plan9-mips.node'])
  try {
    assert.throws(() => require(join(dir, 'native.js')), /built for plan9-mips/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
