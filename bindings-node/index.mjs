// ESM entry: the same objects as the CommonJS entry (index.js).
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const carebase = require('./index.js')

export const { Clinic, open, newId, defaultPolicy, isCarebaseError, CarebaseError } = carebase
export default carebase
