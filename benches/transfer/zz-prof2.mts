import { startS3 } from '../../test/servers/s3.js'
import { filesystem } from '../../ts/storage/index.js'
import { writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'
const s = await startS3()
const fs = filesystem({ protocol: 's3', bucket: s.bucket, endpoint: s.endpoint, region: 'us-east-1', key: 'b', secret: 'b', prefix: 'prof' })
writeFileSync('/tmp/prof-src', randomBytes(100 << 10))
const t = async (name: string, f: () => Promise<unknown>) => { const a = performance.now(); await f(); console.log(name, (performance.now() - a).toFixed(1), 'ms') }
await t('connect+exists', () => fs.exists('x'))
for (let i = 0; i < 3; i++) {
  await t('stat missing', () => fs.stat('d/a' + i).catch(() => 0))
  await t('put', () => fs.put('/tmp/prof-src', `d/a${i}`))
  await t('stat', () => fs.stat(`d/a${i}`))
  await t('checksum native', () => fs.checksum(`d/a${i}`, 'native'))
  await t('writeFile', () => fs.writeFile(`d/b${i}`, randomBytes(100 << 10)))
}
await fs.close(); await s.stop()
