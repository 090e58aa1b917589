'use strict'
// Loads the native module built for this machine. Hand-written: a package
// carries one `carebase.<platform>.node` per platform it was built for, and a
// platform without one gets an error saying so and how to build it (napi's
// own loader falls back to a WebAssembly package and reports *that* as
// missing, which misleads).

const { existsSync, readdirSync } = require('node:fs')
const { join } = require('node:path')

/** napi-rs's name for this platform, e.g. `linux-x64-gnu`, `darwin-arm64`. */
function platformName() {
  const { platform, arch } = process
  if (platform === 'linux') {
    const glibc = process.report?.getReport?.()?.header?.glibcVersionRuntime
    return `linux-${arch}-${glibc ? 'gnu' : 'musl'}`
  }
  if (platform === 'win32') return `win32-${arch}-msvc`
  return `${platform}-${arch}`
}

const name = platformName()
const file = join(__dirname, `carebase.${name}.node`)
if (!existsSync(file)) {
  const built = readdirSync(__dirname)
    .filter((f) => /^carebase\..+\.node$/.test(f))
    .map((f) => f.slice('carebase.'.length, -'.node'.length))
  const error = new Error(
    `carebase has no native module for ${name}` +
      (built.length ? ` (this package was built for ${built.join(', ')})` : ' (this copy was never built)') +
      '; install the package built for this platform, or build one from the source tree: ' +
      'cd bindings-node && npm ci && npm run build',
  )
  error.code = 'ERR_CAREBASE_NATIVE_MODULE_MISSING'
  throw error
}
module.exports = require(file)
